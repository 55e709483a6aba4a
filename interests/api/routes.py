"""Open data: read-only JSON of what is public, at /api/v1 (documented in openapi.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from interests import clock
from interests.public import export
from interests.rules.text import control_character_in
from interests.rules.vocabulary import CATEGORY_BY_CODE, PROVIDER_KIND_BY_CODE, REGION_BY_CODE, TYPE_BY_CODE
from interests.services import register, search_index

bp = Blueprint("api", __name__, url_prefix="/api/v1")

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


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _choice(name: str, allowed: dict[str, Any]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise BadParameter(name, f"{name} must be one of: {', '.join(sorted(allowed))}")
    return raw


def _text(name: str, required: bool = False) -> str | None:
    raw = " ".join(request.args.get(name, "").split())
    if len(raw) > 200:
        raise BadParameter(name, f"{name} must be 200 characters or fewer")
    if required and not raw:
        raise BadParameter(name, f"{name} is required")
    if control_character_in(raw, multiline=False) is not None:
        # A NUL above all: PostgreSQL refuses it in text, so it would be a server error.
        raise BadParameter(name, f"{name} must not contain control characters")
    return raw or None


def _paging() -> tuple[int, int]:
    return _int("page", 1, 1, MAX_PAGE), _int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def _page_fields(total: int, page: int, per_page: int) -> dict[str, int]:
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page))}


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Any:
    return jsonify({"error": {"status": 400, "parameter": error.name, "message": error.message}}), 400


def _http_error(error: HTTPException) -> Any:
    return jsonify({"error": {"status": error.code, "message": error.description}}), error.code


# By status code too: the app's own HTML handlers for these codes would otherwise win.
for _code in (400, 404, 405, 429, 500, 503):
    bp.register_error_handler(_code, _http_error)
bp.register_error_handler(HTTPException, _http_error)


@bp.after_request
def _headers(response: Any) -> Any:
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data
    return response


@bp.get("/providers")
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


@bp.get("/professionals/<any_int:professional_id>")
def professional(professional_id: int) -> Any:
    # A bigger number names nobody, and the database would refuse it (a 500, not a 404).
    record = (
        register.professional_record(professional_id, clock.today())
        if professional_id <= LARGEST_ID
        else None
    )
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
    }


@bp.get("/search")
def search() -> Any:
    query = _text("q", required=True) or ""
    page, per_page = _paging()
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


def openapi_document() -> dict[str, Any]:
    return dict(json.loads(_openapi()))
