"""Several servers, proved: two copies of the app on one PostgreSQL and one Redis, each with its
own SEARCH_INDEX_DIR (as two machines would have), agree on everything that decides an answer.

- A declaration sent through one is found by search through the other at once: the PostgreSQL
  search engine writes its tables in the sending request's own transaction.
- The sign-in rate limit counts across both (in Redis).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from interests.extensions import db
from interests.services import search_index
from tests import factories
from tests.conftest import make_app
from tests.web.declare.helpers import add, send_all

WRONG = {"email": "nobody@example.org", "password": "not the password at all"}


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path, redis_url: str) -> Iterator[tuple[Flask, Flask]]:
    url = postgres_url
    apps = tuple(
        make_app(
            url,
            tmp_path / name,
            REDIS_URL=redis_url,
            RATELIMIT_ENABLED=True,
            SIGN_IN_RATE_LIMIT="5 per minute",
        )
        for name in ("first", "second")
    )
    with apps[0].app_context():
        db.create_all()
    yield apps  # type: ignore[misc]
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def found(app: Flask, query: str) -> list[str]:
    body = app.test_client().get("/api/v1/search", query_string={"q": query}).get_json()
    return [item["name"] for item in body["items"]]


def test_a_declaration_sent_through_one_server_is_found_through_the_other_at_once(
    two_servers: tuple[Flask, Flask],
) -> None:
    first, second = two_servers
    assert first.config["SEARCH_BACKEND"] == second.config["SEARCH_BACKEND"] == "postgres"
    assert first.config["SEARCH_INDEX_DIR"] != second.config["SEARCH_INDEX_DIR"]
    with first.app_context():
        account = factories.make_account("professional", email="ada.quill@example.org")
        provider = factories.make_provider(name="Fenwick General Hospital")
        factories.make_engagement(account.professional, provider)
        colleague = factories.make_professional(given_name="Bea", family_name="Colleague")
        factories.make_engagement(colleague, provider)
        factories.make_declaration(colleague, provider)
        db.session.commit()
        search_index.rebuild()
        me = {"providers": [provider.id]}
    assert found(second, "Colleague") == ["Bea Colleague"]
    assert found(second, "Quillfeather Devices") == []

    client = first.test_client()
    assert factories.sign_in(client, "ada.quill@example.org").status_code == 302
    add(client, other_party="Quillfeather Devices Ltd")
    assert send_all(client, me).status_code == 302

    # No apply step, no worker: the second server finds the change the moment the first answered.
    assert len(found(second, "Quillfeather Devices")) == 1
    with second.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM search_task")).scalar_one() == 0
    # Neither server keeps an index of its own on disk.
    for app in two_servers:
        index = Path(app.config["SEARCH_INDEX_DIR"])
        assert not index.exists() or not any(index.iterdir())


def test_the_sign_in_limit_counts_across_both_servers(two_servers: tuple[Flask, Flask]) -> None:
    first, second = (app.test_client() for app in two_servers)
    codes = [client.post("/sign-in", data=WRONG).status_code for client in (first, second) * 3]
    assert codes == [200, 200, 200, 200, 200, 429]
    assert first.post("/sign-in", data=WRONG).status_code == 429
