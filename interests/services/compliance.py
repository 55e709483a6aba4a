"""Compliance figures for every provider on any date, computed by the database.

The rules live in `interests.rules.compliance` (pure Python, one engagement at a time). This module
asks the database the same question for all providers at once, with one grouped query, so the
inspectors' overview stays fast at national size. `tests/db/test_compliance_queries.py` proves the
two agree, engagement by engagement.

How the rules become SQL:

- In scope on `as_of`: an engagement with start_date <= as_of and (no end_date or end_date >= as_of).
- A professional counts once per provider. With two engagements active at one provider on `as_of`,
  the one that started first (then the lowest id) is theirs: its start date and its engagement type
  are used. (Someone who is both an employee and bank staff at one trust is one person to declare.)
- The last declaration is the latest one to that provider dated on or before `as_of`.
- The calendar-month anniversary (29 February + 12 months = 28 February) cannot be written portably
  in SQL, so the cut-off dates are worked out in Python with the rules' own `anniversary_of` and
  passed as parameters: "declared" is `last >= declared_from`, where declared_from is the earliest
  declaration date whose anniversary is after `as_of`. Because the anniversary only ever moves
  forward as the declaration date does, that one comparison is exactly the rules' `as_of <
  anniversary_of(last)`. Likewise for the 28 days after an anniversary (`due_from`) and after a start.

Snapshots: at national size the aggregate takes seconds (PostgreSQL) to minutes (SQLite), so
`take_snapshot` (run nightly: `flask --app interests compliance snapshot`) stores its result for a
date, one row per provider (`ComplianceSnapshot`), and records the run as finished. The overview and
its export read a date's snapshot when its run has finished, and the same filters, sorting, ratings
and totals are applied to the stored figures in SQL; otherwise they aggregate live, as before.

The provider page (`provider_summary`, `trend`, `people_needing_attention`) stays live for its date:
one grouped pass over the provider's people gives every figure and the length of each "missing"
and "overdue" list; each list's first page is read in start order from an index and stops once
full; the 12-month chart reuses the page's own figures for its last day, reads earlier month ends
from their snapshots where a finished one exists, and works out any others together in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter as _perf_counter
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from interests import clock
from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    Declaration,
    DeclarationItem,
    Engagement,
    InterestVersion,
    Provider,
    WithholdingRequest,
)
from interests.rules.compliance import (
    DECLARE_WITHIN_DAYS,
    DeclarationStatus,
    ProviderFigures,
    Rating,
    TypeFigures,
    anniversary_of,
    rate,
)
from interests.rules.vocabulary import ENGAGEMENT_TYPES, PROVIDER_KIND_BY_CODE, REGION_BY_CODE

TYPE_CODES: tuple[str, ...] = tuple(term.code for term in ENGAGEMENT_TYPES)
MAX_SEARCH_LENGTH = 200  # characters; longer than any provider name, CQC ID or ODS code
MEMBER_LIST_LIMIT = 50  # people listed per engagement type and status on a provider page


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


# --- Filters and sorting ------------------------------------------------------------------------

SORT_COLUMNS: tuple[str, ...] = (
    "name",
    "in_scope",
    "percent_declared",
    *(f"percent_{code}" for code in TYPE_CODES),
    "due",
    "overdue",
    "missing",
    "withheld",
    "published",
    "rating",
)
# How ratings sort, worst first: an inspector looks for the providers that need attention.
RATING_ORDER: tuple[Rating, ...] = (
    Rating.INADEQUATE,
    Rating.REQUIRES_IMPROVEMENT,
    Rating.MEETS_EXPECTATIONS,
    Rating.NO_STAFF,
)


@dataclass(frozen=True)
class OverviewQuery:
    """What the inspector asked for: a date, filters, a search, an order and a page."""

    as_of: date
    region: str = ""
    kind: str = ""
    rating: str = ""
    search: str = ""
    sort: str = "name"
    descending: bool = False
    meets_percent: float = 95
    requires_improvement_percent: float = 75

    def __post_init__(self) -> None:
        if self.region and self.region not in REGION_BY_CODE:
            raise ValueError(f"Unknown region {self.region!r}")
        if self.kind and self.kind not in PROVIDER_KIND_BY_CODE:
            raise ValueError(f"Unknown provider kind {self.kind!r}")
        if self.rating and self.rating not in {r.value for r in Rating}:
            raise ValueError(f"Unknown rating {self.rating!r}")
        if self.sort not in SORT_COLUMNS:
            raise ValueError(f"Unknown sort column {self.sort!r}")


@dataclass(frozen=True)
class ProviderRow:
    """One provider's line in the overview."""

    provider_id: int
    slug: str
    name: str
    cqc_provider_id: str | None
    ods_code: str | None
    region: str
    kind: str
    figures: ProviderFigures
    rating: Rating

    @property
    def percent_declared(self) -> float | None:
        return self.figures.percent_declared


@dataclass(frozen=True)
class Totals:
    """The filtered set added up (percentages are of everyone in scope in the set)."""

    providers: int
    figures: ProviderFigures


@dataclass(frozen=True)
class OverviewPage:
    rows: list[ProviderRow]
    totals: Totals
    page: int
    pages: int
    page_size: int
    calculated_at: datetime | None = None  # when the snapshot read was taken; None: just now, live


# --- The query ----------------------------------------------------------------------------------


def _in_scope_people(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    """One row per professional in scope at each provider: type, start and last declaration.

    A professional's engagements at one provider are numbered by start date (then id) and only the
    first is kept. The covering index ix_engagement_provider_professional_start gives the window
    its order without a sort. `provider_id` narrows everything to one provider, `id_range` to the
    providers with ids from its first to its last (inclusive; the nightly snapshot goes in chunks).
    """
    engagement = Engagement
    as_of = cutoffs.as_of
    conditions: list[ColumnElement[bool]] = [
        engagement.start_date <= as_of,
        or_(engagement.end_date.is_(None), engagement.end_date >= as_of),
    ]
    if provider_id is not None:
        conditions.append(engagement.provider_id == provider_id)
    if id_range is not None:
        conditions.append(engagement.provider_id.between(*id_range))
    ranked = (
        select(
            engagement.provider_id,
            engagement.professional_id,
            engagement.engagement_type,
            engagement.start_date,
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
    declared_by = [Declaration.declared_on <= as_of]
    if provider_id is not None:
        declared_by.append(Declaration.provider_id == provider_id)
    if id_range is not None:
        declared_by.append(Declaration.provider_id.between(*id_range))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite joins by nested loops only: one seek per person into the index
        # ix_declaration_provider_professional_date is the cheapest way.
        last_declared_on = (
            select(func.max(Declaration.declared_on))
            .where(
                Declaration.provider_id == ranked.c.provider_id,
                Declaration.professional_id == ranked.c.professional_id,
                *declared_by,
            )
            .correlate(ranked)
            .scalar_subquery()
        )
        statement = select(
            ranked.c.provider_id,
            ranked.c.professional_id,
            ranked.c.engagement_type,
            ranked.c.start_date,
            last_declared_on.label("last_declared_on"),
        ).where(ranked.c.position == 1)
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
        .where(*declared_by)
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
        .where(ranked.c.position == 1)
        .subquery("in_scope")
    )


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


def _count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _people_with_status(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    """`_in_scope_people` with each person's status worked out once (OFFSET 0: not flattened)."""
    people = _in_scope_people(cutoffs, provider_id, id_range)
    status = status_expression(people.c.last_declared_on, people.c.start_date, cutoffs)
    return select(people, status.label("status")).offset(0).subquery("people")


def _figures_by_provider(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    people = _people_with_status(cutoffs, provider_id, id_range)
    status = people.c.status
    columns: list[Any] = [
        people.c.provider_id,
        func.count().label("in_scope"),
        func.max(people.c.last_declared_on).label("last_declared_on"),
    ]
    for state in DeclarationStatus:
        columns.append(_count_where(status == state.value).label(state.value))
    for code in TYPE_CODES:
        of_type = people.c.engagement_type == code
        columns.append(_count_where(of_type).label(f"in_scope_{code}"))
        columns.append(
            _count_where(and_(of_type, status == DeclarationStatus.DECLARED.value)).label(f"declared_{code}")
        )
    return select(*columns).group_by(people.c.provider_id).subquery("figures")


def _withheld_by_provider(cutoffs: Cutoffs, id_range: tuple[int, int] | None = None) -> Any:
    """Approved withholdings in force on `as_of` for interests declared to that provider by then."""
    on_register = (
        exists()
        .where(
            InterestVersion.interest_id == WithholdingRequest.interest_id,
            DeclarationItem.interest_version_id == InterestVersion.id,
            Declaration.id == DeclarationItem.declaration_id,
            Declaration.provider_id == WithholdingRequest.provider_id,
            Declaration.declared_on <= cutoffs.as_of,
        )
        .correlate(WithholdingRequest)
    )
    return (
        select(WithholdingRequest.provider_id, func.count().label("withheld"))
        .where(
            WithholdingRequest.status == "approved",
            WithholdingRequest.decided_at < cutoffs.published_before,
            on_register,
            *([WithholdingRequest.provider_id.between(*id_range)] if id_range is not None else []),
        )
        .group_by(WithholdingRequest.provider_id)
        .subquery("withheld")
    )


def _overview_select(
    query: OverviewQuery,
    provider_id: int | None = None,
    *,
    snapshot: bool = False,
    id_range: tuple[int, int] | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """The grouped query behind every overview page and the export, without paging.

    With `provider_id`, the same query narrowed to one provider from the start; with `id_range`,
    to the providers with ids in that range (inclusive). With `snapshot`, the figures are read from
    the stored snapshot of `query.as_of` (which the caller has checked is complete) instead of
    being aggregated: the filters, sorting, rating and totals are the same SQL either way.
    """
    cutoffs = Cutoffs.for_date(query.as_of)
    zero = literal(0)
    if snapshot:
        stored = select(ComplianceSnapshot).where(ComplianceSnapshot.as_of == query.as_of).subquery("figures")
        figures = withheld = stored
        withheld_count = stored.c.withheld
        register_updated_at: Any = stored.c.register_updated_at
    else:
        figures = _figures_by_provider(cutoffs, provider_id, id_range)
        withheld = _withheld_by_provider(cutoffs, id_range)
        withheld_count = withheld.c.withheld
        register_updated_at = case(
            (Provider.register_updated_at < cutoffs.published_before, Provider.register_updated_at),
            else_=None,
        )

    def figure(name: str) -> Any:
        return func.coalesce(figures.c[name], zero)

    in_scope = figure("in_scope")
    declared = figure(DeclarationStatus.DECLARED.value)
    last_declared_on = figures.c.last_declared_on
    published = or_(register_updated_at.is_not(None), last_declared_on.is_not(None))
    rating = case(
        (in_scope == 0, literal(Rating.NO_STAFF.value)),
        (
            and_(published, declared * 100 >= in_scope * query.meets_percent),
            literal(Rating.MEETS_EXPECTATIONS.value),
        ),
        (
            declared * 100 >= in_scope * query.requires_improvement_percent,
            literal(Rating.REQUIRES_IMPROVEMENT.value),
        ),
        else_=literal(Rating.INADEQUATE.value),
    )

    def percent(part: Any, whole: Any) -> Any:
        return case((whole == 0, None), else_=part * literal(100.0, Float) / whole)

    columns: dict[str, Any] = {
        "provider_id": Provider.id,
        "slug": Provider.slug,
        "name": Provider.name,
        "cqc_provider_id": Provider.cqc_provider_id,
        "ods_code": Provider.ods_code,
        "region": Provider.region,
        "kind": Provider.kind,
        "in_scope": in_scope,
        "declared": declared,
        "due": figure(DeclarationStatus.DUE.value),
        "overdue": figure(DeclarationStatus.OVERDUE.value),
        "missing": figure(DeclarationStatus.MISSING.value),
        "withheld": func.coalesce(withheld_count, zero),
        "register_updated_at": register_updated_at,
        "last_declared_on": last_declared_on,
        "rating": rating,
    }
    for code in TYPE_CODES:
        columns[f"in_scope_{code}"] = figure(f"in_scope_{code}")
        columns[f"declared_{code}"] = figure(f"declared_{code}")

    sort_keys: dict[str, Any] = {
        "name": func.lower(Provider.name),
        "in_scope": in_scope,
        "percent_declared": percent(declared, in_scope),
        "due": columns["due"],
        "overdue": columns["overdue"],
        "missing": columns["missing"],
        "withheld": columns["withheld"],
        # The later of the two dates; ISO text on SQLite and date/timestamp on PostgreSQL compare
        # correctly either way.
        "published": case(
            (register_updated_at.is_(None), last_declared_on),
            (last_declared_on.is_(None), register_updated_at),
            (register_updated_at >= last_declared_on, register_updated_at),
            else_=last_declared_on,
        ),
        "rating": case(
            *((rating == value.value, literal(index)) for index, value in enumerate(RATING_ORDER)),
            else_=literal(len(RATING_ORDER)),
        ),
    }
    for code in TYPE_CODES:
        sort_keys[f"percent_{code}"] = percent(columns[f"declared_{code}"], columns[f"in_scope_{code}"])

    conditions: list[ColumnElement[bool]] = [true()]
    if provider_id is not None:
        conditions.append(Provider.id == provider_id)
    if id_range is not None:
        conditions.append(Provider.id.between(*id_range))
    if query.region:
        conditions.append(Provider.region == query.region)
    if query.kind:
        conditions.append(Provider.kind == query.kind)
    if query.rating:
        conditions.append(rating == query.rating)
    search = query.search.strip()[:MAX_SEARCH_LENGTH]
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                func.lower(Provider.name).like(f"%{escaped}%", escape="\\"),
                func.lower(Provider.cqc_provider_id) == search.lower(),
                func.lower(Provider.ods_code) == search.lower(),
            )
        )

    key = sort_keys[query.sort]
    key_order = key.desc() if query.descending else key.asc()
    # Empty values (no one in scope, never published) go last in both directions, the same on
    # SQLite and PostgreSQL; ties are broken by name then id so paging is stable.
    ordering = [case((key.is_(None), 1), else_=0), key_order, func.lower(Provider.name), Provider.id]

    statement = select(*(expression.label(name) for name, expression in columns.items())).select_from(
        Provider
    )
    if snapshot:
        # The providers as they stood when the snapshot was taken (one row each).
        statement = statement.join(figures, figures.c.provider_id == Provider.id)
    else:
        statement = statement.outerjoin(figures, figures.c.provider_id == Provider.id).outerjoin(
            withheld, withheld.c.provider_id == Provider.id
        )
    statement = statement.where(*conditions).order_by(*ordering)
    return statement, columns


def _figures_from_row(row: Any) -> ProviderFigures:
    published: datetime | None = row.register_updated_at
    last_declared_on: date | None = row.last_declared_on
    if last_declared_on is not None:
        as_datetime = datetime.combine(last_declared_on, time.min, tzinfo=UTC)
        if published is None or as_datetime > published:
            published = as_datetime
    return ProviderFigures(
        in_scope=row.in_scope,
        declared=row.declared,
        due=row.due,
        overdue=row.overdue,
        missing=row.missing,
        by_type={
            code: TypeFigures(row._mapping[f"in_scope_{code}"], row._mapping[f"declared_{code}"])
            for code in TYPE_CODES
        },
        withheld=row.withheld,
        register_last_published=published,
    )


def _provider_row(row: Any, query: OverviewQuery) -> ProviderRow:
    figures = _figures_from_row(row)
    rating = rate(figures, query.meets_percent, query.requires_improvement_percent)
    return ProviderRow(
        provider_id=row.provider_id,
        slug=row.slug,
        name=row.name,
        cqc_provider_id=row.cqc_provider_id,
        ods_code=row.ods_code,
        region=row.region,
        kind=row.kind,
        figures=figures,
        rating=rating,
    )


_TOTAL_NAMES = ("in_scope", "declared", "due", "overdue", "missing", "withheld") + tuple(
    f"{what}_{code}" for code in TYPE_CODES for what in ("in_scope", "declared")
)


def overview_page(
    query: OverviewQuery, page: int, page_size: int, *, use_snapshot: bool = True
) -> OverviewPage:
    """One page of the overview, the totals of the whole filtered set and the number of pages.

    Live, one statement: the grouped figures, filtered and sorted, with window totals on every
    row (so the costly aggregate runs once). From the date's finished snapshot, two cheap ones:
    the totals (SUM over the filtered rows, no sorting), then the page (a top-N sort). A page past
    the end shows the last page.
    """
    run = finished_snapshot(query.as_of) if use_snapshot else None
    statement, columns = _overview_select(query, snapshot=run is not None)
    page = max(page, 1)
    if run is not None:
        filtered = statement.order_by(None).subquery("overview")
        summed = (
            db.session.execute(
                select(
                    func.count().label("total_providers"),
                    *(func.sum(filtered.c[name]).label(f"total_{name}") for name in _TOTAL_NAMES),
                )
            )
            .one()
            ._mapping
        )
        providers = int(summed["total_providers"])
        totals_values = {name: int(summed[f"total_{name}"] or 0) for name in _TOTAL_NAMES}
        page = min(page, max(1, -(-providers // page_size)))
        rows = db.session.execute(statement.limit(page_size).offset((page - 1) * page_size)).all()
    else:
        base = statement.subquery("overview")
        windowed = select(
            base,
            func.count().over().label("total_providers"),
            *(func.sum(base.c[name]).over().label(f"total_{name}") for name in _TOTAL_NAMES),
        )
        rows = db.session.execute(windowed.limit(page_size).offset((page - 1) * page_size)).all()
        if not rows and page > 1:
            count = db.session.scalar(select(func.count()).select_from(base)) or 0
            page = max(1, -(-count // page_size))
            rows = db.session.execute(windowed.limit(page_size).offset((page - 1) * page_size)).all()
        if rows:
            first = rows[0]._mapping
            providers = int(first["total_providers"])
            totals_values = {name: int(first[f"total_{name}"] or 0) for name in _TOTAL_NAMES}
        else:
            providers = 0
            totals_values = dict.fromkeys(_TOTAL_NAMES, 0)
    totals = Totals(
        providers=providers,
        figures=ProviderFigures(
            in_scope=totals_values["in_scope"],
            declared=totals_values["declared"],
            due=totals_values["due"],
            overdue=totals_values["overdue"],
            missing=totals_values["missing"],
            withheld=totals_values["withheld"],
            by_type={
                code: TypeFigures(totals_values[f"in_scope_{code}"], totals_values[f"declared_{code}"])
                for code in TYPE_CODES
            },
        ),
    )
    return OverviewPage(
        rows=[_provider_row(row, query) for row in rows],
        totals=totals,
        page=page,
        pages=max(1, -(-providers // page_size)),
        page_size=page_size,
        calculated_at=run.finished_at if run is not None else None,
    )


def overview_rows(
    query: OverviewQuery, batch_size: int = 2000, *, use_snapshot: bool = True
) -> Iterator[ProviderRow]:
    """Every row of the filtered, sorted overview (all pages), fetched in batches (from the date's
    finished snapshot if there is one, else live)."""
    run = finished_snapshot(query.as_of) if use_snapshot else None
    statement, _ = _overview_select(query, snapshot=run is not None)
    result = db.session.execute(statement.execution_options(yield_per=batch_size))
    for row in result:
        yield _provider_row(row, query)


def rating_in_sql(query: OverviewQuery) -> dict[int, str]:
    """The rating the SQL computes for each provider (tests compare it with `rules.rate`)."""
    statement, columns = _overview_select(query)
    subquery = statement.subquery()
    return {
        row.provider_id: row.rating
        for row in db.session.execute(select(subquery.c.provider_id, subquery.c.rating))
    }


# --- One provider -------------------------------------------------------------------------------


def provider_row(provider: Provider, query: OverviewQuery) -> ProviderRow:
    """The overview's figures for one provider (the same query, narrowed to it)."""
    statement, _ = _overview_select(query, provider.id)
    row = db.session.execute(statement).one()
    return _provider_row(row, query)


@dataclass(frozen=True)
class ProviderSummary:
    """One provider's figures on a date, live, and how many people are in each (type, status)."""

    row: ProviderRow
    group_totals: dict[tuple[str, DeclarationStatus], int]


def provider_summary(provider: Provider, query: OverviewQuery) -> ProviderSummary:
    """The provider page's figures: what `provider_row` gives, from one pass over its people.

    The people in scope are grouped by (engagement type, status): those counts add up to every
    figure of the row, and also say how long each "missing" and "overdue" list is, so the lists
    need not count again. Withholdings are one small indexed query; the register's own timestamp is
    the provider's, as it stood on `as_of`.
    """
    cutoffs = Cutoffs.for_date(query.as_of)
    people = _people_with_status(cutoffs, provider.id)
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
    withheld = _withheld_by_provider(cutoffs, id_range=(provider.id, provider.id))
    withheld_count = int(db.session.scalar(select(func.coalesce(func.sum(withheld.c.withheld), 0))) or 0)

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
    provider_id: int, cutoffs: Cutoffs, engagement_type: str, status: DeclarationStatus
) -> Select[int, str, date, str, date]:
    """The people of one engagement type who are `status` (missing or overdue) at a provider on
    `cutoffs.as_of`, in the order they started (then by professional id), without paging.

    Rather than work out everyone's status and number them, this walks the provider's engagements
    of that type in start order (index ix_engagement_provider_type_start) and keeps the ones that
    count, so a page of LIMIT rows stops reading as soon as it is full:

    - the engagement is active on `as_of` and is the one that counts for that professional there
      (no active engagement of theirs at this provider started earlier, or the same day with a lower
      id: as `_in_scope_people` ranks them);
    - `status_expression`, taken apart for the two statuses listed: MISSING is "no declaration to
      this provider on or before `as_of`, and started on or before `started_after`"; OVERDUE is "a
      last declaration before `due_from`, and started on or before `started_after`" (a declaration
      on or after `due_from` is DUE or DECLARED; a recent start is DUE).

    tests/db/test_compliance_queries.py checks the lists against the rules' statuses.
    """
    if status not in ATTENTION_STATUSES:
        raise ValueError(f"Only missing and overdue people are listed, not {status!r}")
    as_of = cutoffs.as_of
    earlier = aliased(Engagement, name="earlier")
    counted = ~exists().where(
        earlier.provider_id == Engagement.provider_id,
        earlier.professional_id == Engagement.professional_id,
        earlier.start_date <= as_of,
        or_(earlier.end_date.is_(None), earlier.end_date >= as_of),
        or_(
            earlier.start_date < Engagement.start_date,
            and_(earlier.start_date == Engagement.start_date, earlier.id < Engagement.id),
        ),
    )
    declared_by = and_(
        Declaration.provider_id == provider_id,
        Declaration.professional_id == Engagement.professional_id,
        Declaration.declared_on <= as_of,
    )
    last_declared_on = select(func.max(Declaration.declared_on)).where(declared_by).scalar_subquery()
    if status is DeclarationStatus.MISSING:
        has_status: ColumnElement[bool] = ~exists().where(declared_by)
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
) -> dict[tuple[str, DeclarationStatus], PeopleList]:
    """Who is missing or overdue at a provider, by engagement type, the first `limit` of each.

    `group_totals` (from `provider_summary`) says how many each list has; without it they are
    counted first. One statement then fetches every non-empty list's first `limit` names: a UNION
    ALL of `_attention_statement`s, each stopping once it has `limit` rows.
    """
    cutoffs = Cutoffs.for_date(as_of)
    if group_totals is None:
        people = _people_with_status(cutoffs, provider.id)
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
    for code in TYPE_CODES:
        for status in ATTENTION_STATUSES:
            total = group_totals.get((code, status), 0)
            lists[(code, status)] = PeopleList(code, status, total=total)
            if total:
                walk = _attention_statement(provider.id, cutoffs, code, status).limit(limit)
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
) -> list[Person]:
    """One page of one "missing" or "overdue" list (pages of `page_size`, in start order)."""
    statement = _attention_statement(provider.id, Cutoffs.for_date(as_of), engagement_type, status)
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
                        (
                            and_(
                                Engagement.start_date <= day,
                                or_(Engagement.end_date.is_(None), Engagement.end_date >= day),
                            ),
                            1,
                        ),
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
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL cannot tell that both sides are one row per professional, so it expects the
        # join to give billions of rows and spends seconds JIT-compiling a query that takes a
        # fraction of one (measured at 30,000 providers). Only for this transaction.
        db.session.execute(text("SET LOCAL jit = off"))
    row = db.session.execute(
        select(*columns).select_from(
            active.outerjoin(declared, declared.c.professional_id == active.c.professional_id)
        )
    ).one()
    return {
        day: MonthPoint(day=day, in_scope=int(row[2 * index]), declared=int(row[2 * index + 1]))
        for index, day in enumerate(days)
    }


# --- CSV ----------------------------------------------------------------------------------------


def statuses_at(provider_id: int, as_of: date) -> dict[int, tuple[str, DeclarationStatus]]:
    """Each in-scope professional's (engagement type, status) at one provider, from the SQL."""
    people = _people_with_status(Cutoffs.for_date(as_of), provider_id)
    rows = db.session.execute(select(people.c.professional_id, people.c.engagement_type, people.c.status))
    return {row.professional_id: (row.engagement_type, DeclarationStatus(row.status)) for row in rows}


# --- Snapshots ----------------------------------------------------------------------------------

SNAPSHOT_CHUNK = 2000  # providers aggregated per statement while taking a snapshot

_SNAPSHOT_FIGURES = ("in_scope", "declared", "due", "overdue", "missing", "withheld") + tuple(
    f"{what}_{code}" for code in TYPE_CODES for what in ("in_scope", "declared")
)


def finished_snapshot(as_of: date) -> ComplianceSnapshotRun | None:
    """The finished snapshot run for `as_of`, or None (never a run still being written)."""
    return db.session.scalar(
        select(ComplianceSnapshotRun).where(
            ComplianceSnapshotRun.as_of == as_of, ComplianceSnapshotRun.finished_at.is_not(None)
        )
    )


def take_snapshot(
    as_of: date,
    chunk: int = SNAPSHOT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> ComplianceSnapshotRun:
    """Store every provider's figures on `as_of`, replacing any earlier snapshot of that date.

    The figures come from the live aggregate (`_overview_select`), read one chunk of provider ids
    at a time (`progress(done, total)` after each). Only then are the date's old rows and run
    deleted and the new ones written, with the run marked finished, all in the caller's
    transaction (the caller commits): the writing takes a second or so even at national size, so
    a SQLite database is not locked against other writers while the figures are worked out, and
    other sessions see the old snapshot, or none, until the new one is complete.
    """
    started = clock.now()
    timer = _perf_counter()
    ids = list(db.session.scalars(select(Provider.id).order_by(Provider.id)))
    query = OverviewQuery(as_of=as_of)
    names = ("provider_id", *_SNAPSHOT_FIGURES, "last_declared_on", "register_updated_at")
    rows: list[dict[str, Any]] = []
    step = max(chunk, 1)
    for start in range(0, len(ids), step):
        part = ids[start : start + step]
        statement, _ = _overview_select(query, id_range=(part[0], part[-1]))
        live = statement.order_by(None).subquery("live")
        for found in db.session.execute(select(*(live.c[name] for name in names))):
            values = dict(found._mapping)
            in_scope, declared = values["in_scope"], values["declared"]
            # Whole percent, rounded down, as the overview shows it (None: nobody in scope).
            values["percent_declared"] = None if in_scope == 0 else declared * 100 // in_scope
            values["as_of"] = as_of
            rows.append(values)
        if progress is not None:
            progress(start + len(part), len(ids))
    db.session.execute(delete(ComplianceSnapshot).where(ComplianceSnapshot.as_of == as_of))
    db.session.execute(delete(ComplianceSnapshotRun).where(ComplianceSnapshotRun.as_of == as_of))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(ComplianceSnapshot), rows[start : start + 5000])
    run = ComplianceSnapshotRun(
        as_of=as_of,
        started_at=started,
        providers=len(rows),
        finished_at=clock.now(),
        seconds=round(_perf_counter() - timer, 3),
    )
    db.session.add(run)
    db.session.flush()
    return run
