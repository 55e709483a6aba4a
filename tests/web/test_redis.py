"""Redis where counts must be shared (REDIS_URL): the rate limits count across every copy of the app,
and the task queue keeps its tasks there. Against a real redis-server (TEST_REDIS_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from interests import config, tasks
from interests.extensions import db
from interests.models import OutboxEmail
from interests.services import outbox
from tests.conftest import make_app

WRONG = {"email": "nobody@example.org", "password": "not the password at all"}


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path, redis_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two copies of the app, as two gunicorn workers or two machines would run, sharing one Redis."""
    apps = tuple(
        make_app(
            database_url,
            tmp_path / name,
            RATELIMIT_ENABLED=True,
            REDIS_URL=redis_url,
            SIGN_IN_RATE_LIMIT="3 per minute",
        )
        for name in ("first", "second")
    )
    yield apps  # type: ignore[misc]
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_sign_in_limit_is_reached_across_two_servers_sharing_redis(
    two_servers: tuple[Flask, Flask],
) -> None:
    first, second = (app.test_client() for app in two_servers)
    assert two_servers[0].config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert [first.post("/sign-in", data=WRONG).status_code for _ in range(2)] == [200, 200]
    assert second.post("/sign-in", data=WRONG).status_code == 200  # the 3rd attempt, on another server
    assert second.post("/sign-in", data=WRONG).status_code == 429
    assert first.post("/sign-in", data=WRONG).status_code == 429
    # The counts are in Redis, not in either process: without them, signing in is allowed again.
    connection = redis.Redis.from_url(two_servers[0].config["REDIS_URL"])
    try:
        assert connection.keys("LIMITS*")
        connection.flushdb()
    finally:
        connection.close()
    assert first.post("/sign-in", data=WRONG).status_code == 200


@pytest.mark.parametrize(
    ("environment", "storage"),
    [
        ({}, "memory://"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "redis://cache:6379/0"),
        (
            {"REDIS_URL": "redis://cache:6379/0", "RATELIMIT_STORAGE_URI": "memcached://m:11211"},
            "memcached://m:11211",
        ),
    ],
)
def test_rate_limits_count_in_redis_when_it_is_set_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environment: dict[str, str], storage: str
) -> None:
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = config.load(str(tmp_path), {"SECRET_KEY": "x" * 40})
    assert settings["RATELIMIT_STORAGE_URI"] == storage


def test_redis_huey_keeps_a_queued_task_until_a_worker_takes_and_runs_it(
    database_url: str, tmp_path: Path, redis_url: str, smtp_server: Any
) -> None:
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.server_address[1])}
    app = make_app(database_url, tmp_path, REDIS_URL=redis_url, **mail)
    try:
        with app.app_context():
            outbox.send_email(kind="test", to="a@example.org", subject="Through Redis", body="Hello")
            db.session.commit()
        queue = tasks.queue_for(app)
        assert type(queue.huey).__name__ == "RedisExpireHuey"
        queue.enqueue("deliver-outbox")
        assert queue.pending() == 1
        # A second copy of the app (another machine) sees the same queue and takes the task from it.
        worker = tasks.queue_for(make_app(database_url, tmp_path / "worker", REDIS_URL=redis_url, **mail))
        task = worker.huey.dequeue()
        assert task is not None and task.name == "deliver-outbox"
        assert queue.pending() == 0
        worker.huey.execute(task)
        assert len(smtp_server.messages) == 1 and "Subject: Through Redis" in smtp_server.messages[0]
        with app.app_context():
            assert db.session.get(OutboxEmail, 1).sent_at is not None
        # Its lock was released when it finished; while held, Redis would expire it on its own.
        lock = worker.locks["deliver-outbox"]
        assert not lock.is_locked()
        with lock:
            key = f"{tasks.QUEUE_NAME}.lock.deliver-outbox"
            assert 0 < worker.huey.storage.conn.ttl(worker.huey.storage.result_key(key)) <= 3600
    finally:
        with app.app_context():
            db.engine.dispose()
