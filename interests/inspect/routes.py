"""The inspectors' compliance view: the overview, one provider, and the CSV export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from interests import clock
from interests.inspect.forms import OverviewFilterForm, parse_as_of
from interests.inspect.presenters import (
    COLUMNS,
    calculated_when,
    csv_header,
    csv_row,
    format_percent,
    overview_url,
    public_register_url,
    published_on,
    query_string,
    sort_headers,
)
from interests.pagination import pagination, requested_page
from interests.rules.compliance import DeclarationStatus, Rating
from interests.rules.text import without_controls
from interests.rules.vocabulary import ENGAGEMENT_TYPE_BY_CODE, ENGAGEMENT_TYPES
from interests.security import fresh_sign_in_required, roles_required
from interests.services import compliance, downloads, register, security_log
from interests.services.compliance import SORT_COLUMNS, OverviewQuery

bp = Blueprint("inspect", __name__, url_prefix="/inspect")


def _today() -> date:
    return clock.today()


def _thresholds() -> dict[str, Any]:
    return {
        "meets_percent": current_app.config["COMPLIANCE_MEETS_PERCENT"],
        "requires_improvement_percent": current_app.config["COMPLIANCE_REQUIRES_IMPROVEMENT_PERCENT"],
    }


def _read_overview_request() -> tuple[OverviewFilterForm, OverviewQuery, dict[str, str]]:
    """The filters from the query string; anything wrong is reported on the form and ignored."""
    form = OverviewFilterForm(request.args)
    if request.args:
        form.validate()
    as_of, problem = parse_as_of(request.args.get("as_of", ""), _today())
    if problem:
        form.as_of.errors = [*form.as_of.errors, problem]  # type: ignore[list-item]

    def clean(field: Any) -> str:
        return "" if field.errors else (field.data or "").strip()

    sort = request.args.get("sort", "name")
    if sort not in SORT_COLUMNS:
        sort = "name"
    descending = request.args.get("order") == "descending"
    query = OverviewQuery(
        as_of=as_of,
        region=clean(form.region),
        kind=clean(form.kind),
        rating=clean(form.rating),
        search=without_controls(clean(form.q)),  # PostgreSQL refuses a NUL: searched for as U+FFFD
        sort=sort,
        descending=descending,
        **_thresholds(),
    )
    # What the links on the page carry forward: only the values that were accepted.
    state = {
        "as_of": "" if problem else (request.args.get("as_of") or "").strip(),
        "region": query.region,
        "kind": query.kind,
        "rating": query.rating,
        "q": query.search,
        "sort": "" if sort == "name" else sort,
        "order": "descending" if descending else "",
    }
    return form, query, state


def _log_read(kind: str, detail: str) -> None:
    """Inspectors' reads of providers' compliance are logged (committed now: a read changes nothing else)."""
    security_log.record(kind, account=current_user._get_current_object(), detail=detail)


@bp.get("")
@roles_required("inspector", "system_admin")
def overview() -> Any:
    form, query, state = _read_overview_request()
    page_size = current_app.config["PAGE_SIZE"]
    result = compliance.overview_page(query, requested_page(), page_size)
    return render_template(
        "inspect/overview.html",
        form=form,
        query=query,
        result=result,
        calculated=calculated_when(result.calculated_at),
        state=state,
        columns=COLUMNS,
        headers=sort_headers(state),
        pagination=pagination(
            result.page,
            result.pages,
            lambda number: overview_url(state, page=number),
            label="Pages of providers",
            numbered=True,
        ),
        export_url="/inspect/export.csv" + query_string(state),
        engagement_types=ENGAGEMENT_TYPES,
        statuses=list(DeclarationStatus),
        ratings=[rating for rating in Rating],
        today=_today(),
        percent=format_percent,
        published_on=published_on,
        **_thresholds(),
    )


@bp.get("/export.csv")
@roles_required("inspector", "system_admin")
@fresh_sign_in_required()
def export() -> Response:
    """Every row the overview would show with these filters and this order, all pages, streamed."""
    form, query, state = _read_overview_request()
    if form.errors:
        abort(400)
    _log_read(security_log.INSPECTOR_EXPORT, f"Compliance spreadsheet {query_string(state)}".strip())

    def lines() -> Any:
        yield from downloads.csv_lines(
            csv_header(), (csv_row(row) for row in compliance.overview_rows(query))
        )

    filename = f"compliance-{query.as_of.isoformat()}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/providers/<slug>")
@roles_required("inspector", "system_admin")
def provider(slug: str) -> Any:
    found = register.provider_by_slug(slug)
    if found is None:
        abort(404)
    _log_read(security_log.INSPECTOR_PROVIDER_READ, f"{found.name} ({found.slug})")
    form = OverviewFilterForm(request.args)
    as_of, problem = parse_as_of(request.args.get("as_of", ""), _today())
    if problem:
        form.as_of.errors = [problem]
    query = OverviewQuery(as_of=as_of, **_thresholds())
    summary = compliance.provider_summary(found, query)
    row = summary.row
    latest = compliance.MonthPoint(day=as_of, in_scope=row.figures.in_scope, declared=row.figures.declared)
    points = compliance.trend(found, as_of, latest=latest)
    lists = compliance.people_needing_attention(found, as_of, group_totals=summary.group_totals)
    return render_template(
        "inspect/provider.html",
        form=form,
        provider=found,
        row=row,
        as_of=as_of,
        as_of_given="" if problem else (request.args.get("as_of") or "").strip(),
        points=points,
        lists=lists,
        list_limit=compliance.MEMBER_LIST_LIMIT,
        engagement_types=ENGAGEMENT_TYPES,
        statuses=list(DeclarationStatus),
        public_url=public_register_url(found.slug),
        today=_today(),
        percent=format_percent,
        published_on=published_on,
        **_thresholds(),
    )


@bp.get("/providers/<slug>/<status>/<engagement_type>")
@roles_required("inspector", "system_admin")
def provider_people(slug: str, status: str, engagement_type: str) -> Any:
    """Everyone of one engagement type who is missing (or overdue) at a provider, a page at a time."""
    found = register.provider_by_slug(slug)
    wanted = {state.value: state for state in compliance.ATTENTION_STATUSES}.get(status)
    term = ENGAGEMENT_TYPE_BY_CODE.get(engagement_type)
    if found is None or wanted is None or term is None:
        abort(404)
    as_of, problem = parse_as_of(request.args.get("as_of", ""), _today())
    if problem:
        abort(404)  # only reached from the provider page's own links, which carry a good date
    as_of_given = (request.args.get("as_of") or "").strip()
    summary = compliance.provider_summary(found, OverviewQuery(as_of=as_of, **_thresholds()))
    total = summary.group_totals.get((term.code, wanted), 0)
    page_size = compliance.MEMBER_LIST_LIMIT
    pages = max(1, -(-total // page_size))
    page = min(requested_page(), pages)
    people = compliance.people_page(found, as_of, term.code, wanted, page, page_size)

    def page_url(number: int) -> str:
        args: dict[str, Any] = {"as_of": as_of_given} if as_of_given else {}
        if number > 1:
            args["page"] = str(number)
        return url_for(
            "inspect.provider_people", slug=found.slug, status=wanted.value, engagement_type=term.code, **args
        )

    return render_template(
        "inspect/people.html",
        provider=found,
        term=term,
        status=wanted,
        as_of=as_of,
        provider_url=url_for(
            "inspect.provider",
            slug=found.slug,
            **({"as_of": as_of_given} if as_of_given else {}),  # type: ignore[arg-type]
        ),
        people=people,
        total=total,
        first_number=(page - 1) * page_size + 1,
        pagination=pagination(page, pages, page_url, label="Pages of people", numbered=True),
    )
