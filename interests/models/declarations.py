from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.rules.vocabulary import CATEGORY_BY_CODE, TYPE_BY_CODE, WITHHOLDING_STATUS_BY_CODE

if TYPE_CHECKING:
    from interests.models.organisations import Provider
    from interests.models.people import Professional


class Interest(Base):
    """An interest owned by a professional. Its content lives in versions: nothing is overwritten."""

    __tablename__ = "interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    professional: Mapped[Professional] = relationship()
    versions: Mapped[list[InterestVersion]] = relationship(
        back_populates="interest", order_by="InterestVersion.version_number"
    )

    @property
    def current(self) -> InterestVersion:
        return self.versions[-1]


class InterestVersion(Base):
    """One version of an interest, as the professional described it at one time."""

    __tablename__ = "interest_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("interest.id"))
    version_number: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    interest_type: Mapped[str] = mapped_column(String(40))
    other_party: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # Money is kept in whole pence so totals never drift; shown as "£1,250".
    value_pence: Mapped[int | None] = mapped_column(Integer)
    # For indirect interests: whose interest it is ("my wife", "my business partner").
    relationship_to_professional: Mapped[str | None] = mapped_column(String(200))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    interest: Mapped[Interest] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("interest_id", "version_number"),
        CheckConstraint("date_to IS NULL OR date_to >= date_from", name="ends_after_start"),
        CheckConstraint("value_pence IS NULL OR value_pence >= 0", name="value_not_negative"),
        Index("ix_interest_version_other_party", "other_party"),
    )

    @property
    def value(self) -> Decimal | None:
        return None if self.value_pence is None else Decimal(self.value_pence) / 100

    def check(self) -> None:
        if self.category not in CATEGORY_BY_CODE:
            raise InvalidRecord(f"Unknown category of interest {self.category!r}")
        if self.interest_type not in TYPE_BY_CODE:
            raise InvalidRecord(f"Unknown type of interest {self.interest_type!r}")
        if self.date_to is not None and self.date_to < self.date_from:
            raise InvalidRecord("An interest cannot end before it starts")
        if self.category == "indirect" and not (self.relationship_to_professional or "").strip():
            raise InvalidRecord("An indirect interest needs the relationship of the person it belongs to")


class Declaration(Base):
    """A dated, signed submission by a professional to one provider: interest versions or nil."""

    __tablename__ = "declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    nil_return: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_on: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    statement: Mapped[str] = mapped_column(Text, default="")
    # One "send" makes one declaration per chosen provider; the key makes a replay harmless.
    submission_key: Mapped[str] = mapped_column(String(64))

    professional: Mapped[Professional] = relationship()
    provider: Mapped[Provider] = relationship()
    items: Mapped[list[DeclarationItem]] = relationship(
        back_populates="declaration", order_by="DeclarationItem.id"
    )

    __table_args__ = (
        UniqueConstraint("submission_key", "provider_id"),
        # Latest declaration per professional at a provider: register and compliance.
        Index("ix_declaration_provider_professional_date", "provider_id", "professional_id", "declared_on"),
        Index("ix_declaration_professional_date", "professional_id", "declared_on"),
    )

    def check_with(self, session: Session) -> None:
        from interests.models.people import Engagement

        if self.nil_return and self.items:
            raise InvalidRecord("A nil return cannot also declare interests")
        professional_id = self.professional_id or (self.professional.id if self.professional else None)
        provider_id = self.provider_id or (self.provider.id if self.provider else None)
        engaged: int | None = None
        for pending in session.new:  # an engagement added in the same unit of work counts
            if (
                isinstance(pending, Engagement)
                and pending.confirmed_at is not None
                and (pending.professional is self.professional or pending.professional_id == professional_id)
                and (pending.provider is self.provider or pending.provider_id == provider_id)
            ):
                engaged = 0
        if engaged is None and professional_id is not None and provider_id is not None:
            with session.no_autoflush:
                engaged = session.scalar(
                    select(Engagement.id)
                    .where(
                        Engagement.professional_id == professional_id,
                        Engagement.provider_id == provider_id,
                        Engagement.confirmed_at.is_not(None),
                    )
                    .limit(1)
                )
        if engaged is None:
            raise InvalidRecord(
                "A declaration can only be sent to a provider where the professional works: "
                "there is no engagement at this provider that they have confirmed"
            )


class LatestDeclaration(Base):
    """Each professional's latest declaration to each provider (the latest date, then the highest
    id), and its date: one row per (provider, professional) that has declared there.

    What a status needs, read with one indexed lookup instead of a search of every declaration
    (`services.scope`). Derived from `declaration` and never written by a service: the session keeps
    it in step on every flush that adds, changes or deletes a declaration (`keep_latest`, below,
    from interests/models/__init__.py), in the same transaction; a Core insert of declarations
    (the demo writer, a benchmark's bulk loader) ends with `rebuild_latest`, which also proves it
    in tests/db/test_latest_declaration.py. `CountedEngagement` keeps a copy of each date.
    """

    __tablename__ = "latest_declaration"

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"), primary_key=True)
    # Deleting a declaration takes its row with it; the flush then finds the new latest.
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    declared_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        # Whether any latest declaration at a provider is dated after a day (`scope.latest_answers`).
        Index("ix_latest_declaration_provider_date", "provider_id", "declared_on"),
        # A person's date by (provider, professional) from the index alone on PostgreSQL. With the
        # professional after the date instead, its planner probed a whole provider's rows per person.
        Index(
            "ix_latest_declaration_provider_professional_date",
            "provider_id",
            "professional_id",
            "declared_on",
        ),
        # The same for every provider at once.
        Index("ix_latest_declaration_declared_on", "declared_on"),
        Index("ix_latest_declaration_declaration_id", "declaration_id"),
        # On SQLite the rows live in the primary key's b-tree, so a lookup by (provider,
        # professional) reads the date without a second seek into the table.
        {"sqlite_with_rowid": False},
    )


def _upsert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert each row, or replace the stored one if the row's declaration is later."""
    table = cast(Table, LatestDeclaration.__table__)
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql_insert(table)
    elif dialect == "sqlite":
        statement = sqlite_insert(table)
    else:  # pragma: no cover - the app runs on these two
        raise NotImplementedError(f"latest declarations on {dialect}")
    later = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.provider_id, table.c.professional_id],
        set_={"declaration_id": later.declaration_id, "declared_on": later.declared_on},
        # Only ever forward: two sends committing in either order leave the later declaration.
        where=or_(
            table.c.declared_on < later.declared_on,
            and_(table.c.declared_on == later.declared_on, table.c.declaration_id < later.declaration_id),
        ),
    )
    connection.execute(statement, rows)


def _latest_of(where: ColumnElement[bool] | None = None) -> Select[Any]:
    """The latest declaration of each (provider, professional) among those `where` selects."""
    ranked = select(
        Declaration.provider_id,
        Declaration.professional_id,
        Declaration.id.label("declaration_id"),
        Declaration.declared_on,
        func.row_number()
        .over(
            partition_by=(Declaration.provider_id, Declaration.professional_id),
            order_by=(Declaration.declared_on.desc(), Declaration.id.desc()),
        )
        .label("position"),
    )
    if where is not None:
        ranked = ranked.where(where)
    latest = ranked.subquery("ranked")
    return select(
        latest.c.provider_id, latest.c.professional_id, latest.c.declaration_id, latest.c.declared_on
    ).where(latest.c.position == 1)


_COLUMNS = ("provider_id", "professional_id", "declaration_id", "declared_on")


def rebuild_latest(connection: Connection, pairs: Iterable[tuple[int, int]] | None = None) -> None:
    """Work the latest declarations out again from `declaration`: every one, or only those of the
    (provider id, professional id) `pairs` given."""
    table = cast(Table, LatestDeclaration.__table__)
    if pairs is None:
        from interests.models.counted_engagements import refresh_declared

        connection.execute(delete(table))
        connection.execute(insert(table).from_select(_COLUMNS, _latest_of()))
        # Every date changed at once: the kept figures' copy of them too (`CountedEngagement`).
        refresh_declared(connection)
        return
    for provider_id, professional_id in sorted(set(pairs)):
        pair = (table.c.provider_id == provider_id, table.c.professional_id == professional_id)
        connection.execute(delete(table).where(*pair))
        of_pair = and_(Declaration.provider_id == provider_id, Declaration.professional_id == professional_id)
        connection.execute(insert(table).from_select(_COLUMNS, _latest_of(of_pair)))


_PAIR_ATTRIBUTES = ("provider_id", "professional_id", "declared_on")


def keep_latest(session: Session) -> set[tuple[int, int]]:
    """After a flush: record the declarations just added, and work out again the latest of any
    (provider, professional) whose declaration was changed or deleted. Returns the pairs whose
    latest declaration may have changed."""
    added: dict[tuple[int, int], dict[str, Any]] = {}
    again: set[tuple[int, int]] = set()
    for obj in session.new:
        if isinstance(obj, Declaration):
            key = (obj.provider_id, obj.professional_id)
            row = dict(zip(_COLUMNS, (*key, obj.id, obj.declared_on), strict=True))
            known = added.get(key)
            if known is None or (known["declared_on"], known["declaration_id"]) < (obj.declared_on, obj.id):
                added[key] = row
    for obj in session.dirty:
        if isinstance(obj, Declaration):
            state = inspect(obj)
            histories = [state.attrs[name].history for name in _PAIR_ATTRIBUTES]
            if any(history.has_changes() for history in histories):
                provider, professional = histories[0], histories[1]
                again.add((obj.provider_id, obj.professional_id))
                again.add(
                    (
                        (provider.deleted or [obj.provider_id])[0],
                        (professional.deleted or [obj.professional_id])[0],
                    )
                )
    for obj in session.deleted:
        if isinstance(obj, Declaration):
            again.add((obj.provider_id, obj.professional_id))
    if not added and not again:
        return set()
    connection = session.connection()
    if added:
        _upsert(connection, list(added.values()))
    if again:
        rebuild_latest(connection, again)
    return set(added) | again


class DeclarationItem(Base):
    """One interest version as declared to one provider: an entry on that provider's register."""

    __tablename__ = "declaration_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    interest_version_id: Mapped[int] = mapped_column(ForeignKey("interest_version.id"), index=True)
    # The provider's action to manage the interest, published beside the entry once recorded.
    management_action: Mapped[str | None] = mapped_column(Text)
    action_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    action_recorded_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    declaration: Mapped[Declaration] = relationship(back_populates="items")
    interest_version: Mapped[InterestVersion] = relationship()

    __table_args__ = (UniqueConstraint("declaration_id", "interest_version_id"),)


class WithholdingRequest(Base):
    """A request that an interest not be published on one provider's register, and its decision.

    NHS England CoI guidance: only for an overriding privacy interest or legal requirement; a
    reason, a decision-maker, a date and a review date; unpublished while pending.
    """

    __tablename__ = "withholding_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("interest.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requested_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    review_on: Mapped[date | None] = mapped_column(Date)

    interest: Mapped[Interest] = relationship()
    provider: Mapped[Provider] = relationship()

    __table_args__ = (
        Index("ix_withholding_request_provider_status", "provider_id", "status"),
        Index("ix_withholding_request_interest_provider", "interest_id", "provider_id"),
    )

    def check(self) -> None:
        if self.status not in WITHHOLDING_STATUS_BY_CODE:
            raise InvalidRecord(f"Unknown withholding status {self.status!r}")
        if self.status == "approved" and self.review_on is None:
            raise InvalidRecord("An approved withholding needs a review date")
        if self.status != "pending" and not (self.decision_reason or "").strip():
            raise InvalidRecord("A withholding decision needs a reason")
