"""Where a running staff import's progress is kept, so that every web server can read it while the
import's own transaction shows nothing (jobs.py explains why): the job's row on PostgreSQL
(`RowBoard`), a small SQLite file beside the database on SQLite (`FileBoard`); and the worker's
`Reporter`, which writes each step, its counts and a heartbeat there."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.engine import Engine

from interests.extensions import db
from interests.models import StaffImportJob, utcnow

log = logging.getLogger(__name__)

BOARD_KEY = "staff_import_progress"
REPORT_EVERY_SECONDS = 0.5  # counts within a step: the page asks once a second


@dataclass(frozen=True)
class Live:
    """What the worker last reported for a job: the step, how far through it, and when."""

    stage: str
    done: int
    total: int
    heartbeat_at: datetime | None = None


def from_row(job: StaffImportJob) -> Live | None:
    return Live(job.step, job.done or 0, job.total or 0, job.heartbeat_at) if job.step else None


# --- Where a running job's progress is kept -----------------------------------------------------


class Board(Protocol):
    def write(self, job_id: int, live: Live) -> None: ...

    def read(self, job: StaffImportJob) -> Live | None: ...

    def forget(self, job_id: int) -> None: ...


class RowBoard:
    """PostgreSQL: the job's own row, written on a connection of its own in autocommit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, job_id: int, live: Live) -> None:
        statement = (
            update(StaffImportJob)
            .where(StaffImportJob.id == job_id)
            .values(step=live.stage, done=live.done, total=live.total, heartbeat_at=live.heartbeat_at)
        )
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement)

    def read(self, job: StaffImportJob) -> Live | None:
        return from_row(job)

    def forget(self, job_id: int) -> None:
        pass  # the row keeps its last step; the job's status says it has ended


class FileBoard:
    """SQLite: a small SQLite file beside the database, one row per running job."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connection(self) -> Any:
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # a reader never waits for the worker
            connection.execute(
                "CREATE TABLE IF NOT EXISTS import_progress (job_id INTEGER PRIMARY KEY, "
                "step TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL, heartbeat_at TEXT)"
            )
            yield connection
        finally:
            connection.close()

    def write(self, job_id: int, live: Live) -> None:
        beat = live.heartbeat_at.isoformat() if live.heartbeat_at else None
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO import_progress (job_id, step, done, total, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (job_id) DO UPDATE SET step = excluded.step, done = excluded.done, "
                "total = excluded.total, heartbeat_at = excluded.heartbeat_at",
                (job_id, live.stage, live.done, live.total, beat),
            )

    def read(self, job: StaffImportJob) -> Live | None:
        if self.path.exists():
            with self._connection() as connection:
                found = connection.execute(
                    "SELECT step, done, total, heartbeat_at FROM import_progress WHERE job_id = ?", (job.id,)
                ).fetchone()
            if found is not None:
                step, done, total, beat = found
                return Live(step, done, total, datetime.fromisoformat(beat) if beat else None)
        return from_row(job)

    def forget(self, job_id: int) -> None:
        with self._connection() as connection:
            connection.execute("DELETE FROM import_progress WHERE job_id = ?", (job_id,))


def progress_board() -> Board:
    """Where this app's database keeps a running job's progress (see jobs.py's docstring)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    board: Board | None = app.extensions.get(BOARD_KEY)
    if board is None:
        engine = db.engine
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database and database != ":memory:":
                path = Path(database).with_name(Path(database).name + "-import-progress")
            else:
                path = Path(app.instance_path) / "import-progress.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            board = FileBoard(path)
        else:
            board = RowBoard(engine)
        app.extensions[BOARD_KEY] = board
    return board


def live(job: StaffImportJob) -> Live | None:
    """What the worker running this job last reported, read from any process."""
    return progress_board().read(job)


class Reporter:
    """A running job's reports: each new step and its first count at once, later counts at most every
    REPORT_EVERY_SECONDS, and a heartbeat (the time and the last count) every `beat_every` seconds
    from a thread of its own."""

    def __init__(self, board: Board, job_id: int, beat_every: float) -> None:
        self.board = board
        self.job_id = job_id
        self.beat_every = beat_every
        self._lock = threading.Lock()
        self._live = Live("checking", 0, 0)
        self._written = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"staff-import-{job_id}-heartbeat", daemon=True
        )

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            # A new step, and a step's first count, are shown at once (a step quicker than
            # REPORT_EVERY_SECONDS would otherwise never show a count); later counts at that pace.
            first_count = stage == self._live.stage and self._live.done == 0 < done
            new_step = stage != self._live.stage
            self._live = Live(stage, done, total)
            if new_step or first_count or time.monotonic() - self._written >= REPORT_EVERY_SECONDS:
                self._write()

    def _beat(self) -> None:
        while not self._stop.wait(self.beat_every):
            with self._lock:
                self._write()

    def _write(self) -> None:  # with the lock held, so reports reach the board in order
        self._written = time.monotonic()
        try:
            self.board.write(self.job_id, replace(self._live, heartbeat_at=utcnow()))
        except Exception:  # progress is for the page; the import carries on without it
            log.exception("Progress of staff import job %s could not be written", self.job_id)

    def __enter__(self) -> Reporter:
        with self._lock:
            self._write()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
