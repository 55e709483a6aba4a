"""Backups: the whole register in one file, and putting it back.

    flask --app interests backup FILE             # while the app runs: a consistent copy
    flask --app interests restore FILE [--replace]

- **SQLite** (the embedded default): SQLite's online backup API copies the database page by page
  under a read transaction, so the file is consistent while servers keep writing. Restoring copies
  it back the same way.
- **PostgreSQL**: `pg_dump --format=custom` (a consistent snapshot; the `pg_dump` on the PATH must
  be the server's major version or newer) and `pg_restore --clean --if-exists --single-transaction`.
  The connection settings are passed in the environment (PGHOST, PGPASSWORD, …), never on the
  command line where other users could read them.

A backup holds everything that decides an answer: the register, accounts, the outbox, the audit and
security logs, the compliance snapshots and search work. The Whoosh search index is not in it (it
is rebuilt from the database): `restore` rebuilds it, so search answers as before.

A restore refuses a database that already holds a register unless `--replace` is given, refuses a
file that is not a backup of this engine, and changes nothing when it refuses.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with fixed arguments, never a shell
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import URL

from interests.extensions import db
from interests.models import Account, Declaration, Provider

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupProblem(Exception):
    """The backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Done:
    engine: str
    path: Path
    size: int
    seconds: float


def backup(path: Path) -> Done:
    """Write a consistent copy of the whole database to `path` (which must not exist yet)."""
    if path.exists():
        raise BackupProblem(f"{path} already exists: choose a new file name, so no backup is overwritten")
    if not path.parent.is_dir():
        raise BackupProblem(f"There is no folder {path.parent}")
    started = time.perf_counter()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(path)
    elif url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)], url)
    else:  # pragma: no cover - the app runs on SQLite or PostgreSQL only
        raise BackupProblem(f"Backups of {url.get_backend_name()} are not supported")
    return Done(url.get_backend_name(), path, path.stat().st_size, time.perf_counter() - started)


def restore(path: Path, *, replace: bool = False) -> Done:
    """Put the database in `path` back as this app's database (see the module's notes)."""
    if not path.is_file():
        raise BackupProblem(f"There is no file {path}")
    url = db.engine.url
    engine = url.get_backend_name()
    with path.open("rb") as file:
        header = file.read(16)
    expected = SQLITE_HEADER if engine == "sqlite" else PG_CUSTOM_HEADER
    if not header.startswith(expected):
        other = {SQLITE_HEADER[:5]: "SQLite", PG_CUSTOM_HEADER: "PostgreSQL"}.get(header[:5])
        raise BackupProblem(
            f"{path} is a backup of {other}, but this register runs on {_engine_name(engine)}"
            if other
            else f"{path} is not a backup made by `flask --app interests backup`"
        )
    if not replace and _holds_a_register():
        raise BackupProblem(
            "This database already holds a register. Restore into an empty database, or add "
            "--replace to overwrite everything in it with the backup"
        )
    started = time.perf_counter()
    db.session.remove()
    if engine == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not _is_this_apps(source):
                raise BackupProblem(f"{path} is an SQLite database, but not a backup of this register")
            _sqlite_restore(source)
        finally:
            source.close()
    else:
        _run(["pg_restore", "--list", str(path)], url)  # a damaged file stops here, before any change
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(path),
            ],
            url,
        )
    db.engine.dispose()  # no pooled connection keeps a view of the database as it was
    return Done(engine, path, path.stat().st_size, time.perf_counter() - started)


def _engine_name(backend: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)


def _holds_a_register() -> bool:
    if not inspect(db.engine).has_table(Provider.__tablename__):
        return False
    return db.session.scalar(select(Provider.id).limit(1)) is not None


def _is_this_apps(connection: sqlite3.Connection) -> bool:
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    return {Provider.__tablename__, Account.__tablename__, Declaration.__tablename__} <= tables


def _sqlite_backup(path: Path) -> None:
    raw = db.engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        except sqlite3.Error as error:
            target.close()
            path.unlink(missing_ok=True)
            raise BackupProblem(f"The backup could not be written: {error}") from error
        target.close()
    finally:
        raw.close()


def _sqlite_restore(source: sqlite3.Connection) -> None:
    raw = db.engine.raw_connection()
    try:
        target = raw.driver_connection
        assert isinstance(target, sqlite3.Connection)
        source.backup(target)
    finally:
        raw.close()


def _run(command: list[str], url: URL) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupProblem(f"{command[0]} is not installed: install PostgreSQL's client programs")
    env = {
        **os.environ,
        "PGHOST": url.host or "",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    if command[0] == "pg_restore" and "--list" not in command:
        command = [*command[:-1], "--dbname", url.database or "", command[-1]]
    result = subprocess.run(  # nosec B603 - a fixed program and arguments, no shell
        [program, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        errors = [line for line in lines if "error:" in line.lower()] or lines
        raise BackupProblem(f"{command[0]} failed: {' '.join(errors[:3]) if errors else result.returncode}")
