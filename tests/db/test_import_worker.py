"""Big staff imports in real worker processes (`flask --app interests worker`), watched through a
second web app (its own create_app on the same database, as a second web server would be): the
progress the running import writes is seen there while it runs; a worker killed mid-import saves
nothing, its job is tried once more by the next worker, and killed again it is marked failed with a
message for the provider's staff and its file dropped."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import undefer

from interests import tasks
from interests.extensions import db
from interests.models import StaffImportJob
from tests import factories
from tests.conftest import make_app, stop_background_work
from tests.db.test_staff_import import counts, csv_bytes
from tests.worker_process import WAIT_SECONDS, Worker

pytestmark = pytest.mark.alldb

PEOPLE = 6000  # enough for the import to take a few seconds, so it can be watched and killed
STALE_SECONDS = 2  # IMPORT_STALE_AFTER_SECONDS here: a killed worker's job is soon seen as stopped
SAVING_WITH_ROWS_WRITTEN = re.compile(r"^(Adding|Updating|Preparing)[^:]*: [1-9][\d,]* of ")


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "TASK_QUEUE_FILE": str(tmp_path / "instance" / "tasks.sqlite3"),
        "REDIS_URL": "",
        "IMPORT_IN_BACKGROUND_FROM_BYTES": 0,
        "IMPORT_STALE_AFTER_SECONDS": STALE_SECONDS,
    }


@pytest.fixture
def admin(app: Flask) -> Any:
    with app.app_context():
        provider = factories.make_provider(slug="riverside")
        account = factories.make_account("provider_admin", providers=[provider])
        db.session.commit()
        return account.email


@pytest.fixture
def second_web(app: Flask, tmp_path: Path, admin: str) -> Any:
    """Another web server: its own app on the same database, signed in as the same lead."""
    second = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "second",
        IMPORT_STALE_AFTER_SECONDS=STALE_SECONDS,
        TASK_QUEUE_FILE=str(tmp_path / "second" / "tasks.sqlite3"),
        REDIS_URL="",
    )
    client = second.test_client()
    assert factories.sign_in(client, admin).status_code == 302
    yield client
    stop_background_work(second)
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPORT_STALE_AFTER_SECONDS", str(STALE_SECONDS))


def _big_file() -> bytes:
    return csv_bytes(
        *(
            # Short lines: under 500 KB, the size werkzeug's test client would spool to a file.
            f"P{n},T{n},GMC,{3000000 + n},p{n}@example.org,bank,Doctor,Medicine,2024-04-01,,no"
            for n in range(PEOPLE)
        )
    )


def _upload(app: Flask, admin: str) -> int:
    client = app.test_client()
    factories.sign_in(client, admin)
    # Closed at once: the request's context ends, and with it the upload's spooled temporary file.
    with client.post(
        "/manage/riverside/import",
        data={"file": (BytesIO(_big_file()), "everyone.csv")},
        content_type="multipart/form-data",
    ) as response:
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return int(response.headers["Location"].rsplit("/", 1)[1])


def _progress(client: FlaskClient, job_id: int) -> dict[str, Any]:
    return client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()  # type: ignore[no-any-return]


def _watch(
    client: FlaskClient, job_id: int, until: Callable[[dict[str, Any]], bool], worker: Worker | None
) -> list[dict[str, Any]]:
    """Poll the job's progress (as its page does, only faster) until `until` holds; what was seen."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        progress = _progress(client, job_id)
        seen.append(progress)
        if until(progress):
            return seen
        log = worker.log.read_text() if worker else ""
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker stopped (exit {worker.process.returncode}); seen {seen[-3:]}:\n{log}")
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_SECONDS}s; last seen {seen[-3:]}; worker log:\n{log}")
        time.sleep(0.02)


def _kill_mid_import(client: FlaskClient, job_id: int, worker: Worker) -> dict[str, Any]:
    """Kill the worker (SIGKILL: no clean-up of any kind) once the import has written rows."""
    seen = _watch(client, job_id, lambda p: bool(SAVING_WITH_ROWS_WRITTEN.match(p["step"])), worker)
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=30)
    return seen[-1]


def _saved(app: Flask) -> dict[str, int]:
    with app.app_context():
        found = counts()
        db.session.remove()
        return found


def _job(app: Flask, job_id: int) -> StaffImportJob:
    """The job as saved now, file and all, to read after its session has gone."""
    with app.app_context():
        job = db.session.get_one(StaffImportJob, job_id, options=[undefer(StaffImportJob.content)])
        db.session.expunge(job)
        db.session.remove()
        return job


def test_progress_of_an_import_in_a_worker_process_is_seen_by_a_second_web_server(
    app: Flask, admin: str, second_web: FlaskClient, start_worker: Callable[..., Worker], worker_env: None
) -> None:
    job_id = _upload(app, admin)
    worker = start_worker("--no-periodic")
    seen = _watch(second_web, job_id, lambda p: p["finished"], worker)

    running = [p for p in seen if not p["finished"]]
    # The second server saw the worker's counts while it ran: lines checked, then rows written.
    assert any(re.match(r"Checking every line: [\d,]+ of about 6,000 lines", p["step"]) for p in running)
    assert any(SAVING_WITH_ROWS_WRITTEN.match(p["step"]) and 40 < p["percent"] < 100 for p in running)
    percents = [p["percent"] for p in running]
    assert percents == sorted(percents)  # the bar only moves forward
    assert seen[-1]["state"] == "done"
    result = BeautifulSoup(second_web.get(seen[-1]["next"]).get_data(as_text=True), "html.parser")
    assert "Engagements added 6,000" in " ".join(result.select_one("#import-summary").get_text().split())
    job = _job(app, job_id)
    assert job.content is None and job.attempts == 1
    assert "Executing interests.tasks.staff-import" in worker.log.read_text()


def test_a_worker_killed_mid_import_saves_nothing_is_tried_again_then_reported(
    app: Flask, admin: str, second_web: FlaskClient, start_worker: Callable[..., Worker], worker_env: None
) -> None:
    before = _saved(app)
    job_id = _upload(app, admin)

    # First attempt: killed after writing rows in the import's transaction.
    _kill_mid_import(second_web, job_id, start_worker("--no-periodic"))
    assert _saved(app) == before  # nothing of it was committed
    job = _job(app, job_id)
    assert job.status == "saving" and job.attempts == 1
    # Silent for longer than IMPORT_STALE_AFTER_SECONDS: the other server says it will start again.
    interrupted = _watch(second_web, job_id, lambda p: p["state"] == "interrupted", None)[-1]
    assert interrupted["finished"] is False and "start again" in interrupted["step"]

    # The next worker's every-minute check (queued by hand here) queues it again; killed again.
    tasks.queue_for(app).enqueue("recover-imports")
    _kill_mid_import(second_web, job_id, start_worker("--no-periodic"))
    assert _saved(app) == before
    assert _job(app, job_id).attempts == 2

    # Interrupted in its last attempt: marked failed, with a message, and the file dropped.
    time.sleep(STALE_SECONDS + 0.5)
    tasks.queue_for(app).enqueue("recover-imports")
    worker = start_worker("--no-periodic")
    # Until the worker has marked it, the other server already says it stopped, as finished.
    seen = _watch(second_web, job_id, lambda p: p["state"] == "failed", worker)
    assert all(p["finished"] and "Nothing was saved" in p["step"] for p in seen if p["state"] == "stopped")
    ended = seen[-1]
    assert ended["finished"] is True
    job = _job(app, job_id)
    assert job.status == "failed" and job.content is None and job.finished_at is not None
    assert job.message == "The import stopped before it finished. Nothing was saved. Upload the file again."
    page = second_web.get(ended["next"]).get_data(as_text=True)
    assert job.message in " ".join(page.split())
    assert _saved(app) == before
