"""Attacks on today's staff import jobs, by provider admins: two uploads racing past the "one import
at a time per provider" check."""

from __future__ import annotations

import contextlib
import threading
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import StaffImportJob
from interests.services.staff import jobs as import_jobs
from tests import factories
from tests.db.test_staff_import import GOOD, csv_bytes


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "IMPORT_IN_BACKGROUND_FROM_BYTES": 0,  # every file is "big" here
        "TASK_QUEUE_FILE": str(tmp_path / "instance" / "tasks.sqlite3"),
        "REDIS_URL": "",
    }


@pytest.mark.alldb
def test_two_uploads_racing_start_one_import_not_two(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        provider = factories.make_provider(slug="riverside")
        admins = [factories.make_account("provider_admin", providers=[provider]) for _ in range(2)]
        db.session.commit()
        emails = [a.email for a in admins]
    clients = []
    for email in emails:
        client = app.test_client()
        factories.sign_in(client, email)
        clients.append(client)
    # Both requests pass the "is one running?" check before either stores its job.
    both_checked = threading.Barrier(2)
    in_background = import_jobs.in_background

    def after_the_check(content: bytes) -> bool:
        # A broken barrier: the other request waits for this one, no race to widen.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=2)
        return in_background(content)

    monkeypatch.setattr(import_jobs, "in_background", after_the_check)
    statuses: list[int] = []
    pages: list[str] = []

    def upload(client: Any, rows: list[str]) -> None:
        response = client.post(
            "/manage/riverside/import",
            data={"file": (BytesIO(csv_bytes(*rows)), "staff.csv")},
            content_type="multipart/form-data",
        )
        statuses.append(response.status_code)
        pages.append(response.get_data(as_text=True))

    threads = [
        threading.Thread(target=upload, args=(clients[0], GOOD)),
        threading.Thread(target=upload, args=(clients[1], GOOD[:2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(statuses) == [200, 303]  # one started, the other told one is running
    assert any("An import of staff.csv is already running" in page for page in pages)
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffImportJob.id))) == 1


@pytest.mark.alldb
@pytest.mark.parametrize("status", ["waiting", "checking", "refused", "failed", "done"])
def test_another_providers_import_job_is_not_found_by_a_hostile_admin(app: Flask, status: str) -> None:
    secret = "victim-zqxmark-staff.csv"
    with app.app_context():
        victim = factories.make_provider(slug="victim")
        hostile = factories.make_provider(slug="hostile")
        attacker = factories.make_account("provider_admin", providers=[hostile])
        job = StaffImportJob(
            provider_id=victim.id,
            filename=secret,
            file_sha256="0" * 64,
            status=status,
            step="adding people",
            done=7,
            total=9,
            problem_count=1,
            problems=[[2, "email", "zqxmark@victim.example.org is not valid"]],
        )
        db.session.add(job)
        db.session.commit()
        job_id, email = job.id, attacker.email
    client = app.test_client()
    factories.sign_in(client, email)
    for path in (
        f"/manage/hostile/import/jobs/{job_id}",
        f"/manage/hostile/import/jobs/{job_id}/progress",
        f"/manage/victim/import/jobs/{job_id}",
        f"/manage/victim/import/jobs/{job_id}/progress",
        "/manage/victim/import",
        f"/manage/hostile/import/jobs/{job_id + 1000}/progress",
        "/manage/hostile/import/jobs/99999999999999999999/progress",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "zqxmark" not in response.get_data(as_text=True), path
    page = client.get("/manage/hostile/import")
    assert page.status_code == 200
    assert "zqxmark" not in page.get_data(as_text=True)
