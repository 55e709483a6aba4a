"""The inspectors' overview: every provider's figures, filtered, rated, sorted and paged by the
database (from a finished snapshot for the day when there is one, else live)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    Declaration,
    DeclarationItem,
    InterestVersion,
    Provider,
    WithholdingRequest,
)
from interests.rules.compliance import (
    DeclarationStatus,
    ProviderFigures,
    Rating,
    TypeFigures,
    rate,
)
from interests.services.compliance.terms import (
    MAX_SEARCH_LENGTH,
    RATING_ORDER,
    TYPE_CODES,
    OverviewPage,
    OverviewQuery,
    ProviderRow,
    Totals,
)
from interests.services.disclosure.staff import undeclared_by_provider
from interests.services.scope import Cutoffs, people_with_status


def count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures_by_provider(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    people = people_with_status(cutoffs, provider_id, id_range)
    status = people.c.status
    columns: list[Any] = [
        people.c.provider_id,
        func.count().label("in_scope"),
        func.max(people.c.last_declared_on).label("last_declared_on"),
    ]
    for state in DeclarationStatus:
        columns.append(count_where(status == state.value).label(state.value))
    for code in TYPE_CODES:
        of_type = people.c.engagement_type == code
        columns.append(count_where(of_type).label(f"in_scope_{code}"))
        columns.append(
            count_where(and_(of_type, status == DeclarationStatus.DECLARED.value)).label(f"declared_{code}")
        )
    return select(*columns).group_by(people.c.provider_id).subquery("figures")


def withheld_by_provider(cutoffs: Cutoffs, id_range: tuple[int, int] | None = None) -> Any:
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


def overview_select(
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
        figures = withheld = payments = stored
        withheld_count = stored.c.withheld
        payments_count = stored.c.undeclared_payments
        register_updated_at: Any = stored.c.register_updated_at
    else:
        figures = _figures_by_provider(cutoffs, provider_id, id_range)
        withheld = withheld_by_provider(cutoffs, id_range)
        withheld_count = withheld.c.withheld
        # Narrowed to one provider as the figures are (its own range).
        payments = undeclared_by_provider(
            query.as_of,
            cutoffs.published_before,
            (provider_id, provider_id) if provider_id is not None else id_range,
        )
        payments_count = payments.c.undeclared_payments
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
        "undeclared_payments": func.coalesce(payments_count, zero),
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
        "undeclared_payments": columns["undeclared_payments"],
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
        statement = (
            statement.outerjoin(figures, figures.c.provider_id == Provider.id)
            .outerjoin(withheld, withheld.c.provider_id == Provider.id)
            .outerjoin(payments, payments.c.provider_id == Provider.id)
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
        undeclared_payments=row.undeclared_payments,
    )


def as_provider_row(row: Any, query: OverviewQuery) -> ProviderRow:
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


# The figures the overview adds up, and the nightly snapshot keeps, for each provider.
FIGURE_NAMES: tuple[str, ...] = (
    "in_scope",
    "declared",
    "due",
    "overdue",
    "missing",
    "withheld",
    "undeclared_payments",
    *(f"{what}_{code}" for code in TYPE_CODES for what in ("in_scope", "declared")),
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
    statement, columns = overview_select(query, snapshot=run is not None)
    page = max(page, 1)
    if run is not None:
        filtered = statement.order_by(None).subquery("overview")
        summed = (
            db.session.execute(
                select(
                    func.count().label("total_providers"),
                    *(func.sum(filtered.c[name]).label(f"total_{name}") for name in FIGURE_NAMES),
                )
            )
            .one()
            ._mapping
        )
        providers = int(summed["total_providers"])
        totals_values = {name: int(summed[f"total_{name}"] or 0) for name in FIGURE_NAMES}
        page = min(page, max(1, -(-providers // page_size)))
        rows = db.session.execute(statement.limit(page_size).offset((page - 1) * page_size)).all()
    else:
        base = statement.subquery("overview")
        windowed = select(
            base,
            func.count().over().label("total_providers"),
            *(func.sum(base.c[name]).over().label(f"total_{name}") for name in FIGURE_NAMES),
        )
        rows = db.session.execute(windowed.limit(page_size).offset((page - 1) * page_size)).all()
        if not rows and page > 1:
            count = db.session.scalar(select(func.count()).select_from(base)) or 0
            page = max(1, -(-count // page_size))
            rows = db.session.execute(windowed.limit(page_size).offset((page - 1) * page_size)).all()
        if rows:
            first = rows[0]._mapping
            providers = int(first["total_providers"])
            totals_values = {name: int(first[f"total_{name}"] or 0) for name in FIGURE_NAMES}
        else:
            providers = 0
            totals_values = dict.fromkeys(FIGURE_NAMES, 0)
    totals = Totals(
        providers=providers,
        figures=ProviderFigures(
            in_scope=totals_values["in_scope"],
            declared=totals_values["declared"],
            due=totals_values["due"],
            overdue=totals_values["overdue"],
            missing=totals_values["missing"],
            withheld=totals_values["withheld"],
            undeclared_payments=totals_values["undeclared_payments"],
            by_type={
                code: TypeFigures(totals_values[f"in_scope_{code}"], totals_values[f"declared_{code}"])
                for code in TYPE_CODES
            },
        ),
    )
    return OverviewPage(
        rows=[as_provider_row(row, query) for row in rows],
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
    statement, _ = overview_select(query, snapshot=run is not None)
    result = db.session.execute(statement.execution_options(yield_per=batch_size))
    for row in result:
        yield as_provider_row(row, query)


def rating_in_sql(query: OverviewQuery) -> dict[int, str]:
    """The rating the SQL computes for each provider (tests compare it with `rules.rate`)."""
    statement, columns = overview_select(query)
    subquery = statement.subquery()
    return {
        row.provider_id: row.rating
        for row in db.session.execute(select(subquery.c.provider_id, subquery.c.rating))
    }


def finished_snapshot(as_of: date) -> ComplianceSnapshotRun | None:
    """The finished snapshot run for `as_of`, or None (never a run still being written)."""
    return db.session.scalar(
        select(ComplianceSnapshotRun).where(
            ComplianceSnapshotRun.as_of == as_of, ComplianceSnapshotRun.finished_at.is_not(None)
        )
    )
