"""Open data: read-only JSON of what is public, at /api/v1 (documented in openapi.json)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from interests import clock
from interests.errors import under_api
from interests.extensions import limiter
from interests.rules.vocabulary import CATEGORY_BY_CODE, PROVIDER_KIND_BY_CODE, REGION_BY_CODE, TYPE_BY_CODE
from interests.services import register, search_index
from interests.services.register import export

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _api_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _preflight() -> bool:
    return request.method == "OPTIONS"


# One count per client address for the whole API (openapi.json aside); over it, a JSON 429 with
# Retry-After (interests.errors). A CORS preflight is not counted.
limited = limiter.shared_limit(_api_limit, scope="api", key_func=_client_address, exempt_when=_preflight)

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
MAX_PAGE = 100_000
LARGEST_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL's largest (SQLite's is 2**63 - 1)
OPENAPI_PATH = Path(__file__).with_name("openapi.json")


class BadParameter(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


# What a text parameter may hold, as its "pattern" in openapi.json says: no C0 or C1 control
# character or DEL (a NUL above all: PostgreSQL refuses it in text, so it would be a server error),
# and none of the invisible characters that change how text is displayed (Unicode TR36).
TEXT_PATTERN = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069]*$"
_TEXT = re.compile(TEXT_PATTERN)
MAX_TEXT = 200
_WHOLE_NUMBER = re.compile(r"[0-9]{1,20}")  # ASCII digits only: "²" and "٣" are digits to str.isdigit


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # An empty value is not a number: the document says integer, so it is refused, not defaulted.
    if not _WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _choice(name: str, allowed: dict[str, Any]) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in allowed:  # "" included: leave the parameter out to mean "any"
        raise BadParameter(name, f"{name} must be one of: {', '.join(sorted(allowed))}")
    return raw


def _text(name: str, required: bool = False) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise BadParameter(name, f"{name} is required")
        return None
    if len(raw) > MAX_TEXT:
        raise BadParameter(name, f"{name} must be {MAX_TEXT} characters or fewer")
    if not _TEXT.fullmatch(raw):
        raise BadParameter(name, f"{name} must not contain control characters")
    return " ".join(raw.split()) or None


def _paging() -> tuple[int, int]:
    return _int("page", 1, 1, MAX_PAGE), _int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def _page_fields(total: int, page: int, per_page: int) -> dict[str, int]:
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page))}


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Any:
    return jsonify({"error": {"status": 400, "parameter": error.name, "message": error.message}}), 400


# Every other error under /api/ (404, 405, 429, 500, 503, whether or not a route matched) is
# answered as JSON in the same shape by interests.errors.


# CORS: open data may be read by a script on any site. Nothing here depends on a cookie, so no
# credentials are allowed (Access-Control-Allow-Credentials is never sent).
CORS_METHODS = "GET, HEAD, OPTIONS"
CORS_REQUEST_HEADERS = "Accept, Accept-Language, Content-Language, If-None-Match, If-Modified-Since"
CORS_EXPOSED_HEADERS = "ETag, Retry-After"
CORS_MAX_AGE_SECONDS = 86_400


@bp.after_app_request
def _cors(response: Any) -> Any:
    if not under_api():
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        # A preflight: say what a cross-site script may send, and for how long to remember it.
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
    return response


@bp.get("/providers")
@limited
def providers() -> Any:
    page, per_page = _paging()
    result = register.providers_page(
        q=_text("q"),
        kind=_choice("kind", PROVIDER_KIND_BY_CODE),
        region=_choice("region", REGION_BY_CODE),
        page=page,
        per_page=per_page,
    )
    return {
        "items": [export.provider_json(p) for p in result.items],
        **_page_fields(result.total, page, per_page),
    }


@bp.get("/providers/<slug>/register")
@limited
def provider_register(slug: str) -> Any:
    page, per_page = _paging()
    filters = register.RegisterFilters(
        category=_choice("category", CATEGORY_BY_CODE),
        interest_type=_choice("type", TYPE_BY_CODE),
        q=_text("q"),
    )
    provider = register.provider_by_slug(slug)
    if provider is None:
        abort(404, description="There is no provider with that slug")
    today = clock.today()
    result = register.register_page(provider, today, page=page, per_page=per_page, filters=filters)
    updated = register.last_updated(provider)
    return {
        "provider": export.provider_json(provider),
        "last_updated": updated.isoformat() if updated else None,
        "withheld_entries": register.withheld_count(provider, today),
        "items": [export.declaration_json(d) for d in result.items],
        **_page_fields(result.total, page, per_page),
    }


@bp.get("/professionals/<professional_id>")
@limited
def professional(professional_id: str) -> Any:
    # Read here, not by the URL converter: werkzeug's <int:> takes any Unicode digit ("٣" is 3).
    # A number bigger than an id column holds names nobody (and the database would refuse it).
    number = int(professional_id) if _WHOLE_NUMBER.fullmatch(professional_id) else 0
    record = register.professional_record(number, clock.today()) if 1 <= number <= LARGEST_ID else None
    if record is None:
        abort(404, description="There is no published professional with that id")
    return {
        "professional_id": record.professional_id,
        "name": record.name,
        "profession": record.profession,
        "specialty": record.specialty,
        "registration": record.registration,
        "other_names": record.other_names,
        "current": [export.declaration_json(d) for d in record.current],
        "history": [export.declaration_json(d) for d in record.history],
        "reported_payments": [export.reported_payment_json(p) for p in record.payments],
    }


@bp.get("/search")
@limited
def search() -> Any:
    query = _text("q", required=True) or ""
    page, per_page = _paging()
    if not query:  # q= given but blank (or only spaces): nothing was asked for, so nothing is found
        return {
            "query": "",
            "items": [],
            "providers": [],
            "suggestion": None,
            **_page_fields(0, page, per_page),
        }
    try:
        results = search_index.search(query, page=page, per_page=per_page)
    except search_index.SearchUnavailable:
        abort(503, description="Search is not available at the moment")
    return {
        "query": query,
        "items": [
            {
                "professional_id": r["summary"].professional_id,
                "name": r["summary"].name,
                "profession": r["summary"].profession,
                "specialty": r["summary"].specialty,
                "registration": r["summary"].registration,
                "providers": [{"slug": s, "name": n, "role": role} for s, n, role in r["summary"].providers],
                "companies": r["companies"],
            }
            for r in results.professionals
        ],
        "providers": [{"slug": p.slug, "name": p.label} for p in results.providers],
        "suggestion": results.suggestion,
        **_page_fields(results.total, page, per_page),
    }


@cache
def _openapi() -> str:
    return OPENAPI_PATH.read_text(encoding="utf-8")


@bp.get("/openapi.json")
def openapi() -> Any:
    return current_app.response_class(_openapi(), mimetype="application/json")
