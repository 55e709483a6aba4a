"""/api/v1: open data, paginated, JSON errors, and every response matching openapi.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from interests.api import routes
from interests.extensions import db
from tests.conftest import make_app
from tests.public_data import Register, build_and_index

pytestmark = pytest.mark.alldb  # SQLite, and PostgreSQL when TEST_DATABASE_URL names one

TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def check(value: Any, schema: dict[str, Any], document: dict[str, Any], where: str = "$") -> None:
    """A small JSON Schema check (type, required, properties, items, $ref): enough to hold the API
    to its document without another dependency."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        check(value, document["components"]["schemas"][name], document, where)
        return
    allowed = schema.get("type")
    if allowed is not None:
        names = allowed if isinstance(allowed, list) else [allowed]
        ok = any(
            isinstance(value, TYPES[n]) and not (n == "integer" and isinstance(value, bool)) for n in names
        )
        assert ok, f"{where}: {value!r} is not {names}"
    if isinstance(value, dict) and "properties" in schema:
        missing = set(schema.get("required", [])) - set(value)
        assert not missing, f"{where}: missing {missing}"
        extra = set(value) - set(schema["properties"])
        assert not extra, f"{where}: undocumented {extra}"
        for key, sub in schema["properties"].items():
            if key in value:
                check(value[key], sub, document, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], document, f"{where}[{i}]")


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        return build_and_index()


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["openapi"].startswith("3.1")
    return body


def response_schema(document: dict[str, Any], path: str, status: str = "200") -> dict[str, Any]:
    return document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]


def test_every_endpoint_answers_as_documented(
    client: FlaskClient, data: Register, document: dict[str, Any]
) -> None:
    cases = [
        ("/providers", "/api/v1/providers"),
        ("/providers/{slug}/register", f"/api/v1/providers/{data.provider_slug}/register"),
        ("/professionals/{professional_id}", f"/api/v1/professionals/{data.william}"),
        ("/search", "/api/v1/search?q=davies"),
    ]
    for path, url in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        check(response.get_json(), response_schema(document, path), document, url)


def test_register_api_is_paginated_and_matches_the_page(client: FlaskClient, data: Register) -> None:
    first = client.get(f"/api/v1/providers/{data.provider_slug}/register?per_page=2").get_json()
    second = client.get(f"/api/v1/providers/{data.provider_slug}/register?per_page=2&page=2").get_json()
    assert (first["total"], first["pages"]) == (4, 2)
    names = [d["name"] for d in first["items"] + second["items"]]
    assert names == ["Dr William Davies", "Aoife Murphy", "Elizabeth O'Neill", "Mohammed Smith-Jones"]
    assert first["withheld_entries"] == 2


def test_professional_api_includes_history_and_hides_withheld(client: FlaskClient, data: Register) -> None:
    body = client.get(f"/api/v1/professionals/{data.mohammed}").get_json()
    parties = [e["other_party"] for d in body["current"] for e in d["entries"]]
    assert parties == ["Heartwise Research"]
    body = client.get(f"/api/v1/professionals/{data.william}").get_json()
    assert [e["description"] for d in body["history"] for e in d["entries"]] == ["Advisory board, 2024"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/providers?page=0", "page"),
        ("/api/v1/providers?page=abc", "page"),
        ("/api/v1/providers?per_page=1000", "per_page"),
        ("/api/v1/providers?kind=castle", "kind"),
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=" + "x" * 300, "q"),
        ("/api/v1/providers/st-elsewhere/register?type=bribes", "type"),
    ],
)
def test_bad_parameters_get_a_json_error(
    client: FlaskClient, data: Register, url: str, parameter: str, document: dict[str, Any]
) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["parameter"] == parameter
    check(body, document["components"]["schemas"]["Error"], document)


def test_unknown_things_are_json_404s(client: FlaskClient, data: Register) -> None:
    for url in (
        "/api/v1/providers/nowhere/register",
        f"/api/v1/professionals/{data.graham}",
        "/api/v1/professionals/0",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"]["status"] == 404


# The contract, kept: what an independent fuzzer found (issue 15), each now answered as documented.

ODD_IDS = ["abc", "-1", "1.5", "0x10", "1e3", "\u0663", "\u00b2", "99999999999999999999999", "1" * 5000]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_odd_professional_id_is_a_json_404_in_the_documented_shape(
    client: FlaskClient, data: Register, document: dict[str, Any], odd: str
) -> None:
    response = client.get(f"/api/v1/professionals/{odd}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "error": {"status": 404, "message": "There is no published professional with that id"}
    }
    check(response.get_json(), response_schema(document, "/professionals/{professional_id}", "404"), document)


def test_a_unicode_digit_does_not_reach_a_professional(client: FlaskClient, data: Register) -> None:
    # werkzeug's <int:> would read "\u0663" (Arabic-Indic three) as 3; the document says ASCII digits.
    assert client.get(f"/api/v1/professionals/{data.william}").status_code == 200
    arabic = str(data.william).translate(
        str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
    )
    assert client.get(f"/api/v1/professionals/{arabic}").status_code == 404


def test_an_empty_search_is_documented_and_answers_no_results(
    client: FlaskClient, data: Register, document: dict[str, Any]
) -> None:
    for q in ("", "   "):
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code == 200, repr(q)
        body = response.get_json()
        assert (body["query"], body["items"], body["providers"], body["total"]) == ("", [], [], 0)
        check(body, response_schema(document, "/search"), document)
    missing = client.get("/api/v1/search")
    assert missing.status_code == 400
    assert missing.get_json()["error"]["parameter"] == "q"
    assert document["paths"]["/search"]["get"]["parameters"][0]["required"] is True


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/providers?page=", "page"),
        ("/api/v1/providers?per_page=", "per_page"),
        ("/api/v1/providers?page=%C2%B2", "page"),  # "²": a digit to str.isdigit, not to int()
        ("/api/v1/providers?page=%D9%A3", "page"),  # Arabic-Indic three
        ("/api/v1/providers?page=" + "9" * 5000, "page"),  # longer than int() reads: no 500
        ("/api/v1/providers?kind=", "kind"),
        ("/api/v1/providers?region=", "region"),
        ("/api/v1/providers/st-elsewhere/register?type=", "type"),
        ("/api/v1/providers/st-elsewhere/register?category=", "category"),
        ("/api/v1/providers/st-elsewhere/register?category=Financial", "category"),
        ("/api/v1/providers?q=a%09b", "q"),  # a tab is a control character, as the pattern says
        ("/api/v1/search?q=a%E2%80%AEb", "q"),  # a right-to-left override
        ("/api/v1/search?q=" + "%20" * 201, "q"),  # 201 characters, even if only spaces
    ],
)
def test_values_the_document_does_not_allow_are_refused_as_json(
    client: FlaskClient, data: Register, url: str, parameter: str, document: dict[str, Any]
) -> None:
    response = client.get(url)
    assert response.status_code == 400, url
    body = response.get_json()
    assert body["error"]["parameter"] == parameter
    assert body["error"]["status"] == 400
    check(body, document["components"]["schemas"]["Error"], document)


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    found = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert len(found) == 1
    return dict(found[0]["schema"])


def test_the_document_lists_every_code_the_api_accepts(document: dict[str, Any]) -> None:
    from interests.rules.vocabulary import (
        CATEGORY_BY_CODE,
        PROVIDER_KIND_BY_CODE,
        REGION_BY_CODE,
        TYPE_BY_CODE,
    )

    register = "/providers/{slug}/register"
    assert set(_parameter(document, register, "type")["enum"]) == set(TYPE_BY_CODE)
    assert set(_parameter(document, register, "category")["enum"]) == set(CATEGORY_BY_CODE)
    assert set(_parameter(document, "/providers", "kind")["enum"]) == set(PROVIDER_KIND_BY_CODE)
    assert set(_parameter(document, "/providers", "region")["enum"]) == set(REGION_BY_CODE)
    for path in ("/providers", register, "/search"):
        q = _parameter(document, path, "q")
        assert (q["maxLength"], q["pattern"]) == (200, routes.TEXT_PATTERN)
        assert _parameter(document, path, "per_page")["maximum"] == routes.MAX_PER_PAGE


def test_every_documented_type_is_accepted(
    client: FlaskClient, data: Register, document: dict[str, Any]
) -> None:
    for code in _parameter(document, "/providers/{slug}/register", "type")["enum"]:
        response = client.get(f"/api/v1/providers/{data.provider_slug}/register", query_string={"type": code})
        assert response.status_code == 200, code
    gifts = client.get(f"/api/v1/providers/{data.provider_slug}/register?type=gifts").get_json()
    assert [e["other_party"] for d in gifts["items"] for e in d["entries"]] == ["Pelvicare Devices"]


def test_errors_under_the_api_are_json_in_the_documented_shape(
    client: FlaskClient, data: Register, document: dict[str, Any]
) -> None:
    error = document["components"]["schemas"]["Error"]
    for url in (
        "/api/v1/nothing-here",
        "/api/v1/providers/st-elsewhere/register/extra",
        "/api/v2/providers",
        "/api",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "application/json", url
        check(response.get_json(), error, document, url)
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/v1/providers")
        assert response.status_code == 405, method
        assert response.mimetype == "application/json"
        assert response.get_json()["error"]["status"] == 405
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
        check(response.get_json(), error, document)
    assert client.post("/providers").mimetype == "text/html"  # the site's pages keep their own


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a fault is answered, as in production
    return app


def test_a_server_fault_under_the_api_is_json_and_says_nothing_of_the_fault(
    failing_app: Flask, data: Register, document: dict[str, Any]
) -> None:
    with failing_app.app_context():
        db.session.execute(text("ALTER TABLE provider RENAME TO provider_gone"))
        db.session.commit()
    response = failing_app.test_client().get("/api/v1/providers")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {
        "error": {"status": 500, "message": "Something went wrong on our side. Please try again later."}
    }
    assert "providers" not in response.get_data(as_text=True).lower()
    check(body, response_schema(document, "/providers", "500"), document)
    assert failing_app.test_client().get("/providers").mimetype == "text/html"


def test_a_conditional_request_for_an_unchanged_answer_is_a_304(client: FlaskClient, data: Register) -> None:
    for url in (
        "/api/v1/providers",
        f"/api/v1/providers/{data.provider_slug}/register?type=gifts",
        f"/api/v1/professionals/{data.william}",
        "/api/v1/search?q=Davies",
    ):
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.get_data() == b""
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        other = client.get(url, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200 and other.get_data() == first.get_data()
    one = client.get("/api/v1/providers?per_page=1").headers["ETag"]
    two = client.get("/api/v1/providers?per_page=2").headers["ETag"]
    assert one != two


def test_any_site_may_read_the_api_but_never_with_credentials(client: FlaskClient, data: Register) -> None:
    for url in ("/api/v1/providers", "/api/v1/openapi.json", "/api/v1/nothing-here", "/api/v1/search"):
        response = client.get(url, headers={"Origin": "https://research.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response.headers, url
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/search?q=davies",
        headers={
            "Origin": "https://research.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "OPTIONS",
    }
    assert "if-none-match" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert "Access-Control-Allow-Origin" not in client.get("/providers").headers  # only the API


def test_too_many_requests_get_a_json_429_with_retry_after(
    database_url: str, tmp_path: Path, document: dict[str, Any]
) -> None:
    limited = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    if not database_url.startswith("sqlite"):
        with limited.app_context():
            db.create_all()
    client = limited.test_client()
    statuses = [
        client.get(url).status_code
        for url in (
            "/api/v1/providers",
            "/api/v1/search?q=",
            "/api/v1/providers",
            "/api/v1/providers/x/register",
        )
    ]
    assert statuses == [200, 200, 200, 429]  # one count for the whole API
    response = client.get("/api/v1/providers")
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    check(response.get_json(), response_schema(document, "/providers", "429"), document)
    assert client.get("/api/v1/openapi.json").status_code == 200  # the document itself is not counted
    other = limited.test_client()
    assert other.get("/api/v1/providers", environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 200
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()
