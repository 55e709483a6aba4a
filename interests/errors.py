"""Error pages in the service's own style."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from interests.extensions import limiter, login_manager
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


SERVER_ERROR_MESSAGE = "Something went wrong on our side. Please try again later."


def under_api() -> bool:
    """Whether this request is to the open-data API, whose every answer is JSON (openapi.json)."""
    return request.path == "/api" or request.path.startswith("/api/")


def api_error(error: HTTPException) -> Response:
    """An error as the API documents it: {"error": {"status", "message"}}, keeping the error's own
    headers (a 405's Allow) and saying when to try again after a 429 (Retry-After)."""
    code = error.code or 500
    message = SERVER_ERROR_MESSAGE if code >= 500 and code != 503 else str(error.description)
    response = jsonify({"error": {"status": code, "message": message}})
    response.status_code = code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if code == 429 and "Retry-After" not in response.headers:
        current = limiter.current_limit
        wait = int(current.reset_at - time.time()) if current is not None else 60
        response.headers["Retry-After"] = str(max(1, wait))
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> Any:
        _log_refusal(security_log.FORBIDDEN)
        if under_api():
            return api_error(error)
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> Any:
        if under_api():  # whether or not a route matched: JSON, never the HTML page
            return api_error(error)
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        # The form is refused and nothing is saved; the user is told how to carry on.
        _log_refusal(security_log.CSRF_REFUSED)
        if under_api():
            return api_error(error)
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> Any:
        _log_refusal(security_log.RATE_LIMITED)
        if under_api():
            return api_error(error)
        return render_template("errors/429.html"), 429

    @app.errorhandler(500)
    def server_error(error: Exception) -> Any:
        discard()
        if under_api():
            return api_error(InternalServerError())
        if "_login_user" not in g:
            # The database may be what failed: show the page without looking the account up.
            g._login_user = login_manager.anonymous_user()
        return render_template("errors/500.html"), 500

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> Any:
        # Every other refusal (a 405 above all) keeps werkzeug's own answer, except under /api/.
        return api_error(error) if under_api() else error
