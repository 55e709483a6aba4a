"""Backups: `flask --app interests backup FILE` and `restore FILE` (interests/backups.py). Restored
into a fresh database, the registers, search and the inspectors' figures read exactly as before,
and a withheld entry stays withheld; a restore that cannot go ahead says why and changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests import clock
from interests.extensions import db
from interests.models import Provider
from interests.services import compliance, search_index
from tests import factories
from tests.conftest import TEST_DATABASE_URL, _reset_postgres, make_app
from tests.pages import soup, text

WITHHELD = "Quiet Holdings Ltd"


def _register(app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(slug="northfield", name="Northfield Hospital")
        priya = factories.make_professional(given_name="Priya", family_name="Raman")
        factories.make_engagement(priya, provider, start_date=date(2020, 1, 1))
        shown = factories.make_interest(priya, other_party="Medivance Surgical Ltd")
        hidden = factories.make_interest(priya, other_party=WITHHELD)
        factories.make_declaration(priya, provider, [shown, hidden], declared_on=clock.today())
        factories.make_withholding_request(hidden, provider)  # pending: not published
        factories.make_account("inspector", email="inspector@example.org")
        compliance.take_snapshot(clock.today())
        db.session.commit()
        search_index.rebuild()


def _readings(app: Flask) -> dict[str, Any]:
    """What a patient and an inspector see, as text."""
    client = app.test_client()
    readings = {
        "register": text(soup(client.get("/providers/northfield")).select_one("main")),
        "csv": client.get("/providers/northfield/register.csv").get_data(as_text=True),
        "search": text(soup(client.get("/search?q=Priya+Raman")).select_one("main")),
        "company search": text(soup(client.get("/search?q=Medivance")).select_one("main")),
    }
    assert factories.sign_in(client, "inspector@example.org").status_code == 302
    readings["inspect"] = text(soup(client.get("/inspect")).select_one("main"))
    readings["inspect export"] = client.get("/inspect/export.csv").get_data(as_text=True)
    return readings


def _fresh_database(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        from interests.config import _normalise_database_url

        url = _normalise_database_url(TEST_DATABASE_URL)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


@pytest.mark.alldb
def test_a_restored_backup_reads_the_same_everywhere(
    app: Flask, backend: str, tmp_path: Path, database_url: str
) -> None:
    _register(app)
    before = _readings(app)
    assert "Medivance Surgical Ltd" in before["register"] and "Priya Raman" in before["search"]
    assert WITHHELD not in str(before)
    file = tmp_path / "register.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert f"to {file}" in result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    fresh = make_app(_fresh_database(backend, tmp_path), tmp_path / "restored")
    result = fresh.test_cli_runner().invoke(args=["restore", str(file)])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the search index: 1 professionals" in result.output
    try:
        after = _readings(fresh)
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()
    assert after == before
    assert WITHHELD not in str(after)


@pytest.mark.alldb
def test_a_restore_that_cannot_go_ahead_says_why_and_changes_nothing(
    app: Flask, backend: str, tmp_path: Path
) -> None:
    _register(app)
    runner = app.test_cli_runner()
    file = tmp_path / "register.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0

    again = runner.invoke(args=["backup", str(file)])
    assert again.exit_code != 0 and "already exists" in again.output

    over = runner.invoke(args=["restore", str(file)])
    assert over.exit_code != 0
    assert "already holds a register" in over.output and "--replace" in over.output

    garbage = tmp_path / "not-a-backup.bin"
    garbage.write_bytes(b"\x00\x01 this is not a database " * 100)
    refused = runner.invoke(args=["restore", str(garbage), "--replace"])
    assert refused.exit_code != 0 and "is not a backup made by" in refused.output

    other = tmp_path / "other-engine.backup"
    other.write_bytes((b"PGDMP" if backend == "sqlite" else b"SQLite format 3\x00") + b"\x00" * 200)
    wrong_engine = runner.invoke(args=["restore", str(other), "--replace"])
    assert wrong_engine.exit_code != 0 and "but this register runs on" in wrong_engine.output

    missing = runner.invoke(args=["restore", str(tmp_path / "nowhere.backup")])
    assert missing.exit_code != 0 and "There is no file" in missing.output

    with app.app_context():  # nothing was changed by any of these
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 1
    assert "Medivance Surgical Ltd" in _readings(app)["register"]


def test_an_sqlite_file_that_is_not_this_apps_is_refused(app: Flask, tmp_path: Path) -> None:
    import sqlite3

    stranger = tmp_path / "someone-elses.sqlite3"
    with sqlite3.connect(stranger) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    result = app.test_cli_runner().invoke(args=["restore", str(stranger)])
    assert result.exit_code != 0 and "not a backup of this register" in result.output


@pytest.mark.alldb
def test_a_backup_does_not_hold_any_second_factor_secret(app: Flask, backend: str, tmp_path: Path) -> None:
    """A stolen backup file must not let anyone make an account's codes: the secret is sealed with
    a key kept apart from the database (SECOND_FACTOR_KEYS, or derived from SECRET_KEY)."""
    import shutil
    import subprocess  # noqa: S404 - pg_restore with fixed arguments

    import pyotp

    from interests.services import second_factor

    with app.app_context():
        account = factories.make_account("inspector", email="inspector@example.org")
        secret = second_factor.start_setup(account).secret
        second_factor.turn_on(account, pyotp.TOTP(secret).now())
        sealed = account.totp_secret
        db.session.commit()
    assert sealed is not None
    file = tmp_path / "register.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    content = file.read_bytes()
    if backend == "postgresql":  # pg_dump's custom format is compressed: read its rows as text too
        pg_restore = shutil.which("pg_restore")
        assert pg_restore is not None
        content += subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [pg_restore, "--data-only", "--table=account", "--file=-", str(file)],
            check=True,
            capture_output=True,
        ).stdout
    assert sealed.encode() in content  # the grep reads the account's row: it would see a plain secret
    for form in (secret, secret.lower(), second_factor.grouped_secret(secret)):
        assert form.encode() not in content
