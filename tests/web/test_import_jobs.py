"""Big staff lists import in the background, as tasks a worker takes from the queue (here a real Huey
consumer in a thread of the test): the lead sees how far the import has got, then the result or
every problem; nothing is saved from a refused, failed or interrupted import; an interrupted import
is tried once more, then reported; one import runs at a time per provider; the file itself is not
kept once the import ends. (tests/db/test_import_worker.py runs them in `flask worker` processes.)"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests import tasks
from interests.extensions import db
from interests.models import Engagement, Provider, StaffImportJob, utcnow
from interests.models.staff_imports import IMPORT_JOB_RUNNING
from interests.services.staff import importing as staff_import
from interests.services.staff import jobs as import_jobs
from tests import factories
from tests.conftest import task_consumer
from tests.db.test_staff_import import GOOD, counts, csv_bytes


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "IMPORT_IN_BACKGROUND_FROM_BYTES": 0,  # every file is "big" here
        "TASK_QUEUE_FILE": str(tmp_path / "instance" / "tasks.sqlite3"),
        "REDIS_URL": "",
    }


@pytest.fixture
def worker(app: Flask) -> Iterator[None]:
    """A worker taking tasks from the app's queue while the test runs."""
    with task_consumer(app):
        yield


@pytest.fixture
def provider(app_ctx: Flask) -> Provider:
    provider = factories.make_provider(slug="riverside")
    db.session.commit()
    return provider


@pytest.fixture
def admin(provider: Provider) -> Any:
    account = factories.make_account("provider_admin", providers=[provider])
    db.session.commit()
    return account


@pytest.fixture
def client(app: Flask, admin: Any) -> FlaskClient:
    client = app.test_client()
    factories.sign_in(client, admin.email)
    return client


def _upload(client: FlaskClient, content: bytes, name: str = "staff.csv") -> Any:
    return client.post(
        "/manage/riverside/import",
        data={"file": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _job_id(response: Any) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.fullmatch(r"/manage/riverside/import/jobs/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _wait_for_end(job_id: int, timeout: float = 60) -> StaffImportJob:
    """The job once the worker has ended it (read afresh: the worker commits in its own session)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        job = db.session.get_one(StaffImportJob, job_id)
        db.session.refresh(job)
        if job.status not in IMPORT_JOB_RUNNING:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout}s"
        time.sleep(0.05)


def _run_to_end(app: Flask, response: Any) -> int:
    job_id = _job_id(response)
    _wait_for_end(job_id)
    return job_id


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _waiting_job(
    provider: Provider,
    admin: Any,
    *,
    filename: str = "big.csv",
    age: timedelta = timedelta(),
    status: str = "waiting",
    attempts: int = 0,
) -> int:
    """A job as the worker finds it before it starts (or as an interrupted process left it)."""
    content = csv_bytes(*GOOD)
    job = StaffImportJob(
        provider_id=provider.id,
        account_id=admin.id,
        filename=filename,
        file_sha256=staff_import.sha256(content),
        file_bytes=len(content),
        expected_lines=3,
        content=content,
        status=status,
        attempts=attempts,
        created_at=utcnow() - age,
    )
    db.session.add(job)
    db.session.commit()
    return job.id


@pytest.mark.alldb
def test_big_file_imports_in_background_then_shows_the_result(
    app: Flask, provider: Provider, client: FlaskClient, worker: None
) -> None:
    job_id = _run_to_end(app, _upload(client, csv_bytes(*GOOD)))

    progress = client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()
    assert progress["finished"] is True and progress["state"] == "done" and progress["percent"] == 100
    result = client.get(progress["next"])
    summary = " ".join(_soup(result).select_one("#import-summary").get_text().split())
    assert "Lines in the file 3" in summary and "Engagements added 3" in summary
    # The job's own address now leads to the result too.
    again = client.get(f"/manage/riverside/import/jobs/{job_id}")
    assert again.status_code == 302 and again.headers["Location"] == progress["next"]
    assert counts()["engagements"] == 3
    job = db.session.get_one(StaffImportJob, job_id)
    assert job.content is None and job.finished_at is not None  # the file is not kept


@pytest.mark.alldb
def test_with_redis_the_upload_waits_in_redis_until_a_worker_takes_and_imports_it(
    app: Flask, provider: Provider, client: FlaskClient, redis_url: str
) -> None:
    app.config["REDIS_URL"] = redis_url  # read when the queue is first used, by the upload
    job_id = _job_id(_upload(client, csv_bytes(*GOOD)))
    queue = tasks.queue_for(app)
    assert type(queue.huey).__name__ == "RedisExpireHuey" and queue.pending() == 1
    assert db.session.get_one(StaffImportJob, job_id).status == "waiting"

    with task_consumer(app):
        job = _wait_for_end(job_id)
    assert job.status == "done" and queue.pending() == 0
    assert counts()["engagements"] == 3


@pytest.mark.alldb
def test_refused_file_in_background_lists_every_problem_and_saves_nothing(
    app: Flask, provider: Provider, client: FlaskClient, worker: None
) -> None:
    before = counts()
    bad = csv_bytes(GOOD[0].replace("GMC", "GMX"), GOOD[1], GOOD[2].replace("2025-01-15", "2025-02-30"))
    job_id = _run_to_end(app, _upload(client, bad, "bad.csv"))

    progress = client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()
    assert progress["finished"] is True and progress["state"] == "refused"
    assert progress["next"] == f"/manage/riverside/import/jobs/{job_id}"
    page = _soup(client.get(progress["next"]))
    assert "The file has 2 problems. Nothing was saved" in page.select_one(".nhsuk-error-summary").get_text()
    rows = [
        [" ".join(td.get_text().split()) for td in tr.select("td")]
        for tr in page.select("#problems tbody tr")
    ]
    assert rows[0][:2] == ["2", "Regulator"] and "Unknown regulator 'GMX'" in rows[0][2]
    assert rows[1][:2] == ["4", "Start date"] and "is not a real date" in rows[1][2]
    # The form to upload the corrected file is right there, and posts to the import page.
    assert page.select_one("#import-form")["action"] == "/manage/riverside/import"
    assert counts() == before
    assert db.session.get_one(StaffImportJob, job_id).content is None


def test_failed_import_says_nothing_was_saved(
    app: Flask, provider: Provider, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, worker: None
) -> None:
    real_save = staff_import.save

    def save_then_fail(*args: Any, **kwargs: Any) -> Any:
        real_save(*args, **kwargs)  # everything written...
        raise RuntimeError("the database went away")  # ...then the commit never happens

    monkeypatch.setattr(staff_import, "save", save_then_fail)
    before = counts()
    job_id = _run_to_end(app, _upload(client, csv_bytes(*GOOD)))

    assert client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()["state"] == "failed"
    page = _soup(client.get(f"/manage/riverside/import/jobs/{job_id}"))
    assert "did not finish" in page.select_one("h1").get_text()
    assert "Nothing was saved" in page.select_one("#import-stopped").get_text()
    assert "could not be finished" in page.select_one("#import-stopped").get_text()
    assert counts() == before
    job = db.session.get_one(StaffImportJob, job_id)
    assert job.content is None and job.attempts == 1  # an import that raised is not tried again


def test_running_import_page_shows_progress_and_polls(
    app: Flask, provider: Provider, admin: Any, client: FlaskClient
) -> None:
    job_id = _waiting_job(provider, admin)
    response = client.get(f"/manage/riverside/import/jobs/{job_id}")
    assert response.status_code == 200
    page = _soup(response)
    assert page.select_one("h1").get_text(" ", strip=True).endswith("Importing big.csv")
    bar = page.select_one("progress#import-bar")
    assert (
        bar is not None
        and bar["max"] == "100"
        and page.select_one("label[for=import-bar]").get_text() == "Waiting to start"
    )
    assert (
        page.select_one("#import-job")["data-progress-url"]
        == f"/manage/riverside/import/jobs/{job_id}/progress"
    )
    assert page.select_one("[role=status]").get_text() == "Waiting to start"
    progress = client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()
    assert progress == {
        "state": "waiting",
        "step": "Waiting to start",
        "percent": 0,
        "finished": False,
        "next": f"/manage/riverside/import/jobs/{job_id}",
    }
    # The import page links to it while it runs.
    notice = _soup(client.get("/manage/riverside/import")).select_one("#running-import")
    assert "An import of big.csv started on" in notice.get_text()
    assert notice.select_one("a")["href"] == f"/manage/riverside/import/jobs/{job_id}"


def test_one_import_at_a_time_per_provider(
    app: Flask, provider: Provider, admin: Any, client: FlaskClient
) -> None:
    running = _waiting_job(provider, admin)
    jobs_before = db.session.scalar(select(func.count()).select_from(StaffImportJob))

    other = _upload(client, csv_bytes(GOOD[0]), "another.csv")
    assert other.status_code == 200
    assert (
        "An import of big.csv is already running. Wait for it to finish, then upload this file again"
        in _soup(other).select_one(".nhsuk-error-summary").get_text()
    )
    # The same file again from the same person (a second click): shown the import already running.
    same = _upload(client, csv_bytes(*GOOD), "big.csv")
    assert same.status_code == 303 and same.headers["Location"].endswith(f"/import/jobs/{running}")
    assert db.session.scalar(select(func.count()).select_from(StaffImportJob)) == jobs_before
    assert counts()["engagements"] == 0


def test_interrupted_import_is_reported_and_does_not_block_the_next(
    app: Flask, provider: Provider, admin: Any, client: FlaskClient, worker: None
) -> None:
    # Its worker died mid-import, in its last attempt (an earlier one is tried again: below).
    stale = _waiting_job(
        provider,
        admin,
        age=import_jobs.STALE_AFTER + timedelta(minutes=1),
        status="saving",
        attempts=import_jobs.MAX_ATTEMPTS,
    )

    assert client.get(f"/manage/riverside/import/jobs/{stale}/progress").get_json()["state"] == "stopped"
    page = _soup(client.get(f"/manage/riverside/import/jobs/{stale}"))
    assert "The import stopped before it finished" in page.select_one("#import-stopped").get_text()
    assert _soup(client.get("/manage/riverside/import")).select_one("#running-import") is None

    job_id = _run_to_end(app, _upload(client, csv_bytes(*GOOD)))
    assert client.get(f"/manage/riverside/import/jobs/{job_id}/progress").get_json()["state"] == "done"
    old = db.session.get_one(StaffImportJob, stale)
    assert old.status == "failed" and old.content is None  # the interrupted job's file is dropped
    assert old.message == import_jobs.STOPPED_MESSAGE


@pytest.mark.alldb
def test_interrupted_import_is_tried_again_by_the_worker_and_finishes(
    app: Flask, provider: Provider, admin: Any, client: FlaskClient, worker: None
) -> None:
    """Its worker died in the first attempt: the page says it will start again, and the worker's
    every-minute check (queued here by hand) queues it again; the second attempt imports it."""
    stale = _waiting_job(
        provider, admin, age=import_jobs.STALE_AFTER + timedelta(minutes=1), status="saving", attempts=1
    )
    progress = client.get(f"/manage/riverside/import/jobs/{stale}/progress").get_json()
    assert progress["state"] == "interrupted" and progress["finished"] is False
    assert progress["step"] == "The import was interrupted. It will start again shortly"
    assert counts()["engagements"] == 0

    tasks.queue_for(app).enqueue("recover-imports")
    job = _wait_for_end(stale)

    assert job.status == "done" and job.attempts == 2 and job.content is None
    assert client.get(f"/manage/riverside/import/jobs/{stale}/progress").get_json()["state"] == "done"
    assert counts()["engagements"] == 3


@pytest.mark.alldb
def test_import_interrupted_twice_is_marked_failed_with_a_message_and_its_file_dropped(
    app: Flask, provider: Provider, admin: Any, client: FlaskClient, worker: None
) -> None:
    stale = _waiting_job(
        provider,
        admin,
        age=import_jobs.STALE_AFTER + timedelta(minutes=1),
        status="checking",
        attempts=import_jobs.MAX_ATTEMPTS,
    )
    tasks.queue_for(app).enqueue("recover-imports")
    job = _wait_for_end(stale)

    assert job.status == "failed" and job.content is None and job.finished_at is not None
    assert job.message == "The import stopped before it finished. Nothing was saved. Upload the file again."
    progress = client.get(f"/manage/riverside/import/jobs/{stale}/progress").get_json()
    assert progress["state"] == "failed" and progress["finished"] is True
    page = _soup(client.get(f"/manage/riverside/import/jobs/{stale}"))
    assert "did not finish" in page.select_one("h1").get_text()
    assert job.message in " ".join(page.select_one("#import-stopped").get_text().split())
    assert counts()["engagements"] == 0


def test_small_file_still_imports_at_once(app: Flask, provider: Provider, client: FlaskClient) -> None:
    app.config["IMPORT_IN_BACKGROUND_FROM_BYTES"] = 256 * 1024
    response = _upload(client, csv_bytes(*GOOD))
    assert response.status_code == 302 and re.search(
        r"/manage/riverside/imports/\d+$", response.headers["Location"]
    )
    assert db.session.scalar(select(func.count()).select_from(StaffImportJob)) == 0
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 3


@pytest.mark.parametrize(
    ("status", "live", "step", "percent"),
    [
        ("checking", None, "Checking every line", 0),
        (
            "checking",
            import_jobs.Live("checking", 25_000, 0),
            "Checking every line: 25,000 of about 50,000 lines",
            20,
        ),
        ("saving", import_jobs.Live("checking", 50_000, 0), "Saving your staff list", 40),
        (
            "saving",
            import_jobs.Live("adding people", 4_000, 8_000),
            "Adding people new to the register: 4,000 of 8,000",
            50,
        ),
        (
            "saving",
            import_jobs.Live("adding engagements", 1_000, 4_000),
            "Adding engagements: 1,000 of 4,000",
            63,
        ),
        ("saving", import_jobs.Live("inviting", 0, 40_000), "Preparing invitations: 0 of 40,000", 80),
        ("saving", None, "Saving your staff list", 40),  # asked of a process not running it
    ],
)
def test_progress_says_which_step_and_how_far(status: str, live: Any, step: str, percent: int) -> None:
    job = StaffImportJob(status=status, expected_lines=50_000, created_at=utcnow(), started_at=utcnow())
    progress = import_jobs.progress_of(job, live)
    assert (progress.step, progress.percent, progress.finished) == (step, percent, False)


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"", 0), (b"header\r\n", 0), (b"header\r\na\r\nb\r\n", 2), (b"header\na\nb", 2)],
)
def test_expected_lines_counts_lines_after_the_header(content: bytes, lines: int) -> None:
    assert import_jobs.expected_lines(content) == lines
