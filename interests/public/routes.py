"""Pages for patients and carers: no sign-in. Published data only, through services.register."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from interests import clock
from interests.pagination import requested_page
from interests.public import feeds
from interests.rules.text import without_controls
from interests.rules.vocabulary import (
    CATEGORIES,
    CATEGORY_BY_CODE,
    PROVIDER_KIND_BY_CODE,
    PROVIDER_KINDS,
    REGION_BY_CODE,
    REGIONS,
    TYPE_BY_CODE,
    TYPES,
)
from interests.services import national_data, register, search_index
from interests.services.outbox import absolute_url
from interests.services.register import export

bp = Blueprint("public", __name__)

MAX_QUERY_LENGTH = 200
MAX_PAGE = 10_000
LARGEST_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL's largest (SQLite's is 2**63 - 1)


def _choice(name: str, allowed: dict[str, Any]) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


def _query() -> str:
    # A control character (NUL, which PostgreSQL refuses in text) is searched for as U+FFFD: no match.
    return without_controls(" ".join(request.args.get("q", "").split())[:MAX_QUERY_LENGTH])


def _ask_url(slug: str) -> str | None:
    """The question form for this register, once the questions feature exists."""
    if "questions.ask" in current_app.view_functions:
        return url_for("questions.ask", slug=slug)
    return None


@bp.get("/")
def start() -> Any:
    return render_template("public/start.html")


@bp.get("/search")
def search() -> Any:
    query = _query()
    if not query:
        return render_template("public/search.html", query="", results=None, error=None)
    try:
        results = search_index.search(
            query, page=requested_page(MAX_PAGE), per_page=current_app.config["PAGE_SIZE"]
        )
    except search_index.SearchUnavailable:
        return render_template("public/search_unavailable.html"), 503
    return render_template("public/search.html", query=query, results=results, error=None)


@bp.get("/providers")
def providers() -> Any:
    query = _query()
    kind = _choice("kind", PROVIDER_KIND_BY_CODE)
    region = _choice("region", REGION_BY_CODE)
    page = register.providers_page(
        q=query, kind=kind, region=region, page=requested_page(MAX_PAGE), per_page=50
    )
    return render_template(
        "public/providers.html",
        page=page,
        query=query,
        kind=kind,
        region=region,
        kinds=PROVIDER_KINDS,
        regions=REGIONS,
        kind_labels=PROVIDER_KIND_BY_CODE,
        region_labels=REGION_BY_CODE,
    )


def _provider_or_404(slug: str) -> Any:
    provider = register.provider_by_slug(slug)
    if provider is None:
        abort(404)
    return provider


@bp.get("/providers/<slug>")
def provider_register(slug: str) -> Any:
    provider = _provider_or_404(slug)
    today = clock.today()
    filters = register.RegisterFilters(
        category=_choice("category", CATEGORY_BY_CODE),
        interest_type=_choice("type", TYPE_BY_CODE),
        q=_query() or None,
    )
    page = register.register_page(
        provider,
        today,
        page=requested_page(MAX_PAGE),
        per_page=current_app.config["PAGE_SIZE"],
        filters=filters,
    )
    return render_template(
        "public/register.html",
        provider=provider,
        page=page,
        filters=filters,
        categories=CATEGORIES,
        types=TYPES,
        withheld=register.withheld_count(provider, today),
        last_updated=register.last_updated(provider),
        kind_label=PROVIDER_KIND_BY_CODE[provider.kind].label,
        region_label=REGION_BY_CODE[provider.region].label,
        ask_url=_ask_url(provider.slug),
    )


@bp.get("/providers/<slug>/register.csv")
def register_csv(slug: str) -> Any:
    provider = _provider_or_404(slug)
    today = clock.today()
    response = Response("".join(export.register_csv_lines(provider, today)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{provider.slug}-register.csv"'
    return response


@bp.get("/providers/<slug>/register.json")
def register_json(slug: str) -> Any:
    provider = _provider_or_404(slug)
    today = clock.today()
    return export.register_document(provider, today)


@bp.get("/providers/<slug>/print")
def register_print(slug: str) -> Any:
    provider = _provider_or_404(slug)
    today = clock.today()
    return render_template(
        "public/print.html",
        provider=provider,
        declarations=list(register.iter_register(provider, today)),
        withheld=register.withheld_count(provider, today),
        last_updated=register.last_updated(provider),
        printed_on=today,
        web_address=absolute_url("public.provider_register", slug=provider.slug),
    )


@bp.get("/professionals/<int:professional_id>")
def professional(professional_id: int) -> Any:
    # A bigger number names nobody, and the database would refuse it (an error, not "not found").
    if professional_id > LARGEST_ID:
        abort(404)
    record = register.professional_record(professional_id, clock.today())
    if record is None:
        abort(404)
    return render_template("public/professional.html", record=record)


# --- Atom feeds (public/feeds.py): the latest published changes -----------------------------------

FEED_PEOPLE = 50  # a search feed follows the first 50 people the search finds


@bp.get("/providers/<slug>/feed.atom")
def provider_feed(slug: str) -> Any:
    provider = _provider_or_404(slug)
    return feeds.atom_response(
        title=f"Register of interests: {provider.name}",
        subtitle=f"Declarations, changed and ended interests, and management actions at {provider.name}",
        self_url=absolute_url("public.provider_feed", slug=provider.slug),
        html_url=absolute_url("public.provider_register", slug=provider.slug),
        changes=register.provider_changes(provider.id, clock.today()),
    )


@bp.get("/professionals/<int:professional_id>/feed.atom")
def professional_feed(professional_id: int) -> Any:
    if professional_id > LARGEST_ID:
        abort(404)
    changes = register.professional_changes([professional_id], clock.today())
    if not changes:  # every published declaration is a change: none means nothing is published
        abort(404)
    name = changes[0].professional_name
    return feeds.atom_response(
        title=f"Declared interests: {name}",
        subtitle=f"Declarations, changed and ended interests, and management actions of {name}",
        self_url=absolute_url("public.professional_feed", professional_id=professional_id),
        html_url=absolute_url("public.professional", professional_id=professional_id),
        changes=changes,
    )


@bp.get("/search/feed.atom")
def search_feed() -> Any:
    raw = " ".join(request.args.get("q", "").split())
    if not raw or len(raw) > MAX_QUERY_LENGTH:
        message = (
            "Add what to follow: /search/feed.atom?q= and a name, hospital or company."
            if not raw
            else f"The search is too long: use {MAX_QUERY_LENGTH} characters or fewer."
        )
        return Response(message + "\n", status=400, mimetype="text/plain")
    query = without_controls(raw)
    try:
        results = search_index.search(query, page=1, per_page=FEED_PEOPLE)
    except search_index.SearchUnavailable:
        return Response(
            "Search is not available at the moment. Try again later.\n", 503, mimetype="text/plain"
        )
    people = [hit["summary"].professional_id for hit in results.professionals]
    return feeds.atom_response(
        title=f"Register of interests: {query}",
        subtitle=f"Changes to the declared interests of the people a search for {query} finds",
        self_url=absolute_url("public.search_feed", q=query),
        html_url=absolute_url("public.search", q=query),
        changes=register.professional_changes(people, clock.today()),
    )


@bp.get("/understanding")
def understanding() -> Any:
    return render_template("public/understanding.html", categories=CATEGORIES, types=TYPES)


@bp.get("/about")
def about() -> Any:
    return render_template("public/about.html")


@bp.get("/accessibility")
def accessibility() -> Any:
    return render_template("public/accessibility.html")


@bp.get("/privacy")
def privacy() -> Any:
    return render_template("public/privacy.html")


@bp.get("/data")
def data() -> Any:
    nights = national_data.nights()
    latest = national_data.package(nights[0]) if nights else None
    return render_template(
        "public/data.html",
        nights=nights,
        latest=latest,
        latest_night=nights[0] if nights else None,
        keep=national_data.KEEP_NIGHTS,
        licence=national_data.LICENCE,
        attribution=national_data.ATTRIBUTION,
        columns=national_data.FIELDS,
    )


DATA_MIMETYPES = {
    national_data.CSV_FILE: "application/gzip",
    national_data.JSONL_FILE: "application/gzip",
    national_data.PACKAGE_FILE: "application/json",
}


@bp.get("/data/latest/<name>")
def data_latest(name: str) -> Any:
    nights = national_data.nights()
    if name not in national_data.FILES or not nights:
        abort(404)
    return redirect(url_for("public.data_file", night=nights[0].isoformat(), name=name))


@bp.get("/data/<night>/<name>")
def data_file(night: str, name: str) -> Any:
    try:
        path = national_data.file_path(night, name)
    except national_data.UnknownFile:
        abort(404)
    # The .gz files are files to save, not a Content-Encoding: a browser must not unzip them.
    return send_file(
        path,
        mimetype=DATA_MIMETYPES[name],
        as_attachment=name != national_data.PACKAGE_FILE,
        download_name=f"interests-{night}-{name}",
        conditional=True,
        etag=True,
        max_age=3600,
    )
