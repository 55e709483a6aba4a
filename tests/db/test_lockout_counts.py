"""Failed sign-ins counted in the database stay right when requests arrive at the same moment (several
servers, several threads): every failure is counted, and a lock sends one email."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import OutboxEmail
from interests.services.accounts import attempt_sign_in, find_by_email
from interests.unit_of_work import transaction
from tests import factories
from tests.conftest import make_app, stop_background_work

pytestmark = pytest.mark.alldb

AT_ONCE = 12


def lockout_app(database_url: str, tmp_path: Path, attempts: int) -> Iterator[tuple[Flask, str]]:
    app = make_app(database_url, tmp_path, LOCKOUT_ATTEMPTS=attempts)
    with app.app_context():
        db.create_all()
        email = factories.make_account("inspector").email
        db.session.commit()
    yield app, email
    stop_background_work(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fail_at_once(app: Flask, email: str) -> None:
    start = threading.Barrier(AT_ONCE)
    problems: list[BaseException] = []

    def one_failure() -> None:
        with app.app_context():
            try:
                start.wait()
                with transaction():  # as the sign-in page's request does
                    attempt_sign_in(email, "a wrong password")
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                problems.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_failure) for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert problems == []


def test_failures_at_the_same_moment_are_all_counted(database_url: str, tmp_path: Path) -> None:
    for app, email in lockout_app(database_url, tmp_path, attempts=1000):
        fail_at_once(app, email)
        with app.app_context():
            assert find_by_email(email).failed_sign_ins == AT_ONCE


def test_many_failures_at_the_same_moment_lock_once_and_email_once(database_url: str, tmp_path: Path) -> None:
    for app, email in lockout_app(database_url, tmp_path, attempts=3):
        fail_at_once(app, email)
        with app.app_context():
            assert find_by_email(email).locked_until is not None
            emails = db.session.scalar(
                select(func.count()).where(
                    OutboxEmail.kind == "account_locked", OutboxEmail.to_address == email
                )
            )
            assert emails == 1
            assert attempt_sign_in(email, factories.PASSWORD).locked


def test_0009_starts_existing_accounts_at_no_failures_and_downgrades(app: Flask) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    with app.app_context():
        db.drop_all()
        upgrade(revision="0006")
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO account (id, email, password_hash, role, session_version, active, "
                    "created_at) VALUES (1, 'lead@example.org', 'x', 'inspector', 1, true, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(revision="0009")
        with db.engine.connect() as c:
            row = c.execute(text("SELECT failed_sign_ins, first_failed_at, locked_until FROM account")).one()
            assert tuple(row) == (0, None, None)
        downgrade(revision="0006")
        with db.engine.connect() as c:
            columns = {col["name"] for col in inspect(c).get_columns("account")}
            assert not columns & {"failed_sign_ins", "first_failed_at", "locked_until"}
            assert c.execute(text("SELECT email FROM account")).scalar_one() == "lead@example.org"
