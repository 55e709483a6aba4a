"""The PostgreSQL search engine's own promises, on a real PostgreSQL (the search tests shared with
Whoosh are in test_search_index.py and test_search_refresh.py):

- a change is indexed in its own transaction: refused or failed, it leaves nothing in the index;
- a rebuild builds new tables while searches go on answering from the old ones, and a change sent
  while it runs is not lost when the new tables are swapped in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import SearchTask
from interests.services import search_index
from interests.unit_of_work import transaction
from tests import factories
from tests.conftest import make_app
from tests.web.declare.helpers import add, send_all


@pytest.fixture
def app(postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(postgres_url, tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def found(app: Flask, query: str) -> list[str]:
    body = app.test_client().get("/api/v1/search", query_string={"q": query}).get_json()
    return [item["name"] for item in body["items"]]


def a_register(app: Flask, people: int = 30) -> dict[str, int]:
    with app.app_context():
        account = factories.make_account("professional", email="ada.quill@example.org")
        provider = factories.make_provider(name="Fenwick General Hospital")
        factories.make_engagement(account.professional, provider)
        for n in range(people):
            colleague = factories.make_professional(
                given_name="Bea", family_name=f"Colleague{chr(97 + n % 26)}"
            )
            factories.make_engagement(colleague, provider)
            factories.make_declaration(colleague, provider)
        db.session.commit()
        search_index.rebuild()
        return {"provider": provider.id}


def test_a_change_that_fails_leaves_nothing_in_the_index(app: Flask) -> None:
    a_register(app)
    assert app.config["SEARCH_BACKEND"] == "postgres"
    with app.app_context(), pytest.raises(RuntimeError), transaction():
        person = factories.make_professional(given_name="Never", family_name="Saved")
        provider = factories.make_provider(name="Elsewhere")
        factories.make_engagement(person, provider)
        factories.make_declaration(person, provider)
        search_index.schedule(professional_id=person.id)
        db.session.flush()
        raise RuntimeError("the request failed after its work was done")
    assert found(app, "Never Saved") == []
    with app.app_context(), transaction():
        person = factories.make_professional(given_name="Really", family_name="Saved")
        provider = factories.make_provider(name="Elsewhere")
        factories.make_engagement(person, provider)
        factories.make_declaration(person, provider)
        search_index.schedule(professional_id=person.id)
    assert found(app, "Really Saved") == ["Really Saved"]  # in the same transaction: no apply step


def test_a_rebuild_leaves_search_answering_and_loses_no_change_sent_while_it_runs(app: Flask) -> None:
    ids = a_register(app)
    building, go_on = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause(done: int, total: int) -> None:
        building.set()
        assert go_on.wait(timeout=60)

    def rebuild() -> None:
        try:
            with app.app_context():
                search_index.rebuild(progress=pause)
        except BaseException as error:  # reported by the test below
            failures.append(error)

    worker = threading.Thread(target=rebuild)
    worker.start()
    try:
        assert building.wait(timeout=60)
        # Mid-rebuild: search answers from the tables the rebuild will replace...
        assert found(app, "Bea Colleaguea")[:2] == ["Bea Colleaguea", "Bea Colleaguea"]
        # ...and a declaration sent now is saved, its index work left recorded for after it.
        client = app.test_client()
        assert factories.sign_in(client, "ada.quill@example.org").status_code == 302
        add(client, other_party="Quillfeather Devices Ltd")
        assert send_all(client, {"providers": [ids["provider"]]}).status_code == 302
        with app.app_context():
            assert db.session.scalar(select(func.count(SearchTask.id))) == 1
    finally:
        go_on.set()
        worker.join(timeout=120)
    assert not failures, failures
    assert len(found(app, "Quillfeather Devices")) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchTask.id))) == 0
