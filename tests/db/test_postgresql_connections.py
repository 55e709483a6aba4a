"""The app's PostgreSQL connections plan each statement for its own values and without JIT
compilation (interests/extensions.py): at national size a generic plan kept for a statement run
often took minutes where its own took milliseconds, and compiling took longer than running."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from interests.extensions import db
from tests.conftest import make_app


def test_the_apps_postgresql_connections_plan_for_the_values_given_and_never_jit_compile(
    postgres_url: str, tmp_path: Path
) -> None:
    app = make_app(postgres_url, tmp_path)
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        db.session.rollback()
        db.engine.dispose()


def test_options_given_in_the_database_url_are_kept_beside_it(postgres_url: str, tmp_path: Path) -> None:
    separator = "&" if "?" in postgres_url else "?"
    app = make_app(f"{postgres_url}{separator}options=-c%20statement_timeout%3D12345", tmp_path)
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        assert db.session.scalar(text("SHOW statement_timeout")) == "12345ms"
        db.session.rollback()
        db.engine.dispose()
