"""A real worker: `flask --app interests worker` in its own process (tests/worker_process.py), on
the embedded (SQLite) task queue in a temporary directory, runs a task queued by the app and
delivers an outbox email to a local SMTP server; with its schedule on, it delivers the outbox with
nothing queued by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from interests import tasks
from interests.extensions import db
from interests.models import OutboxEmail
from interests.services import outbox
from tests.worker_process import WAIT_SECONDS, Worker


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"TASK_QUEUE_FILE": str(tmp_path / "instance" / "tasks.sqlite3"), "REDIS_URL": ""}


def _queue_email(app: Flask, subject: str) -> None:
    with app.app_context():
        outbox.send_email(
            kind="test", to="someone@example.org", subject=subject, body="Hello from the worker"
        )
        db.session.commit()


def _wait_for(condition: Callable[[], bool], worker: Worker) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    log = worker.log
    while not condition():
        if worker.process.poll() is not None:
            pytest.fail(
                f"the worker stopped (exit code {worker.process.returncode}); its log:\n{log.read_text()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not do it within {WAIT_SECONDS}s; its log:\n{log.read_text()}")
        time.sleep(0.2)


@pytest.mark.alldb
def test_a_worker_process_runs_a_queued_task_and_the_email_reaches_the_mail_server(
    app: Flask, start_worker: Callable[..., Worker], smtp_server: Any
) -> None:
    _queue_email(app, "Queued by hand")
    tasks.queue_for(app).enqueue("deliver-outbox")
    assert tasks.queue_for(app).pending() == 1
    worker = start_worker("--no-periodic")  # only what was queued runs
    _wait_for(lambda: len(smtp_server.messages) == 1, worker)
    assert "Subject: Queued by hand" in smtp_server.messages[0]
    _wait_for(lambda: tasks.queue_for(app).pending() == 0, worker)

    def marked_sent() -> bool:
        # The server has the message before the worker's transaction marks it sent: wait for that.
        with app.app_context():
            email = db.session.scalar(select(OutboxEmail))
            return email is not None and email.sent_at is not None

    _wait_for(marked_sent, worker)
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail))
        assert email.sent_at is not None and email.attempts == 1
    assert "Executing interests.tasks.deliver-outbox" in worker.log.read_text()


@pytest.mark.alldb
def test_a_worker_with_its_schedule_delivers_the_outbox_with_nothing_queued_by_hand(
    app: Flask, start_worker: Callable[..., Worker], smtp_server: Any
) -> None:
    _queue_email(app, "Sent on schedule")
    worker = start_worker()
    _wait_for(lambda: len(smtp_server.messages) == 1, worker)
    assert "Subject: Sent on schedule" in smtp_server.messages[0]
    assert "Enqueueing periodic task interests.tasks.deliver-outbox" in worker.log.read_text()
