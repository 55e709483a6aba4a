"""Fixtures shared by every test.

Database tests marked ``alldb`` run on SQLite and, when TEST_DATABASE_URL names one, on
PostgreSQL too. Without PostgreSQL they are skipped with a reason - except under CI=true,
where a missing database is a failure, never a skip.

The suite runs in parallel (pytest-xdist, `make test` passes `-n auto`): each worker process has
its own PostgreSQL database (TEST_DATABASE_URL's for the first worker, the same name with
`_gw1`, `_gw2`... for the others, made on first use: the role needs CREATEDB) and its own Redis
database number (TEST_REDIS_URL's plus the worker's number); everything else a test writes is
under its own tmp_path.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey.consumer import Consumer
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from interests import create_app
from interests.extensions import db

pytest_plugins = ["tests.mail_server", "tests.worker_process"]

# "gw0", "gw1"... in a pytest-xdist worker; "" when the suite runs in one process.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0


def _for_this_worker(database_url: str, redis_url: str) -> tuple[str, str]:
    """The worker's own PostgreSQL database and Redis database number (the first worker's are the
    ones named)."""
    if not WORKER_NUMBER:
        return database_url, redis_url
    if database_url:
        url = make_url(database_url)
        url = url.set(database=f"{url.database}_gw{WORKER_NUMBER}")
        database_url = url.render_as_string(hide_password=False)
    if redis_url:
        parts = urlsplit(redis_url)
        number = int(parts.path.strip("/") or 0) + WORKER_NUMBER
        if number > 15:
            raise RuntimeError(f"TEST_REDIS_URL's database number plus the worker's ({number}) is over 15")
        redis_url = urlunsplit(parts._replace(path=f"/{number}"))
    return database_url, redis_url


TEST_DATABASE_URL, TEST_REDIS_URL = _for_this_worker(
    os.environ.get("TEST_DATABASE_URL", ""), os.environ.get("TEST_REDIS_URL", "")
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_PASSWORD = "correct horse battery staple"


def require_or_skip(available: bool, what: str) -> None:
    """Skip a test needing a missing service, with the reason; under CI, fail instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("alldb"):
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, scope="function")


def _create_worker_database(url: str) -> None:
    """Make this worker's PostgreSQL database if it is missing (from the first worker's, which
    must exist: .ci/run and a developer make that one)."""
    target = make_url(url)
    first = target.set(database=target.database.rsplit("_gw", 1)[0])
    engine = create_engine(first, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if conn.scalar(exists, {"name": target.database}):
                return
            try:
                name = target.database
                conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
            except ProgrammingError as error:
                if "already exists" in str(error):  # made by a run at the same moment
                    return
                raise RuntimeError(
                    f"Cannot make {target.database} for test worker {XDIST_WORKER}: grant the role "
                    f"CREATEDB (ALTER ROLE {target.username} CREATEDB), or run the suite in one process "
                    "(pytest -n 0)"
                ) from error
    finally:
        engine.dispose()


_worker_database_ready = False


def _reset_postgres(url: str) -> None:
    global _worker_database_ready
    if WORKER_NUMBER and not _worker_database_ready:
        probe = create_engine(url)
        try:
            probe.connect().close()
        except OperationalError:
            _create_worker_database(url)
        finally:
            probe.dispose()  # its pooled connection closed now, not when collected (a ResourceWarning)
        _worker_database_ready = True
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the schema built once; each test gets its own copy (DDL is slow)."""
    path = tmp_path_factory.mktemp("template") / "schema.sqlite3"
    app = make_app(f"sqlite:///{path}", path.parent)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def postgres_url() -> str:
    """An emptied PostgreSQL database, for tests of the national path only (skipped without one,
    except under CI)."""
    require_or_skip(bool(TEST_DATABASE_URL), "PostgreSQL (TEST_DATABASE_URL)")
    from interests.config import _normalise_database_url

    url = _normalise_database_url(TEST_DATABASE_URL)
    _reset_postgres(url)
    return url


@pytest.fixture
def database_url(backend: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-to-use",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "DATA_DIR": str(tmp_path / "data"),
        # Never the repository's instance/tasks.sqlite3: tests (and parallel workers) each their own.
        "TASK_QUEUE_FILE": str(tmp_path / "tasks.sqlite3"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        # Links in emails are built on BASE_URL (never the request's host): the same test server.
        "BASE_URL": "http://localhost",
        # Cheap argon2id so tests are quick; the production parameters are tested on their own.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis (TEST_REDIS_URL), emptied before and after the test; skipped without one, except
    under CI."""
    require_or_skip(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL)")
    import redis

    connection = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        connection.flushdb()
        yield TEST_REDIS_URL
        connection.flushdb()
    finally:
        connection.close()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a module to change the app's settings for its tests."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, **app_config)
    if not database_url.startswith("sqlite"):
        with app.app_context():
            db.create_all()
    yield app
    stop_background_work(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


CONSUMER = "test_task_consumer"


def stop_background_work(app: Flask) -> None:
    """Stop the app's task consumer, if a test started one, once its task in hand has finished (a
    background staff import), before its database goes away."""
    consumer = app.extensions.pop(CONSUMER, None)
    if consumer is not None:
        consumer.stop(graceful=True)


@contextmanager
def task_consumer(app: Flask) -> Iterator[Consumer]:
    """A real Huey consumer on the app's task queue, its worker a thread of this process: what
    `flask --app interests worker` runs, without the schedule, and polling the queue more often.

    Must be started from the main thread (Huey sets its signal handlers; they are put back after).
    """
    from interests import tasks

    queue = tasks.queue_for(app)
    consumer = Consumer(
        queue.huey,
        workers=1,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        backoff=1.1,
        max_delay=0.25,
        flush_locks=True,
    )
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    app.extensions[CONSUMER] = consumer
    consumer.start()
    try:
        yield consumer
    finally:
        stop_background_work(app)
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.fixture
def second_server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Another copy of the app on the same database, as a second server (or the command line) is."""
    other = make_app(database_url, tmp_path / "second")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that work with models directly (not with the client)."""
    with app.app_context():
        yield app
