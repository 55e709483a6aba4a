"""Behind a reverse proxy (TRUSTED_PROXY_COUNT): the sign-in rate limit counts each client, not the
proxy; without one, X-Forwarded-For is ignored. And where the limiter keeps its counts
(RATELIMIT_STORAGE_URI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from limits.storage import MemoryStorage, RedisStorage

from interests import config as settings
from interests.extensions import db, limiter
from tests import factories
from tests.conftest import make_app


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _limited_app(database_url: str, tmp_path: Path, proxies: int) -> Iterator[Flask]:
    app = make_app(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        SIGN_IN_RATE_LIMIT="3 per minute",
        TRUSTED_PROXY_COUNT=proxies,
    )
    app.add_url_rule("/test-where-am-i", "where_am_i", lambda: f"{request.remote_addr} {request.url}")
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def behind_one_proxy(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from _limited_app(database_url, tmp_path, proxies=1)


@pytest.fixture
def no_proxy(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from _limited_app(database_url, tmp_path, proxies=0)


def _client(app: Flask, forwarded_for: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def _wrong_password(client: FlaskClient) -> int:
    return int(factories.sign_in(client, "someone@example.org", "wrong password").status_code)


def test_sign_in_limit_behind_a_trusted_proxy_is_per_client(behind_one_proxy: Flask) -> None:
    first = _client(behind_one_proxy, "203.0.113.5")
    second = _client(behind_one_proxy, "203.0.113.6")
    assert [_wrong_password(first) for _ in range(4)] == [200, 200, 200, 429]
    assert "Too many attempts" in first.post("/sign-in", data={}).get_data(as_text=True)
    assert _wrong_password(second) == 200  # another client is not locked out by the first


def test_sign_in_limit_behind_a_trusted_proxy_ignores_addresses_a_client_forges(
    behind_one_proxy: Flask,
) -> None:
    # The proxy appends the address it saw; anything before it came from the client.
    statuses = [_wrong_password(_client(behind_one_proxy, f"198.51.100.{n}, 203.0.113.5")) for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_trusted_proxy_gives_the_clients_address_scheme_and_host(behind_one_proxy: Flask) -> None:
    client = _client(behind_one_proxy, "203.0.113.5")
    page = client.get(
        "/test-where-am-i",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "register.example.nhs.uk"},
    )
    assert page.get_data(as_text=True) == "203.0.113.5 https://register.example.nhs.uk/test-where-am-i"


def test_without_a_trusted_proxy_forwarded_for_is_ignored(no_proxy: Flask) -> None:
    first = _client(no_proxy, "203.0.113.5")
    second = _client(no_proxy, "203.0.113.6")
    assert [_wrong_password(first) for _ in range(3)] == [200, 200, 200]
    assert _wrong_password(second) == 429  # both are the one address that connected
    page = second.get("/test-where-am-i", headers={"X-Forwarded-Host": "evil.example"})
    assert page.get_data(as_text=True) == "127.0.0.1 http://localhost/test-where-am-i"


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxy_count_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None, expected: int
) -> None:
    if value is None:
        monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    else:
        monkeypatch.setenv("TRUSTED_PROXY_COUNT", value)
    assert settings.load(str(tmp_path))["TRUSTED_PROXY_COUNT"] == expected


@pytest.mark.parametrize("value", ["-1", "one", "1.5", ""])
def test_trusted_proxy_count_that_is_not_a_count_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", value)
    with pytest.raises(settings.ConfigurationError, match="TRUSTED_PROXY_COUNT must be a whole number"):
        settings.load(str(tmp_path))


def test_rate_limit_storage_is_memory_by_default(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(limiter.storage, MemoryStorage)


def test_rate_limit_storage_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    # Flask-Limiter is asked to keep its counts in Redis, and nothing overrides that with memory://
    # (tests/web/test_redis.py shows the counts shared across two apps on a real Redis).
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert settings.load(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert isinstance(limiter.storage, RedisStorage)
