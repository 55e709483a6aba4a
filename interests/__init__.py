"""interests: the public register of healthcare professionals' declared interests."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from interests import config as settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: dict[str, Any] | None = None, *, instance_path: str | os.PathLike[str] | None = None
) -> Flask:
    """The app. `instance_path` (default ./instance) holds the laptop database and the development key."""
    app = Flask(
        __name__,
        instance_path=None if instance_path is None else os.fspath(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings.load(app.instance_path, config))
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Believe the X-Forwarded-For/-Proto/-Host added by that many proxies (and no more), so the
        # sign-in rate limit is keyed on the client's address rather than the proxy's.
        proxies = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from interests import frontend, security, unit_of_work
    from interests.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    unit_of_work.init_app(app)  # first of the after_request functions: so it runs last
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    frontend.configure_jinja(app)

    from interests.account.routes import bp as account_bp
    from interests.admin.routes import bp as admin_bp
    from interests.alerts.routes import bp as alerts_bp
    from interests.api.routes import bp as api_bp
    from interests.auth.resets import bp as password_reset_bp
    from interests.auth.routes import bp as auth_bp
    from interests.declare.routes import bp as declare_bp
    from interests.health import bp as health_bp
    from interests.inspect.routes import bp as inspect_bp
    from interests.invitations.routes import bp as invitations_bp
    from interests.manage.routes import bp as manage_bp
    from interests.public.routes import bp as public_bp
    from interests.questions.routes import bp as questions_bp

    for blueprint in (
        public_bp,
        auth_bp,
        password_reset_bp,
        account_bp,
        health_bp,
        declare_bp,
        manage_bp,
        inspect_bp,
        api_bp,
        questions_bp,
        alerts_bp,
        invitations_bp,
        admin_bp,
    ):
        app.register_blueprint(blueprint)

    from interests import (
        errors,
        provider_slugs,  # noqa: F401 - refuses provider slugs that clash with pages
    )
    from interests.cli import register_commands

    errors.init_app(app)
    register_commands(app)
    if app.config["INTERESTS_ENV"] != "production":
        # Queued emails are logged at INFO outside production (interests/services/outbox.py), so a
        # person trying the app can follow an invitation link. Flask gives its "interests" logger a
        # stderr handler when first asked for it; INFO passes only for the outbox's messages.
        _ = app.logger
        logging.getLogger("interests.services.outbox").setLevel(logging.INFO)
    from interests.services import search_index

    search_index.init_app(app)
    return app
