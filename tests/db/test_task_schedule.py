"""The worker's schedule keeps UK time (interests/tasks.py): a daily job runs at its time on UK clocks
in winter (GMT) and in summer (BST), exactly once on the days the clocks change; the every-minute
jobs run every minute; a job that is already running is not started a second time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from huey.exceptions import TaskLockedException

from interests import clock, tasks
from interests.extensions import db
from interests.models import OutboxEmail
from interests.services import outbox

EVERY_MINUTE = {"deliver-outbox", "apply-search-work", "recover-imports"}


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"TASK_QUEUE_FILE": str(tmp_path / "tasks.sqlite3"), "REDIS_URL": ""}


@pytest.fixture
def queue(app: Flask) -> tasks.TaskQueue:
    return tasks.queue_for(app)


def _due_at(queue: tasks.TaskQueue, moment: datetime) -> set[str]:
    """What the worker's scheduler would queue in this minute (it asks Huey with the clock's UTC time)."""
    with time_machine.travel(moment, tick=False):
        return {task.name for task in queue.huey.read_periodic(None)}


@pytest.mark.parametrize(
    ("utc", "uk_clock", "daily_job"),
    [
        # Winter: UK clocks show GMT, the same as UTC.
        (datetime(2026, 1, 15, 0, 5, tzinfo=UTC), "00:05 GMT", "refresh-search"),
        (datetime(2026, 1, 15, 2, 45, tzinfo=UTC), "02:45 GMT", "publish-national-data"),
        (datetime(2026, 1, 15, 3, 15, tzinfo=UTC), "03:15 GMT", "compliance-snapshot"),
        (datetime(2026, 1, 15, 3, 30, tzinfo=UTC), "03:30 GMT", "prune-security-events"),
        (datetime(2026, 1, 15, 8, 0, tzinfo=UTC), "08:00 GMT", "send-reminders"),
        (datetime(2026, 1, 15, 7, 30, tzinfo=UTC), "07:30 GMT", "send-alert-digests"),
        # Summer: UK clocks show BST, an hour ahead of UTC (00:05 BST is still yesterday in UTC).
        (datetime(2026, 7, 14, 23, 5, tzinfo=UTC), "00:05 BST", "refresh-search"),
        (datetime(2026, 7, 15, 1, 45, tzinfo=UTC), "02:45 BST", "publish-national-data"),
        (datetime(2026, 7, 15, 2, 15, tzinfo=UTC), "03:15 BST", "compliance-snapshot"),
        (datetime(2026, 7, 15, 2, 30, tzinfo=UTC), "03:30 BST", "prune-security-events"),
        (datetime(2026, 7, 15, 7, 0, tzinfo=UTC), "08:00 BST", "send-reminders"),
        (datetime(2026, 7, 15, 6, 30, tzinfo=UTC), "07:30 BST", "send-alert-digests"),
    ],
)
def test_a_daily_job_is_due_at_its_uk_time_in_winter_and_in_summer(
    queue: tasks.TaskQueue, utc: datetime, uk_clock: str, daily_job: str
) -> None:
    assert clock.in_uk_time(utc).strftime("%H:%M %Z") == uk_clock
    assert _due_at(queue, utc) == EVERY_MINUTE | {daily_job}
    # An hour either side (where a UTC crontab would have run it in one season or the other): not due.
    assert _due_at(queue, utc - timedelta(hours=1)) == EVERY_MINUTE
    assert _due_at(queue, utc + timedelta(hours=1)) == EVERY_MINUTE


@pytest.mark.parametrize(
    "uk_day",
    [
        date(2026, 3, 29),  # the clocks go forward at 01:00 GMT: a 23-hour day
        date(2026, 10, 25),  # the clocks go back at 02:00 BST: a 25-hour day
        date(2026, 3, 28),
        date(2026, 10, 26),
    ],
)
def test_each_daily_job_runs_exactly_once_on_a_uk_day_even_when_the_clocks_change(uk_day: date) -> None:
    start = datetime.combine(uk_day, time(0, 0), tzinfo=clock.UK_TIME).astimezone(UTC)
    end = datetime.combine(uk_day + timedelta(days=1), time(0, 0), tzinfo=clock.UK_TIME).astimezone(UTC)
    runs: Counter[str] = Counter()
    minutes = 0
    moment = start
    while moment < end:
        # Huey hands its validate functions a naive UTC timestamp.
        naive = moment.replace(tzinfo=None)
        runs.update(job.name for job in tasks.SCHEDULE if job.due(naive))
        moment += timedelta(minutes=1)
        minutes += 1
    assert minutes == {date(2026, 3, 29): 23 * 60, date(2026, 10, 25): 25 * 60}.get(uk_day, 24 * 60)
    assert runs == {
        "deliver-outbox": minutes,
        "apply-search-work": minutes,
        "recover-imports": minutes,
        "refresh-search": 1,
        "publish-national-data": 1,
        "compliance-snapshot": 1,
        "prune-security-events": 1,
        "send-reminders": 1,
        "send-alert-digests": 1,
    }


def test_a_job_already_running_elsewhere_is_refused_and_sends_nothing(
    app: Flask, queue: tasks.TaskQueue, smtp_server: Any
) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_server.server_address[1]))
    with app.app_context():
        outbox.send_email(kind="test", to="a@example.org", subject="Once only", body="Hello")
        db.session.commit()
    # Another worker is delivering the outbox:
    with queue.locks["deliver-outbox"], pytest.raises(TaskLockedException):
        queue.tasks["deliver-outbox"].call_local()
    assert smtp_server.messages == []
    queue.tasks["deliver-outbox"].call_local()  # once the other has finished
    assert len(smtp_server.messages) == 1 and "Subject: Once only" in smtp_server.messages[0]
    with app.app_context():
        assert db.session.get(OutboxEmail, 1).sent_at is not None


def test_the_nightly_national_download_publishes_once_and_is_refused_while_another_runs(
    app: Flask, queue: tasks.TaskQueue
) -> None:
    from interests.services import national_data as national

    # Another worker is publishing tonight's files: this one writes nothing.
    with queue.locks["publish-national-data"], pytest.raises(TaskLockedException):
        queue.tasks["publish-national-data"].call_local()
    with app.app_context():
        assert national.nights() == []
    with time_machine.travel(datetime(2026, 7, 15, 1, 45, tzinfo=UTC), tick=False):  # 02:45 BST
        queue.tasks["publish-national-data"].call_local()
    with app.app_context():
        assert national.nights() == [date(2026, 7, 15)]
        assert national.package(date(2026, 7, 15)) is not None
