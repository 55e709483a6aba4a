"""Which engagement counts for each professional at each provider, and when: kept, not worked out.

The inspectors' figures ask, for every person in scope at a provider on a day, the type and start
of the engagement that counts and the date of their latest declaration (`services.scope`). Worked
out live that is a ranking of the provider's engagements joined to `latest_declaration`; kept here
it is one index-only aggregate of one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from itertools import groupby
from typing import Any, cast

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    delete,
    exists,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from interests.models.base import Base
from interests.models.declarations import LatestDeclaration
from interests.models.people import Engagement
from interests.rules.compliance import Engaged, counted_spans


class CountedEngagement(Base):
    """The engagement that counts for a professional at a provider over a span of days, and the
    date of their latest declaration to that provider.

    One row per (provider, professional) and span (`rules.compliance.counted_spans`): most people
    have one engagement at a provider and so one row, from its start to its end (or open). Someone
    whose engagement ended and who came back, or who has a second engagement starting later, has
    a row for each stretch of days over which a different engagement counts, so the rows give the
    live answer for any day, past or future. Dates are kept rather than statuses: a status changes
    with the day alone (a declaration lapses, 28 days pass), so the query works it out for the day
    it asks about.

    `declared_on` is the date in `latest_declaration` (whatever its date): it is the last
    declaration on or before a day only where `scope.latest_answers` holds, which is where the
    services read this table; for other days they work the figures out live.

    Derived, and never written by a service: the session keeps it in step on every flush that adds,
    changes or deletes an engagement or a declaration (`keep_counted`, `refresh_declared`, from
    interests/models/__init__.py), in the same transaction. Writers that go around the session
    (a staff import's Core inserts and updates) call `keep_counted` with the pairs they wrote;
    bulk loaders end with `rebuild_counted` (`flask --app interests compliance rebuild-counted`).
    tests/db/test_counted_engagements.py holds it equal to the live figures.
    """

    __tablename__ = "counted_engagement"

    # The provider and professional are the engagement's (one foreign key, below, holds all three:
    # a check per key cost a minute of the 2,000,000-row rebuild, measured).
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    professional_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counts_from: Mapped[date] = mapped_column(Date, primary_key=True)
    counts_until: Mapped[date | None] = mapped_column(Date)  # the last day it counts; None: no end
    # Deleting an engagement takes its rows with it; the flush then works the pair out again.
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    engagement_type: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date] = mapped_column(Date)
    declared_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        # Everything the figures and the attention lists read, for one provider, from the index
        # alone: by type in start order (a list stops once it has its page), all of it for the
        # figures.
        Index(
            "ix_counted_engagement_provider_type_start",
            "provider_id",
            "engagement_type",
            "start_date",
            "professional_id",
            "counts_from",
            "counts_until",
            "declared_on",
            "engagement_id",
        ),
        Index("ix_counted_engagement_engagement_id", "engagement_id"),
    )


_TABLE = cast(Table, CountedEngagement.__table__)
_COLUMNS = (
    "provider_id",
    "professional_id",
    "counts_from",
    "counts_until",
    "engagement_id",
    "engagement_type",
    "start_date",
    "declared_on",
)
_BATCH = 500  # professionals per statement when keeping many pairs (an IN list PostgreSQL plans fast)
_INSERT_BATCH = 10_000


def _rows_of(records: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Rows of the table from engagements ordered by (provider, professional), each with its
    pair's latest declaration date as `declared_on`."""
    for (provider_id, professional_id), group in groupby(
        records, key=lambda r: (r.provider_id, r.professional_id)
    ):
        mine = list(group)
        declared_on = mine[0].declared_on
        for span in counted_spans(Engaged(r.id, r.engagement_type, r.start_date, r.end_date) for r in mine):
            yield {
                "provider_id": provider_id,
                "professional_id": professional_id,
                "counts_from": span.counts_from,
                "counts_until": span.counts_until,
                "engagement_id": span.engagement.id,
                "engagement_type": span.engagement.engagement_type,
                "start_date": span.engagement.start,
                "declared_on": declared_on,
            }


# An engagement's (provider, professional) pair in `latest_declaration`.
_SAME_PAIR = and_(
    LatestDeclaration.provider_id == Engagement.provider_id,
    LatestDeclaration.professional_id == Engagement.professional_id,
)


def _engagements_with_declared(*where: Any) -> Any:
    return (
        select(
            Engagement.provider_id,
            Engagement.professional_id,
            Engagement.id,
            Engagement.engagement_type,
            Engagement.start_date,
            Engagement.end_date,
            LatestDeclaration.declared_on,
        )
        .outerjoin(LatestDeclaration, _SAME_PAIR)
        .where(*where)
        .order_by(Engagement.provider_id, Engagement.professional_id, Engagement.id)
    )


def _insert(connection: Connection, rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _INSERT_BATCH:
            connection.execute(insert(_TABLE), batch)
            batch = []
    if batch:
        connection.execute(insert(_TABLE), batch)


def _by_provider(pairs: Iterable[tuple[int, int]]) -> Iterator[tuple[int, list[int]]]:
    """The pairs as (provider, up to _BATCH professionals), in one fixed order (so two writers
    lock rows in the same order)."""
    for provider_id, group in groupby(sorted(set(pairs)), key=lambda pair: pair[0]):
        professionals = [professional_id for _, professional_id in group]
        for start in range(0, len(professionals), _BATCH):
            yield provider_id, professionals[start : start + _BATCH]


def _lock(connection: Connection, provider_id: int, professionals: list[int], *, share: bool) -> None:
    """Lock the pairs' engagements (PostgreSQL), so a change to a pair's engagements and a
    declaration to it, written at the same moment, are kept one after the other: the second
    reads what the first committed (its statements see the latest committed rows). SQLite has one
    writer at a time already."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        select(Engagement.id)
        .where(Engagement.provider_id == provider_id, Engagement.professional_id.in_(professionals))
        .order_by(Engagement.id)
        .with_for_update(read=share)
    ).all()


def keep_counted(connection: Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Work the rows of the (provider id, professional id) `pairs` out again from their
    engagements and latest declarations. A pair's rows are only ever its own: nothing here reads
    or writes another pair's."""
    for provider_id, professionals in _by_provider(pairs):
        _lock(connection, provider_id, professionals, share=False)
        connection.execute(
            delete(_TABLE).where(
                _TABLE.c.provider_id == provider_id, _TABLE.c.professional_id.in_(professionals)
            )
        )
        records = connection.execute(
            _engagements_with_declared(
                Engagement.provider_id == provider_id, Engagement.professional_id.in_(professionals)
            )
        ).all()
        _insert(connection, _rows_of(records))


def refresh_declared(connection: Connection, pairs: Iterable[tuple[int, int]] | None = None) -> None:
    """Copy each pair's latest declaration date from `latest_declaration` (every pair's, or only
    those given), after that table changed."""
    latest = (
        select(LatestDeclaration.declared_on)
        .where(
            LatestDeclaration.provider_id == _TABLE.c.provider_id,
            LatestDeclaration.professional_id == _TABLE.c.professional_id,
        )
        .scalar_subquery()
    )
    if pairs is None:
        connection.execute(update(_TABLE).values(declared_on=latest))
        return
    for provider_id, professionals in _by_provider(pairs):
        _lock(connection, provider_id, professionals, share=True)
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.provider_id == provider_id, _TABLE.c.professional_id.in_(professionals))
            .values(declared_on=latest)
        )


def rebuild_counted(connection: Connection) -> None:
    """Work the whole table out again from `engagement` and `latest_declaration`, in the caller's
    transaction. The many people with one engagement at a provider are one INSERT ... SELECT (their
    one row is that engagement, from its start to its end); the others go through
    `counted_spans`."""
    connection.execute(delete(_TABLE))
    other = aliased(Engagement, name="other")
    has_other = exists().where(
        other.provider_id == Engagement.provider_id,
        other.professional_id == Engagement.professional_id,
        other.id != Engagement.id,
    )
    single = (
        select(
            Engagement.provider_id,
            Engagement.professional_id,
            Engagement.start_date,
            Engagement.end_date,
            Engagement.id,
            Engagement.engagement_type,
            Engagement.start_date,
            LatestDeclaration.declared_on,
        )
        .outerjoin(LatestDeclaration, _SAME_PAIR)
        .where(~has_other)
    )
    connection.execute(insert(_TABLE).from_select(_COLUMNS, single))
    # Read before writing: SQLite's cursor would otherwise still be open on the table's neighbour.
    records = connection.execute(_engagements_with_declared(has_other)).all()
    _insert(connection, _rows_of(records))


_ENGAGEMENT_ATTRIBUTES = ("provider_id", "professional_id", "engagement_type", "start_date", "end_date")


def changed_pairs(session: Session) -> set[tuple[int, int]]:
    """The (provider, professional) pairs whose engagements this flush added, changed (in what
    decides the one that counts) or deleted: before and after, if an engagement moved."""
    pairs: set[tuple[int, int]] = set()
    for obj in session.new:
        if isinstance(obj, Engagement):
            pairs.add((obj.provider_id, obj.professional_id))
    for obj in session.dirty:
        if isinstance(obj, Engagement):
            state = inspect(obj)
            histories = [state.attrs[name].history for name in _ENGAGEMENT_ATTRIBUTES]
            if any(history.has_changes() for history in histories):
                provider, professional = histories[0], histories[1]
                pairs.add((obj.provider_id, obj.professional_id))
                pairs.add(
                    (
                        (provider.deleted or [obj.provider_id])[0],
                        (professional.deleted or [obj.professional_id])[0],
                    )
                )
    for obj in session.deleted:
        if isinstance(obj, Engagement):
            pairs.add((obj.provider_id, obj.professional_id))
    return pairs
