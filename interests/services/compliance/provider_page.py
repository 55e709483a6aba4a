"""One provider's page for an inspector: its figures, the people missing or overdue, and a
12-month chart."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    CountedEngagement,
    Declaration,
    Engagement,
    LatestDeclaration,
    Provider,
)
from interests.rules.compliance import (
    DeclarationStatus,
    ProviderFigures,
    TypeFigures,
    rate,
)
from interests.services.compliance.overview import as_provider_row, overview_select, withheld_by_provider
from interests.services.compliance.terms import (
    MEMBER_LIST_LIMIT,
    TYPE_CODES,
    OverviewQuery,
    ProviderRow,
)
from interests.services.disclosure.staff import undeclared_by_provider
from interests.services.scope import (
    Cutoffs,
    active_on,
    counts_on,
    latest_answers,
    latest_declared_on,
    people_with_status,
)

# --- One provider -------------------------------------------------------------------------------


def provider_row(provider: Provider, query: OverviewQuery) -> ProviderRow:
    """The overview's figures for one provider (the same query, narrowed to it)."""
    statement, _ = overview_select(query, provider.id)
    row = db.session.execute(statement).one()
    return as_provider_row(row, query)


@dataclass(frozen=True)
class ProviderSummary:
    """One provider's figures on a date, live, and how many people are in each (type, status)."""

    row: ProviderRow
    group_totals: dict[tuple[str, DeclarationStatus], int]


def provider_summary(provider: Provider, query: OverviewQuery, *, kept: bool = True) -> ProviderSummary:
    """The provider page's figures: what `provider_row` gives, from one pass over its people.

    The people in scope are grouped by (engagement type, status): those counts add up to every
    figure of the row, and also say how long each "missing" and "overdue" list is, so the lists
    need not count again. Withholdings and industry payments not declared are a small indexed
    query each; the register's own timestamp is the provider's, as it stood on `as_of`. The people
    are read from `counted_engagement` where it answers (`scope.in_scope_people`; `kept=False`:
    worked out live).
    """
    cutoffs = Cutoffs.for_date(query.as_of)
    people = people_with_status(cutoffs, provider.id, kept=kept)
    groups: dict[tuple[str, DeclarationStatus], int] = {}
    last_declared_on: date | None = None
    for found in db.session.execute(
        select(
            people.c.engagement_type,
            people.c.status,
            func.count().label("people"),
            func.max(people.c.last_declared_on).label("last_declared_on"),
        ).group_by(people.c.engagement_type, people.c.status)
    ):
        groups[(found.engagement_type, DeclarationStatus(found.status))] = int(found.people)
        if found.last_declared_on is not None and (
            last_declared_on is None or found.last_declared_on > last_declared_on
        ):
            last_declared_on = found.last_declared_on
    withheld = withheld_by_provider(cutoffs, id_range=(provider.id, provider.id))
    withheld_count = int(db.session.scalar(select(func.coalesce(func.sum(withheld.c.withheld), 0))) or 0)
    payments = undeclared_by_provider(query.as_of, cutoffs.published_before, (provider.id, provider.id))
    payments_count = int(
        db.session.scalar(select(func.coalesce(func.sum(payments.c.undeclared_payments), 0))) or 0
    )

    def count(engagement_type: str | None = None, status: DeclarationStatus | None = None) -> int:
        return sum(
            n
            for (code, state), n in groups.items()
            if engagement_type in (None, code) and status in (None, state)
        )

    published = provider.register_updated_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    if published is not None and published >= cutoffs.published_before:
        published = None
    if last_declared_on is not None:
        as_datetime = datetime.combine(last_declared_on, time.min, tzinfo=UTC)
        if published is None or as_datetime > published:
            published = as_datetime
    figures = ProviderFigures(
        in_scope=count(),
        declared=count(status=DeclarationStatus.DECLARED),
        due=count(status=DeclarationStatus.DUE),
        overdue=count(status=DeclarationStatus.OVERDUE),
        missing=count(status=DeclarationStatus.MISSING),
        by_type={
            code: TypeFigures(count(code), count(code, DeclarationStatus.DECLARED)) for code in TYPE_CODES
        },
        withheld=withheld_count,
        register_last_published=published,
        undeclared_payments=payments_count,
    )
    row = ProviderRow(
        provider_id=provider.id,
        slug=provider.slug,
        name=provider.name,
        cqc_provider_id=provider.cqc_provider_id,
        ods_code=provider.ods_code,
        region=provider.region,
        kind=provider.kind,
        figures=figures,
        rating=rate(figures, query.meets_percent, query.requires_improvement_percent),
    )
    return ProviderSummary(row=row, group_totals=groups)


@dataclass(frozen=True)
class Person:
    professional_id: int
    name: str
    registration: str
    engagement_type: str
    role: str
    start_date: date
    last_declared_on: date | None


@dataclass
class PeopleList:
    """Who is missing or overdue for one engagement type: the first few, and how many in all."""

    engagement_type: str
    status: DeclarationStatus
    total: int = 0
    people: list[Person] = field(default_factory=list)


ATTENTION_STATUSES: tuple[DeclarationStatus, ...] = (DeclarationStatus.MISSING, DeclarationStatus.OVERDUE)


def _attention_statement(
    provider_id: int,
    cutoffs: Cutoffs,
    engagement_type: str,
    status: DeclarationStatus,
    latest: bool | None = None,
    kept: bool = True,
) -> Select[int, str, date, str, date]:
    """The people of one engagement type who are `status` (missing or overdue) at a provider on
    `cutoffs.as_of`, in the order they started (then by professional id), without paging.

    Rather than work out everyone's status and number them, this walks the provider's engagements
    of that type in start order (index ix_engagement_provider_type_start) and keeps the ones that
    count, so a page of LIMIT rows stops reading as soon as it is full:

    - the engagement is active on `as_of` and is the one that counts for that professional there
      (no active engagement of theirs at this provider started earlier, or the same day with a lower
      id: as `scope.in_scope_people` ranks them);
    - `scope.status_expression`, taken apart for the two statuses listed: MISSING is "no declaration to
      this provider on or before `as_of`, and started on or before `started_after`"; OVERDUE is "a
      last declaration before `due_from`, and started on or before `started_after`" (a declaration
      on or after `due_from` is DUE or DECLARED; a recent start is DUE). The last declaration is
      read from `latest_declaration` when it answers `as_of` (`scope.latest_answers`, or `latest`
      when the caller has asked it already).

    Where `latest_declaration` answers and `kept` holds, the list is read from `counted_engagement`
    instead (`_kept_attention_statement`): the same people in the same order.

    tests/db/test_compliance_queries.py checks the lists against the rules' statuses.
    """
    if status not in ATTENTION_STATUSES:
        raise ValueError(f"Only missing and overdue people are listed, not {status!r}")
    as_of = cutoffs.as_of
    answers = latest_answers(as_of, provider_id) if latest is None else latest
    if kept and answers:
        return _kept_attention_statement(provider_id, cutoffs, engagement_type, status)
    earlier = aliased(Engagement, name="earlier")
    counted = ~exists().where(
        earlier.provider_id == Engagement.provider_id,
        earlier.professional_id == Engagement.professional_id,
        active_on(earlier, as_of),
        or_(
            earlier.start_date < Engagement.start_date,
            and_(earlier.start_date == Engagement.start_date, earlier.id < Engagement.id),
        ),
    )
    if answers:
        # One primary-key lookup in latest_declaration per engagement walked.
        last_declared_on = latest_declared_on(Engagement.provider_id, Engagement.professional_id)
        # "Never declared" as NOT EXISTS rather than "the lookup IS NULL": PostgreSQL estimates an
        # anti-join from the tables' statistics, but a subquery's IS NULL at 0.5%, and expecting so
        # few it sorted every one of a type's engagements rather than walk them in order (measured:
        # 150 ms against 6 ms for one list at a provider with 134,000 engagements).
        has_status: ColumnElement[bool] = (
            ~exists().where(
                LatestDeclaration.provider_id == Engagement.provider_id,
                LatestDeclaration.professional_id == Engagement.professional_id,
            )
            if status is DeclarationStatus.MISSING
            else last_declared_on < cutoffs.due_from
        )
    else:  # an earlier day than someone's latest declaration: the declarations up to it
        declared_by = and_(
            Declaration.provider_id == provider_id,
            Declaration.professional_id == Engagement.professional_id,
            Declaration.declared_on <= as_of,
        )
        last_declared_on = select(func.max(Declaration.declared_on)).where(declared_by).scalar_subquery()
        if status is DeclarationStatus.MISSING:
            has_status = ~exists().where(declared_by)
        else:
            has_status = last_declared_on < cutoffs.due_from
    return (
        select(
            Engagement.professional_id,
            Engagement.engagement_type,
            Engagement.start_date,
            Engagement.role,
            last_declared_on.label("last_declared_on"),
        )
        .where(
            Engagement.provider_id == provider_id,
            Engagement.engagement_type == engagement_type,
            Engagement.start_date <= cutoffs.started_after,  # a recent start is due, never listed
            or_(Engagement.end_date.is_(None), Engagement.end_date >= as_of),
            counted,
            has_status,
        )
        .order_by(Engagement.start_date, Engagement.professional_id)
    )


def _kept_attention_statement(
    provider_id: int, cutoffs: Cutoffs, engagement_type: str, status: DeclarationStatus
) -> Select[int, str, date, str, date]:
    """`_attention_statement` read from `counted_engagement`: the rows whose span holds the day, of
    one type in start order (ix_counted_engagement_provider_type_start), MISSING with no
    declaration and OVERDUE with one before `due_from`, neither started recently; the role is the
    engagement's that counts, looked up only for the rows listed."""
    kept = CountedEngagement
    has_status = (
        kept.declared_on.is_(None)
        if status is DeclarationStatus.MISSING
        else kept.declared_on < cutoffs.due_from
    )
    statement = (
        select(
            kept.professional_id,
            kept.engagement_type,
            kept.start_date,
            Engagement.role,
            kept.declared_on.label("last_declared_on"),
        )
        .join(Engagement, Engagement.id == kept.engagement_id)
        .where(
            kept.provider_id == provider_id,
            kept.engagement_type == engagement_type,
            kept.start_date <= cutoffs.started_after,  # a recent start is due, never listed
            counts_on(cutoffs.as_of),
            has_status,
        )
        .order_by(kept.start_date, kept.professional_id)
    )
    # The live statement's last declaration is a scalar subquery, typed as its column.
    return cast(Select[int, str, date, str, date], statement)


def _people_from_rows(rows: Iterator[Any]) -> Iterator[tuple[Any, Person]]:
    from interests.models import Professional

    found = list(rows)
    names = {
        person.id: person
        for person in db.session.execute(
            select(
                Professional.id,
                Professional.title,
                Professional.given_name,
                Professional.family_name,
                Professional.regulator,
                Professional.registration_number,
            ).where(Professional.id.in_({row.professional_id for row in found}))
        )
    }
    for row in found:
        who = names[row.professional_id]
        name = f"{who.given_name} {who.family_name}"
        yield (
            row,
            Person(
                professional_id=row.professional_id,
                name=f"{who.title} {name}" if who.title else name,
                registration=f"{who.regulator} {who.registration_number}",
                engagement_type=row.engagement_type,
                role=row.role or "",
                start_date=row.start_date,
                last_declared_on=row.last_declared_on,
            ),
        )


def people_needing_attention(
    provider: Provider,
    as_of: date,
    limit: int = MEMBER_LIST_LIMIT,
    group_totals: dict[tuple[str, DeclarationStatus], int] | None = None,
    *,
    kept: bool = True,
) -> dict[tuple[str, DeclarationStatus], PeopleList]:
    """Who is missing or overdue at a provider, by engagement type, the first `limit` of each.

    `group_totals` (from `provider_summary`) says how many each list has; without it they are
    counted first. One statement then fetches every non-empty list's first `limit` names: a UNION
    ALL of `_attention_statement`s, each stopping once it has `limit` rows.
    """
    cutoffs = Cutoffs.for_date(as_of)
    if group_totals is None:
        people = people_with_status(cutoffs, provider.id, kept=kept)
        group_totals = {
            (row.engagement_type, DeclarationStatus(row.status)): int(row.people)
            for row in db.session.execute(
                select(people.c.engagement_type, people.c.status, func.count().label("people"))
                .where(people.c.status.in_([status.value for status in ATTENTION_STATUSES]))
                .group_by(people.c.engagement_type, people.c.status)
            )
        }
    lists: dict[tuple[str, DeclarationStatus], PeopleList] = {}
    parts: list[Any] = []
    latest = latest_answers(as_of, provider.id)
    for code in TYPE_CODES:
        for status in ATTENTION_STATUSES:
            total = group_totals.get((code, status), 0)
            lists[(code, status)] = PeopleList(code, status, total=total)
            if total:
                walk = _attention_statement(provider.id, cutoffs, code, status, latest, kept).limit(limit)
                part = walk.subquery(f"part_{len(parts)}")
                parts.append(select(part, literal(status.value).label("status")))
    if parts:
        statement: Any = union_all(*parts) if len(parts) > 1 else parts[0]
        rows = db.session.execute(statement)
        for row, person in _people_from_rows(rows):
            lists[(row.engagement_type, DeclarationStatus(row.status))].people.append(person)
        for entry in lists.values():  # UNION ALL keeps no order across its parts
            entry.people.sort(key=lambda person: (person.start_date, person.professional_id))
    return lists


def people_page(
    provider: Provider,
    as_of: date,
    engagement_type: str,
    status: DeclarationStatus,
    page: int,
    page_size: int,
    *,
    kept: bool = True,
) -> list[Person]:
    """One page of one "missing" or "overdue" list (pages of `page_size`, in start order)."""
    statement = _attention_statement(provider.id, Cutoffs.for_date(as_of), engagement_type, status, kept=kept)
    rows = db.session.execute(statement.limit(page_size).offset((max(page, 1) - 1) * page_size))
    return [person for _, person in _people_from_rows(rows)]


@dataclass(frozen=True)
class MonthPoint:
    """% declared at a provider at the end of one month."""

    day: date
    in_scope: int
    declared: int

    @property
    def percent(self) -> float | None:
        return None if self.in_scope == 0 else self.declared * 100 / self.in_scope


def month_ends(as_of: date, months: int = 12) -> list[date]:
    """The last day of each of the `months` months up to `as_of` (the current month ends at as_of)."""
    days: list[date] = []
    first_of_month = as_of.replace(day=1)
    days.append(as_of)
    for _ in range(months - 1):
        last_of_previous = first_of_month - timedelta(days=1)
        days.append(last_of_previous)
        first_of_month = last_of_previous.replace(day=1)
    return list(reversed(days))


def trend(
    provider: Provider, as_of: date, months: int = 12, latest: MonthPoint | None = None
) -> list[MonthPoint]:
    """% declared at the end of each of the last `months` months.

    Month ends before `as_of` that have a finished snapshot are read from it (one query). `latest`,
    when given, is the point for `as_of` itself (the page has just worked it out live). Every other
    day is worked out live, all of them together by `_declared_on_days`.
    """
    days = month_ends(as_of, months)
    stored = {
        row.as_of: MonthPoint(day=row.as_of, in_scope=int(row.in_scope), declared=int(row.declared))
        for row in db.session.execute(
            select(ComplianceSnapshot.as_of, ComplianceSnapshot.in_scope, ComplianceSnapshot.declared)
            .join(ComplianceSnapshotRun, ComplianceSnapshotRun.as_of == ComplianceSnapshot.as_of)
            .where(
                ComplianceSnapshot.provider_id == provider.id,
                ComplianceSnapshot.as_of.in_(days[:-1]),
                ComplianceSnapshotRun.finished_at.is_not(None),
            )
        )
    }
    if latest is not None:
        stored[as_of] = MonthPoint(day=as_of, in_scope=latest.in_scope, declared=latest.declared)
    live = _declared_on_days(provider.id, [day for day in days if day not in stored])
    return [stored.get(day) or live[day] for day in days]


def _declared_on_days(provider_id: int, days: Sequence[date]) -> dict[date, MonthPoint]:
    """How many people were in scope at a provider, and how many had declared, on each of `days`.

    Two grouped passes answer every day at once, whatever their number: the provider's engagements
    grouped by professional (in scope on each day: any engagement active on it), and its
    declarations grouped by professional (declared on each day: a declaration dated from that
    day's `declared_from` up to the day). This is exactly the rules' count: someone is declared
    when their last declaration on or before the day is on or after `declared_from`, and that last
    one is in the window if and only if any one is. Which engagement counts (and so its type and
    start date) does not change these two numbers, so no ranking is needed.
    """
    if not days:
        return {}
    cutoffs = [Cutoffs.for_date(day) for day in days]
    active = (
        select(
            Engagement.professional_id,
            *(
                func.max(
                    case(
                        (active_on(Engagement, day), 1),
                        else_=0,
                    )
                ).label(f"active_{index}")
                for index, day in enumerate(days)
            ),
        )
        .where(
            Engagement.provider_id == provider_id,
            Engagement.start_date <= max(days),
            or_(Engagement.end_date.is_(None), Engagement.end_date >= min(days)),
        )
        .group_by(Engagement.professional_id)
        .subquery("active")
    )
    declared = (
        select(
            Declaration.professional_id,
            *(
                func.max(
                    case((Declaration.declared_on.between(cut.declared_from, cut.as_of), 1), else_=0)
                ).label(f"declared_{index}")
                for index, cut in enumerate(cutoffs)
            ),
        )
        .where(
            Declaration.provider_id == provider_id,
            Declaration.declared_on.between(min(cut.declared_from for cut in cutoffs), max(days)),
        )
        .group_by(Declaration.professional_id)
        .subquery("declared")
    )
    columns: list[Any] = []
    for index in range(len(days)):
        is_active = active.c[f"active_{index}"]
        has_declared = func.coalesce(declared.c[f"declared_{index}"], 0)
        columns.append(func.coalesce(func.sum(is_active), 0))
        columns.append(func.coalesce(func.sum(is_active * has_declared), 0))
    # PostgreSQL cannot tell that both sides are one row per professional, so it expects the join
    # to give billions of rows: JIT would spend seconds compiling a query that takes a fraction of
    # one (measured at 30,000 providers). The app's connections never JIT (extensions.py).
    row = db.session.execute(
        select(*columns).select_from(
            active.outerjoin(declared, declared.c.professional_id == active.c.professional_id)
        )
    ).one()
    return {
        day: MonthPoint(day=day, in_scope=int(row[2 * index]), declared=int(row[2 * index + 1]))
        for index, day in enumerate(days)
    }
