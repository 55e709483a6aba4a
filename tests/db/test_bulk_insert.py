"""`bulk_insert` writes rows as the ORM would, on SQLite (an executemany) and PostgreSQL (COPY):
the columns left out get their Python-side defaults, timestamps go through UTCDateTime (a naive
one is refused), and nothing is written outside the transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from interests.extensions import bulk_insert, db
from interests.models import OutboxEmail
from tests.conftest import make_app
from tests.factories import make_provider

FROZEN = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


def email(n: int, **more: object) -> dict[str, object]:
    return {
        "kind": "invitation",
        "to_address": f"p{n}@example.nhs.uk",
        "subject": "Hello",
        "body": "Body",
        **more,
    }


@pytest.mark.alldb
def test_left_out_columns_get_their_defaults_and_timestamps_are_utc(app: Flask) -> None:
    one_hour_east = timezone(timedelta(hours=1))
    with app.app_context(), time_machine.travel(FROZEN, tick=False):
        bulk_insert(OutboxEmail, [email(n) for n in range(3)])
        bulk_insert(OutboxEmail, [email(9, next_attempt_at=datetime(2026, 7, 1, 9, 0, tzinfo=one_hour_east))])
        db.session.commit()
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [r.to_address for r in rows] == [f"p{n}@example.nhs.uk" for n in (0, 1, 2, 9)]
    assert all(r.attempts == 0 and r.created_at == FROZEN and r.sent_at is None for r in rows)
    assert rows[-1].next_attempt_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.alldb
def test_a_naive_timestamp_is_refused_and_a_rolled_back_insert_leaves_nothing(app: Flask) -> None:
    with app.app_context():
        with pytest.raises((ValueError, StatementError), match="timezone-aware"):
            bulk_insert(OutboxEmail, [email(1, next_attempt_at=datetime(2026, 7, 1, 9, 0))])
        db.session.rollback()
        bulk_insert(OutboxEmail, [email(n) for n in range(5)])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_postgresql_still_checks_every_rows_foreign_keys_and_saves_none_of_a_bad_batch(
    postgres_url: str, tmp_path: Path
) -> None:
    """The COPY runs with PostgreSQL's own plan caching for its key checks (quicker): every row
    is still checked."""
    app = make_app(postgres_url, tmp_path)
    with app.app_context():
        db.create_all()
        provider = make_provider()
        db.session.commit()
        with pytest.raises(ForeignKeyViolation, match="fk_outbox_email_provider_id_provider"):
            bulk_insert(
                OutboxEmail,
                [email(n, provider_id=provider.id) for n in range(10)]
                + [email(10, provider_id=provider.id + 1)],
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
        db.session.rollback()
        db.engine.dispose()


def test_postgresql_plans_the_rest_of_the_transaction_for_its_own_values_after_a_bulk_insert(
    postgres_url: str, tmp_path: Path
) -> None:
    """The inspectors' lists need a plan for each provider (test_postgresql_connections.py): the
    generic plans a COPY's key checks use end with the COPY."""
    app = make_app(postgres_url, tmp_path)
    with app.app_context():
        db.create_all()
        bulk_insert(OutboxEmail, [email(n) for n in range(3)])
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        db.session.commit()
        assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 3
        db.session.rollback()
        db.engine.dispose()
