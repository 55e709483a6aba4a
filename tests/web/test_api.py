"""/api/v1: open data, paginated, JSON errors, and every response matching openapi.json."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.public_data import Register, build_and_index

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
