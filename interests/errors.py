"""Error pages in the service's own style."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from interests.extensions import db, login_manager


def init_app(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> Any:
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):  # no route matched (so no API handler ran): JSON still
            return jsonify({"error": {"status": 404, "message": error.description}}), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        # The form is refused and nothing is saved; the user is told how to carry on.
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> Any:
        return render_template("errors/429.html"), 429

    @app.errorhandler(500)
    def server_error(error: Exception) -> Any:
        db.session.rollback()
        if "_login_user" not in g:
            # The database may be what failed: show the page without looking the account up.
            g._login_user = login_manager.anonymous_user()
        return render_template("errors/500.html"), 500
