"""The migrations build the models' schema on SQLite and PostgreSQL, and undo it cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from interests.extensions import db

pytestmark = pytest.mark.alldb


@pytest.fixture
def empty_app(app: Flask) -> Flask:
    with app.app_context():
        db.drop_all()
    return app


def schema_differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, db.metadata))


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_builds_exactly_the_models_schema(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
    assert table_names(empty_app) == set(db.metadata.tables)
    assert schema_differences(empty_app) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
    assert table_names(empty_app) == set()
    with empty_app.app_context():
        upgrade()
    assert schema_differences(empty_app) == []
