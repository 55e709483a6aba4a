"""/healthz: 200 when the app can reach its database (and, once search lands, its index)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from interests.extensions import db
from interests.unit_of_work import discard

bp = Blueprint("health", __name__)

CHECKS: list[Any] = []


@bp.get("/healthz")
def healthz() -> Any:
    checks: dict[str, dict[str, Any]] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except SQLAlchemyError as exc:
        discard()
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    for check in CHECKS:
        name, result = check()
        checks[name] = result
    healthy = all(c["ok"] for c in checks.values())
    response = jsonify({"status": "ok" if healthy else "unhealthy", "checks": checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _search_index() -> tuple[str, dict[str, Any]]:
    """The search index exists and is up to date (interests.services.search_index.health)."""
    from interests.services.search_index import health

    try:
        return health()
    except SQLAlchemyError as exc:
        discard()
        return "search_index", {"ok": False, "error": type(exc).__name__}


CHECKS.append(_search_index)
