"""Who is in scope at a provider on a day, and each person's declaration status, in SQL.

The one definition that the inspectors' figures and snapshots (`services.compliance`), reminders
(`services.reminders`), the staff page (`services.staff`) and the public register
(`services.register`) build on. It lives here, beside them rather than inside `compliance/`,
because four rooms read it and none of them owns it. The rules themselves are plain Python in
`interests.rules.compliance`; this module says the same in SQL, and
tests/db/test_compliance_queries.py and tests/db/test_staff_status.py hold the two together.

The definitions:

- **Engaged between two days** (`engaged_between`): an engagement that started on or before the
  last day and had not ended before the first (no end date, or an end date on or after it).
- **In scope on a day** (`active_on`): engaged between that day and itself. The public register
  keeps someone listed while engaged at any time from six months ago to today
  (`rules.publication.engagement_cutoff`): `engagement_exists` between those days.
- **One person, one status per provider**: a professional with two engagements in scope at one
  provider counts once, by the one that started first (then the lowest id): its start date and
  engagement type are theirs. (Someone who is both an employee and bank staff at one trust is one
  person to declare.)
- **Last declared** (`last_declared_on`): their latest declaration to that provider dated on or
  before the day. A nil return is a declaration like any other. The table `latest_declaration`
  (`LatestDeclaration`, kept by the session on every flush of declarations) holds each person's
  latest declaration to each provider, whatever its date; when none of the providers asked about
  has one dated after the day (`latest_answers`: always so for today, as a declaration is dated the
  day it is sent), it *is* the latest on or before the day, read with one indexed lookup. For an
  earlier day the declarations themselves are searched, as before.
- **Status** (`status_expression`): declared, due, overdue or missing, from the last declaration
  and the start date, compared with `Cutoffs` worked out in Python. The calendar-month anniversary
  (29 February + 12 months = 28 February) cannot be written portably in SQL, so the cut-off dates
  come from the rules' own `anniversary_of` and are passed as parameters: "declared" is
  `last >= declared_from`, where declared_from is the earliest declaration date whose anniversary
  is after the day. Because the anniversary only moves forward as the declaration date does, that
  one comparison is exactly the rules' `day < anniversary_of(last)`; likewise for the 28 days
  after an anniversary (`due_from`) and after a start (`started_after`).
- **An engagement's own state** on the staff page (`engagement_status`): "starts later" before it
  starts, "ended" after it ends, otherwise its professional's status.

Two ways to ask, one definition. Every provider at once, or a range of them, is set-based
(`in_scope_people`, `people_with_status`: the figures, snapshots and reminders). One provider's
rows, a page at a time, are per-row correlated seeks (`first_active_start`, `last_declared_on`,
`latest_declared_on`: the staff page, which works out the status only for the page it shows). A
filter on one status is `status_conditions`: the CASE taken apart into one WHERE per status, on the
latest declaration and `started_recently`, so nobody's status is worked out only to be filtered
away. Each is the plan measured fastest for its caller (bench/compliance.py, bench/staff_page.py);
all read the conditions above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.models import (
    CountedEngagement,
    Declaration,
    Engagement,
    LatestDeclaration,
    rebuild_counted,
    rebuild_latest,
)
from interests.rules.compliance import DECLARE_WITHIN_DAYS, DeclarationStatus, anniversary_of

NOT_STARTED = "not_started"  # an engagement on the staff page that starts after the day
ENDED = "ended"  # an engagement on the staff page that ended before the day


# --- Cut-off dates -----------------------------------------------------------------------------


def first_declaration_date_counting_on(day: date) -> date:
    """The earliest declaration date whose anniversary is after `day`.

    A declaration made on or after this date still counts on `day`; one made before it has lapsed.
    `anniversary_of` is non-decreasing, so the dates that count form one unbroken run from here.
    """
    candidate = date(day.year - 1, day.month, 1)  # a month before any possible answer
    while anniversary_of(candidate) <= day:
        candidate += timedelta(days=1)
    return candidate


@dataclass(frozen=True)
class Cutoffs:
    """The dates the SQL compares with, for one `as_of` (see the module docstring)."""

    as_of: date
    declared_from: date  # last declaration on or after this: declared
    due_from: date  # lapsed, but last declaration on or after this: still inside 28 days: due
    started_after: date  # engagement started after this: still inside its first 28 days: due
    published_before: datetime  # register timestamps before this existed on `as_of`

    @classmethod
    def for_date(cls, as_of: date) -> Cutoffs:
        grace = timedelta(days=DECLARE_WITHIN_DAYS)
        return cls(
            as_of=as_of,
            declared_from=first_declaration_date_counting_on(as_of),
            # as_of < anniversary + 28  <=>  anniversary > as_of - 28
            due_from=first_declaration_date_counting_on(as_of - grace),
            # as_of < start + 28  <=>  start > as_of - 28
            started_after=as_of - grace,
            published_before=datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC),
        )


# --- Who is engaged ----------------------------------------------------------------------------


def engaged_between(engagement: type[Engagement], first_day: date, last_day: date) -> ColumnElement[bool]:
    """The engagement (the table or an alias of it) started by `last_day` and had not ended before
    `first_day`."""
    return and_(
        engagement.start_date <= last_day,
        or_(engagement.end_date.is_(None), engagement.end_date >= first_day),
    )


def active_on(engagement: type[Engagement], day: date) -> ColumnElement[bool]:
    """In scope on `day`: the engagement has started and has not ended."""
    return engaged_between(engagement, day, day)


def engagement_exists(
    professional_col: Any, provider_col: Any, first_day: date, last_day: date
) -> ColumnElement[bool]:
    """The professional has an engagement at the provider `engaged_between` the two days.

    A seek per row on ix_engagement_professional_provider. coalesce() keeps SQLite's planner on
    that index: with a bare start_date it chose (provider, start_date) and scanned a whole trust
    per row (1.5 s per 2,000 professionals at 20k; measured on the register).
    """
    return exists().where(
        Engagement.professional_id == professional_col,
        Engagement.provider_id == provider_col,
        func.coalesce(Engagement.start_date, Engagement.start_date) <= last_day,
        or_(Engagement.end_date.is_(None), Engagement.end_date >= first_day),
    )


# --- Per row: one provider's people, a page at a time -------------------------------------------


def first_active_start(provider_col: Any, professional_col: Any, day: date) -> Any:
    """The start date of the engagement that counts for this professional at this provider on
    `day` (the earliest start among those in scope), as a correlated scalar subquery."""
    active = aliased(Engagement, name="active")
    return (
        select(func.min(active.start_date))
        .where(
            active.provider_id == provider_col,
            active.professional_id == professional_col,
            active_on(active, day),
        )
        .correlate_except(active)
        .scalar_subquery()
    )


def latest_answers(
    day: date, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> bool:
    """Whether `latest_declaration` gives the latest declaration on or before `day` at the provider
    (or the range of them, or every provider): none of its rows there is dated after `day`. One
    seek on ix_latest_declaration_provider_date (or ix_latest_declaration_declared_on)."""
    conditions: list[ColumnElement[bool]] = [LatestDeclaration.declared_on > day]
    if provider_id is not None:
        conditions.append(LatestDeclaration.provider_id == provider_id)
    if id_range is not None:
        conditions.append(LatestDeclaration.provider_id.between(*id_range))
    return not db.session.scalar(select(exists().where(*conditions)))


def rebuild_latest_declarations() -> int:
    """Work `latest_declaration` out again from every declaration, in the caller's transaction;
    returns its rows. For after a Core insert of declarations (the demo writer, a bulk load) and
    for `flask --app interests compliance rebuild-latest`; the session keeps it otherwise."""
    rebuild_latest(db.session.connection())
    return int(db.session.scalar(select(func.count()).select_from(LatestDeclaration)) or 0)


def latest_declared_on(provider_col: Any, professional_col: Any) -> Any:
    """The date of this professional's latest declaration to this provider, from
    `latest_declaration` (a correlated scalar subquery: one primary-key lookup). Only where
    `latest_answers` holds is it their last declaration on or before the day."""
    return (
        select(LatestDeclaration.declared_on)
        .where(
            LatestDeclaration.provider_id == provider_col,
            LatestDeclaration.professional_id == professional_col,
        )
        .correlate_except(LatestDeclaration)
        .scalar_subquery()
    )


def last_declared_on(
    provider_col: Any, professional_col: Any, day: date, *narrowed: ColumnElement[bool]
) -> Any:
    """The latest declaration of this professional to this provider dated on or before `day`, as a
    correlated scalar subquery (one seek on ix_declaration_provider_professional_date). `narrowed`
    adds conditions on Declaration that the caller's query already implies (a provider, a range
    of them), which keep the planner on that index."""
    return (
        select(func.max(Declaration.declared_on))
        .where(
            Declaration.provider_id == provider_col,
            Declaration.professional_id == professional_col,
            Declaration.declared_on <= day,
            *narrowed,
        )
        .correlate_except(Declaration)
        .scalar_subquery()
    )


# --- Status ------------------------------------------------------------------------------------


def status_expression(last: ColumnElement[Any], start: ColumnElement[Any], cutoffs: Cutoffs) -> Any:
    """The rules' `engagement_status` as a SQL CASE, with the cut-offs as parameters."""
    started_recently = start > cutoffs.started_after
    return case(
        (last >= cutoffs.declared_from, literal(DeclarationStatus.DECLARED.value)),
        (
            and_(last.is_not(None), or_(last >= cutoffs.due_from, started_recently)),
            literal(DeclarationStatus.DUE.value),
        ),
        (last.is_not(None), literal(DeclarationStatus.OVERDUE.value)),
        (started_recently, literal(DeclarationStatus.DUE.value)),
        else_=literal(DeclarationStatus.MISSING.value),
    )


def started_recently(engagement: type[Engagement], cutoffs: Cutoffs) -> ColumnElement[bool]:
    """For an engagement in scope on `cutoffs.as_of`: whether the engagement that counts for its
    professional at its provider started inside the last 28 days (`start > started_after` in
    `status_expression`). The one that counts started first, so that is: this one did, and no
    other of theirs in scope there started earlier than that (a seek only for the few recent
    starts)."""
    earlier = aliased(Engagement, name="earlier_start")
    # A count compared with 0, not NOT EXISTS: PostgreSQL turned the NOT EXISTS, under the NOT of
    # "overdue" and "missing", into a hashed subplan that read every engagement of every provider
    # to build its hash (a sequential scan of the table for each filtered page); a scalar count is
    # a seek per row, and only for the rows that started recently.
    others_earlier = (
        select(func.count())
        .where(
            earlier.provider_id == engagement.provider_id,
            earlier.professional_id == engagement.professional_id,
            active_on(earlier, cutoffs.as_of),
            earlier.start_date <= cutoffs.started_after,
        )
        .correlate_except(earlier)
        .scalar_subquery()
    )
    return and_(engagement.start_date > cutoffs.started_after, others_earlier == 0)


def status_conditions(
    last: ColumnElement[Any], recent: ColumnElement[bool], cutoffs: Cutoffs
) -> dict[str, ColumnElement[bool]]:
    """`status_expression` taken apart: for each status, the condition that a person has it, from
    their last declaration (`last`) and whether the engagement that counts started recently
    (`recent`, see `started_recently`). Exactly one holds for each person, so a filter on one
    status is a WHERE on these columns rather than a CASE worked out for everyone first."""
    declared = last >= cutoffs.declared_from
    not_declared = or_(last.is_(None), last < cutoffs.declared_from)
    return {
        DeclarationStatus.DECLARED.value: declared,
        DeclarationStatus.DUE.value: or_(
            and_(last >= cutoffs.due_from, last < cutoffs.declared_from), and_(recent, not_declared)
        ),
        DeclarationStatus.OVERDUE.value: and_(last < cutoffs.due_from, ~recent),
        DeclarationStatus.MISSING.value: and_(last.is_(None), ~recent),
    }


def engagement_status(
    start: ColumnElement[Any],
    end: ColumnElement[Any],
    counted_start: ColumnElement[Any],
    last: ColumnElement[Any],
    cutoffs: Cutoffs,
) -> Any:
    """One engagement's state on `cutoffs.as_of`: NOT_STARTED, ENDED, or (in scope) its
    professional's status, from the start of the engagement that counts (`counted_start`, see
    `first_active_start`) and their last declaration."""
    day = cutoffs.as_of
    return case(
        (start > day, literal(NOT_STARTED)),
        (and_(end.is_not(None), end < day), literal(ENDED)),
        else_=status_expression(last, counted_start, cutoffs),
    )


# --- Set-based: every provider at once, or a range of them ---------------------------------------


def _counted_engagements(conditions: list[ColumnElement[bool]]) -> tuple[Any, list[ColumnElement[bool]]]:
    """The engagements `conditions` select, and the condition that keeps, of each professional's at
    a provider, only the one that counts: the first started (then the lowest id).

    PostgreSQL: DISTINCT ON (provider, professional) over the covering index's order, one row per
    person straight from the index walk. Its planner knows that gives one row per person; the
    ranking below left it expecting 0.5% of them, so it looked up each person's latest declaration
    one at a time rather than merging two index walks (measured: 440 ms against 170 ms for the
    figures of a provider with 134,000 engagements). SQLite has no DISTINCT ON: the engagements
    are numbered by start date (then id) and only the first is kept; the covering index
    ix_engagement_provider_professional_start gives the window its order without a sort.
    """
    engagement = Engagement
    columns = (
        engagement.provider_id,
        engagement.professional_id,
        engagement.engagement_type,
        engagement.start_date,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        first = (
            select(*columns)
            .where(*conditions)
            .ext(distinct_on(engagement.provider_id, engagement.professional_id))
            .order_by(
                engagement.provider_id, engagement.professional_id, engagement.start_date, engagement.id
            )
            .subquery("ranked")
        )
        return first, []
    ranked = (
        select(
            *columns,
            func.row_number()
            .over(
                partition_by=(engagement.provider_id, engagement.professional_id),
                order_by=(engagement.start_date, engagement.id),
            )
            .label("position"),
        )
        .where(*conditions)
        .subquery("ranked")
    )
    return ranked, [ranked.c.position == 1]


def counts_on(day: date) -> ColumnElement[bool]:
    """A `CountedEngagement` row that says who counts on `day` (its span holds the day)."""
    kept = CountedEngagement
    return and_(kept.counts_from <= day, or_(kept.counts_until.is_(None), kept.counts_until >= day))


def _kept_people(cutoffs: Cutoffs, provider_id: int | None, id_range: tuple[int, int] | None) -> Any:
    """`in_scope_people` read from `counted_engagement`: one row per person whose span holds the
    day, with the type and start of the engagement that counts and the latest declaration's date.
    Only where `latest_answers` holds (that date is then the last on or before the day)."""
    kept = CountedEngagement
    conditions: list[ColumnElement[bool]] = [counts_on(cutoffs.as_of)]
    if provider_id is not None:
        conditions.append(kept.provider_id == provider_id)
    if id_range is not None:
        conditions.append(kept.provider_id.between(*id_range))
    return (
        select(
            kept.provider_id,
            kept.professional_id,
            kept.engagement_type,
            kept.start_date,
            kept.declared_on.label("last_declared_on"),
        )
        .where(*conditions)
        .subquery("in_scope")
    )


def rebuild_counted_engagements() -> int:
    """Work `counted_engagement` out again from every engagement and latest declaration, in the
    caller's transaction; returns its rows. For after a Core insert of engagements (the demo writer,
    a bulk load) and for `flask --app interests compliance rebuild-counted`; the session and the
    staff import keep it otherwise."""
    rebuild_counted(db.session.connection())
    return int(db.session.scalar(select(func.count()).select_from(CountedEngagement)) or 0)


def in_scope_people(
    cutoffs: Cutoffs,
    provider_id: int | None = None,
    id_range: tuple[int, int] | None = None,
    *,
    kept: bool = True,
) -> Any:
    """One row per professional in scope at each provider: type, start and last declaration.

    Of a professional's engagements at one provider only the one that counts is kept
    (`_counted_engagements`). `provider_id` narrows everything to one provider, `id_range` to the
    providers with ids from its first to its last (inclusive; the nightly snapshot goes in chunks).

    Where `latest_answers` holds (always so for today) the rows are read from `counted_engagement`
    (`_kept_people`), unless `kept` is False: the live computation, which the tests compare it
    with. For an earlier day with a declaration after it, they are worked out live.
    """
    engagement = Engagement
    as_of = cutoffs.as_of
    answers = latest_answers(as_of, provider_id, id_range)
    if kept and answers:
        return _kept_people(cutoffs, provider_id, id_range)
    conditions: list[ColumnElement[bool]] = [active_on(engagement, as_of)]
    if provider_id is not None:
        conditions.append(engagement.provider_id == provider_id)
    if id_range is not None:
        conditions.append(engagement.provider_id.between(*id_range))
    ranked, counted = _counted_engagements(conditions)
    if answers:
        # Each person's latest declaration, one lookup by (provider, professional): a hash join on
        # PostgreSQL, a primary-key seek per person on SQLite. The providers asked about are said
        # again of the table: the planner cannot carry them into it through the window.
        latest_narrowed: list[ColumnElement[bool]] = []
        if provider_id is not None:
            latest_narrowed.append(LatestDeclaration.provider_id == provider_id)
        if id_range is not None:
            latest_narrowed.append(LatestDeclaration.provider_id.between(*id_range))
        return (
            select(
                ranked.c.provider_id,
                ranked.c.professional_id,
                ranked.c.engagement_type,
                ranked.c.start_date,
                LatestDeclaration.declared_on.label("last_declared_on"),
            )
            .outerjoin(
                LatestDeclaration,
                and_(
                    LatestDeclaration.provider_id == ranked.c.provider_id,
                    LatestDeclaration.professional_id == ranked.c.professional_id,
                    *latest_narrowed,
                ),
            )
            .where(*counted)
            .offset(0)
            .subquery("in_scope")
        )
    # An earlier day: the declarations themselves, up to it.
    narrowed: list[ColumnElement[bool]] = []
    if provider_id is not None:
        narrowed.append(Declaration.provider_id == provider_id)
    if id_range is not None:
        narrowed.append(Declaration.provider_id.between(*id_range))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite joins by nested loops only: one seek per person into the index
        # ix_declaration_provider_professional_date is the cheapest way.
        last = last_declared_on(ranked.c.provider_id, ranked.c.professional_id, as_of, *narrowed)
        statement = select(
            ranked.c.provider_id,
            ranked.c.professional_id,
            ranked.c.engagement_type,
            ranked.c.start_date,
            last.label("last_declared_on"),
        ).where(*counted)
        # OFFSET 0 keeps SQLite from flattening this into the outer query, which would copy the
        # correlated subquery into every CASE that reads it (measured: ten times slower).
        return statement.offset(0).subquery("in_scope")
    # PostgreSQL: the latest declaration per (provider, professional) grouped once, hash-joined.
    latest = (
        select(
            Declaration.provider_id,
            Declaration.professional_id,
            func.max(Declaration.declared_on).label("last_declared_on"),
        )
        .where(Declaration.declared_on <= as_of, *narrowed)
        .group_by(Declaration.provider_id, Declaration.professional_id)
        .subquery("latest")
    )
    return (
        select(
            ranked.c.provider_id,
            ranked.c.professional_id,
            ranked.c.engagement_type,
            ranked.c.start_date,
            latest.c.last_declared_on,
        )
        .outerjoin(
            latest,
            and_(
                latest.c.provider_id == ranked.c.provider_id,
                latest.c.professional_id == ranked.c.professional_id,
            ),
        )
        .where(*counted)
        .subquery("in_scope")
    )


def people_with_status(
    cutoffs: Cutoffs,
    provider_id: int | None = None,
    id_range: tuple[int, int] | None = None,
    *,
    kept: bool = True,
) -> Any:
    """`in_scope_people` with each person's status worked out once (OFFSET 0: not flattened)."""
    people = in_scope_people(cutoffs, provider_id, id_range, kept=kept)
    status = status_expression(people.c.last_declared_on, people.c.start_date, cutoffs)
    return select(people, status.label("status")).offset(0).subquery("people")
