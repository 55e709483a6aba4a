"""Attacks on today's national changes, by an anonymous script: hostile query text and paging on
the search pages and the API, on both engines. Each must answer a clear 200/400, never a 500."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.services import search_index
from tests import factories

HOSTILE = [
    "\x00",
    "smith\x00jones",
    "\x00" * 150,
    "%",
    "_",
    "\\",
    "%_\\%",
    "' OR 1=1 --",
    "smith'); DROP TABLE search_index_person; --",
    "a" * 200,
    " ".join(f"w{i:02d}" for i in range(66)),
    " ".join(chr(97 + i % 26) + chr(97 + i // 26) for i in range(66)),
    "GMC 1234567",
    "1234567\x00",
    "\u0130stanbul \u00df \ufb01 \u2126",
    "\U0001f600\U0001f600",
    "\u200b\u200bsmith",
    "m\u0301edtr",
    "x" * 1000,
]


def _register(app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Fenwick General Hospital", slug="fenwick")
        person = factories.make_professional(given_name="Ada", family_name="Quill")
        factories.make_engagement(person, provider)
        factories.make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()


@pytest.mark.alldb
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_text_never_breaks_search(app: Flask, client: FlaskClient, query: str) -> None:
    _register(app)
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    api = client.get("/api/v1/search", query_string={"q": query})
    assert api.status_code in (200, 400)
    if api.status_code == 200:
        assert api.get_json()["items"] == [] or query.startswith("GMC")


@pytest.mark.alldb
@pytest.mark.parametrize("path", ["/api/v1/providers", "/api/v1/providers/fenwick/register"])
@pytest.mark.parametrize("query", ["\x00", "fen\x00wick", "%_\\"])
def test_hostile_filter_text_on_the_api_is_never_a_server_error(
    app: Flask, client: FlaskClient, path: str, query: str
) -> None:
    _register(app)
    response = client.get(path, query_string={"q": query})
    assert response.status_code in (200, 400)


@pytest.mark.alldb
@pytest.mark.parametrize(
    "args",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"per_page": "0"},
        {"per_page": "100000"},
        {"page": "1e3"},
        {"page": "\x00"},
    ],
)
def test_paging_abuse_on_search_is_a_clear_answer(
    app: Flask, client: FlaskClient, args: dict[str, str]
) -> None:
    _register(app)
    assert client.get("/search", query_string={"q": "quill", **args}).status_code in (200, 400)
    api = client.get("/api/v1/search", query_string={"q": "quill", **args})
    assert api.status_code == 400
    assert api.get_json()["error"]["status"] == 400
