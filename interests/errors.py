"""Error pages in the service's own style."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from interests.extensions import login_manager
from interests.security import TOKEN_ARGUMENTS
from interests.services import security_log
from interests.unit_of_work import discard


def _signed_in_account_id() -> int | None:
    """The signed-in account's id, if the database can tell; never raises."""
    try:
        return current_user.id if current_user.is_authenticated else None  # type: ignore[no-any-return]
    except SQLAlchemyError:
        discard()
        # The page must still render: show it as to an anonymous visitor.
        g._login_user = login_manager.anonymous_user()
        return None


def _where() -> str:
    """The method and path refused, with no query string, and no one-time token from the path."""
    path = request.path
    secret = bool(request.view_args) and not TOKEN_ARGUMENTS.isdisjoint(request.view_args or {})
    if secret and request.url_rule is not None:
        path = request.url_rule.rule
    return f"{request.method} {path}"


def _log_refusal(kind: str) -> None:
    email = None
    if request.endpoint == "auth.sign_in" and request.method == "POST":
        email = request.form.get("email")  # whose account is being tried (never the password)
    security_log.record_refusal(kind, account_id=_signed_in_account_id(), email=email, detail=_where())


def init_app(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> Any:
        _log_refusal(security_log.FORBIDDEN)
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):  # no route matched (so no API handler ran): JSON still
            return jsonify({"error": {"status": 404, "message": error.description}}), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        # The form is refused and nothing is saved; the user is told how to carry on.
        _log_refusal(security_log.CSRF_REFUSED)
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> Any:
        _log_refusal(security_log.RATE_LIMITED)
        return render_template("errors/429.html"), 429

    @app.errorhandler(500)
    def server_error(error: Exception) -> Any:
        discard()
        if "_login_user" not in g:
            # The database may be what failed: show the page without looking the account up.
            g._login_user = login_manager.anonymous_user()
        return render_template("errors/500.html"), 500
