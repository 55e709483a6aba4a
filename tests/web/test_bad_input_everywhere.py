"""Hostile input at every page, form and API of the register: never a server error.

Every route is found from the app's URL map, so a new page is scanned without anyone remembering to
add it. Each is requested as an anonymous script, a professional, a provider admin and a system
admin, with the things a browser never sends but a script does: NUL and other control characters,
percent-escapes that are not UTF-8 (a lone surrogate among them), a 1 MB value, and forged ids
(too big for the database, negative, not a number). PostgreSQL refuses NUL in text outright, so
these tests matter most there (they are marked `alldb`).

A page may refuse the input (400, 404, its form again with an error summary); it must never answer
500. Failures are collected for all routes at once, so one run names every hole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import werkzeug.test
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from interests.extensions import db
from tests import factories

ROLES = ("anonymous", "professional", "provider_admin", "inspector", "system_admin")
EMAILS = {
    "professional": "pro@scan.example",
    "provider_admin": "lead@scan.example",
    "inspector": "inspector@scan.example",
    "system_admin": "admin@scan.example",
}
HUGE_ID = "99999999999999999999999"
MEGABYTE = "a" * 1_000_000
# Values a form field or query parameter can be given by a script.
HOSTILE_TEXT = {
    "NUL": "before\x00after",
    "controls": "\x01\x08\x0b\x1b[2J\x7f\u202e\u2028",
    "1 MB": MEGABYTE,
    "huge number": HUGE_ID,
    "negative": "-1",
}
ONE_FIELD_AT_A_TIME = ("NUL", "controls", "1 MB")
# Not UTF-8 at all: a lone surrogate's encoding and a stray byte, as raw percent-escapes.
NOT_UTF8 = "%ED%A0%80%FF"
QUERY_NAMES = (
    "q", "page", "per_page", "sort", "order", "as_of", "next", "awaiting", "kind", "email", "address",
    "since", "until", "role", "status", "engagement_type", "department", "decision_maker", "region",
    "rating", "provider", "category", "type", "regulator",
)  # fmt: skip
# Posting these ends the scanning session or is checked in its own module.
NOT_SCANNED = {"auth.sign_out", "static"}


# Each hostile value's query string, encoded once (a megabyte takes a while to percent-encode).
HOSTILE_QUERIES = {
    what: urlencode({**dict.fromkeys(QUERY_NAMES, value if value is not MEGABYTE else "x"), "q": value})
    for what, value in HOSTILE_TEXT.items()
}


@pytest.fixture(autouse=True)
def cookies_chosen_without_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client works out each request's whole URL, unquoting every character of its query,
    twice, only to choose and keep cookies by host and path: a fifth of this scan's time went on a
    megabyte's query. The app is given the same request; the client's cookies ignore the query."""
    whole_url = werkzeug.test.get_current_url

    def without_query(environ: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        return whole_url({**environ, "QUERY_STRING": ""}, *args, **kwargs)

    monkeypatch.setattr(werkzeug.test, "get_current_url", without_query)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        provider = factories.make_provider(slug="scanned", name="Scanned Hospital")
        pro = factories.make_account("professional", email=EMAILS["professional"])
        assert pro.professional is not None
        engagement = factories.make_engagement(pro.professional, provider)
        version = factories.make_interest(pro.professional)
        declaration = factories.make_declaration(pro.professional, provider, [version])
        lead = factories.make_account("provider_admin", email=EMAILS["provider_admin"], providers=[provider])
        factories.make_account("inspector", email=EMAILS["inspector"])
        factories.make_account("system_admin", email=EMAILS["system_admin"])
        withholding = factories.make_withholding_request(version, provider)
        question = factories.make_patient_question(provider)
        ids = {
            "account_id": lead.id,
            "professional_id": pro.professional.id,
            "engagement_id": engagement.id,
            "interest_id": version.interest_id,
            "declaration_id": declaration.id,
            "item_id": declaration.items[0].id,
            "request_id": withholding.id,
            "question_id": question.id,
            "provider_id": provider.id,
            "claim_id": 1,
            "job_id": 1,
            "import_id": 1,
            "email_id": 1,
        }
        db.session.commit()
        return {
            "ids": ids,
            "strings": {
                "slug": "scanned",
                "token": "t" * 43,
                "key": "no-such-key",
                "status": "missing",
                "engagement_type": "employee",
                "action": "disable",
            },
        }


def _client(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        response = factories.sign_in(client, EMAILS[role])
        assert response.status_code == 302, f"{role} could not sign in"
    return client


def _paths(rule: Rule, world: dict[str, Any]) -> Iterator[str]:
    """The rule's path with real values, then with each id forged."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        values[name] = world["ids"].get(name, world["strings"].get(name, "x"))
    yield _build(rule, values)
    for name in rule.arguments:
        if name in world["ids"]:
            for forged in (HUGE_ID, "-1", "abc", "1e3"):
                yield _build(rule, {**values, name: forged})
        else:
            yield _build(rule, {**values, name: NOT_UTF8})
            yield _build(rule, {**values, name: "a%00b"})


def _build(rule: Rule, values: dict[str, Any]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^<>]*:)?{name}>", lambda _: str(values[name]), path)  # noqa: B023
    return path


def _scanned_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_SCANNED]


def _request(client: FlaskClient, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception as error:  # in TESTING a server error propagates: record it and go on
        return 500, f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
    return response.status_code, ""


def _form_fields(html: str) -> dict[str, str]:
    """The page's first form's fields with the values it shows (a choice: the first one offered)."""
    page = BeautifulSoup(html, "html.parser")
    fields: dict[str, str] = {}
    for form in page.select("main form[method=post], main form[method=POST]"):
        for field in form.select("input[name], textarea[name], select[name]"):
            name = str(field["name"])
            if name == "csrf_token" or field.get("type") == "file":
                continue
            if field.name == "textarea":
                fields.setdefault(name, field.get_text())
            elif field.name == "select":
                option = field.select_one("option[selected]") or field.select_one("option[value]")
                fields.setdefault(name, str(option["value"]) if option is not None else "")
            elif field.get("type") in ("radio", "checkbox"):
                if field.has_attr("checked") or name not in fields:
                    fields[name] = str(field.get("value", "y"))
            else:
                fields.setdefault(name, str(field.get("value", "")))
        if fields:
            break
    return fields


def _scan(app: Flask, world: dict[str, Any], role: str) -> list[str]:
    client = _client(app, role)
    failures: list[str] = []

    def check(method: str, path: str, what: str, **kwargs: Any) -> None:
        status, error = _request(client, method, path, **kwargs)
        if status == 500:  # 503 is a deliberate answer (no search index yet in a test)
            failures.append(f"{method} {path[:120]} with {what}: {status} {error}")

    for rule in _scanned_rules(app):
        methods = rule.methods or set()
        real, *forged = _paths(rule, world)
        for path in forged:  # a forged id or argument in the path: a refusal, whatever the method
            for method in sorted(methods & {"GET", "POST"}):
                check(method, path, "a forged path argument", data={"q": "x"} if method == "POST" else None)
        for path in [real]:
            if "GET" in methods:
                check("GET", path, "no query")
                for what, query in HOSTILE_QUERIES.items():
                    check("GET", path, f"{what} in the query", query_string=query)
                raw = "&".join(f"{name}={NOT_UTF8}" for name in QUERY_NAMES)
                check("GET", path, "non-UTF-8 query parameters", query_string=raw)
            if "POST" not in methods:
                continue
            fields: dict[str, str] = {}
            if "GET" in methods:
                page = client.get(path)
                if page.status_code == 200:
                    fields = _form_fields(page.get_data(as_text=True))
            for what, value in HOSTILE_TEXT.items():
                if value is not MEGABYTE:
                    check(
                        "POST",
                        path,
                        f"{what} in every field",
                        data=dict.fromkeys([*fields, *QUERY_NAMES], value),
                    )
                for name in (
                    fields if what in ONE_FIELD_AT_A_TIME else ()
                ):  # one hostile field among the page's own values reaches the service
                    check("POST", path, f"{what} in {name}", data={**fields, name: value})
            raw = "&".join(f"{name}={NOT_UTF8}" for name in [*fields, *QUERY_NAMES])
            check(
                "POST", path, "non-UTF-8 fields", data=raw, content_type="application/x-www-form-urlencoded"
            )
    return failures


@pytest.mark.alldb
@pytest.mark.parametrize("role", ROLES)
def test_no_page_form_or_api_answers_hostile_input_with_a_server_error(
    app: Flask, world: dict[str, Any], role: str
) -> None:
    failures = _scan(app, world, role)
    assert failures == [], f"{len(failures)} server errors:\n" + "\n".join(failures[:60])


def test_the_scan_reaches_every_form_of_the_register(app: Flask) -> None:
    # The scan is only as good as its list: every POST route is in it but sign-out, checked on its own.
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or set())}
    assert posts - {r.endpoint for r in _scanned_rules(app)} == {"auth.sign_out"}
    assert len(posts) > 30


# --- The holes the scan found, each as a reader meets it ---------------------------------------------


@pytest.mark.alldb
@pytest.mark.parametrize(
    "path",
    ["/providers/scan%00ned", "/providers/scan%00ned/register.csv", "/manage/scan%00ned/staff"],
)
def test_a_nul_in_a_providers_address_is_the_not_found_page(
    app: Flask, world: dict[str, Any], path: str
) -> None:
    response = _client(app, "provider_admin").get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.alldb
def test_a_nul_in_the_apis_provider_slug_is_a_json_not_found(app: Flask, world: dict[str, Any]) -> None:
    response = app.test_client().get("/api/v1/providers/scan%00ned/register")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.alldb
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/providers"),
        ("anonymous", "/providers/scanned"),
        ("provider_admin", "/manage/scanned/staff"),
        ("system_admin", "/inspect"),
        ("system_admin", "/inspect/export.csv"),
    ],
)
def test_a_nul_typed_in_a_search_box_is_searched_for_not_a_server_error(
    app: Flask, world: dict[str, Any], role: str, path: str
) -> None:
    response = _client(app, role).get(path, query_string={"q": "Scanned\x00Hospital"})
    assert response.status_code in (200, 302)  # the export may first ask for the password again
