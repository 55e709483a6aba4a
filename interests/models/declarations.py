from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
