"""NHS.UK macros remembered (interests/nhsuk_macros.py) give exactly the HTML of the macros themselves."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import flask.templating
import jinja2
import jinja2.nodes
import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from interests import nhsuk_macros
from interests.extensions import db
from tests.conftest import make_app
from tests.factories import (
    PASSWORD,
    make_account,
    make_engagement,
    make_professional,
    make_provider,
    sign_in,
)

_NONCE = re.compile(rb'nonce="[^"]+"')
_CSRF = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="[^"]+"')


def same_page(data: bytes) -> bytes:
    """A page without what differs on every request (the CSP nonce and CSRF token)."""
    return _CSRF.sub(b"csrf", _NONCE.sub(b"nonce", data))


@pytest.fixture
def plain_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The same app on the same database, rendering with the NHS.UK macros themselves."""
    monkeypatch.setattr(nhsuk_macros, "Environment", flask.templating.Environment)
    plain = make_app(database_url, tmp_path / "plain")
    monkeypatch.undo()
    yield plain
    with plain.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_app_renders_with_remembered_macros(app: Flask, plain_app: Flask) -> None:
    assert isinstance(app.jinja_env, nhsuk_macros.Environment)
    assert not isinstance(plain_app.jinja_env, nhsuk_macros.Environment)


SEARCHES = [
    "",
    "Sarah Khan",
    "smith",
    '<script>alert("x")</script>',
    'O\'Brien & Sons "Ltd"',
    "line one\nline two",
    "tab\there",
    "  spaces around  ",
    "\ue000nhsuk-value\ue001",  # the stand-in itself, typed
    "Zoë Ó Briain — 李",
    "x" * 5000,
]


@pytest.mark.alldb
def test_search_pages_are_the_same_html_as_the_macros_give(
    client: FlaskClient, plain_app: Flask, app: Flask
) -> None:
    with app.app_context():
        provider = make_provider(name="St Elsewhere Hospital")
        make_engagement(make_professional(given_name="Sarah", family_name="Khan"), provider)
        db.session.commit()
    plain = plain_app.test_client()
    for round_ in range(2):  # the second time from what was kept
        for query in SEARCHES:
            remembered = client.get("/search", query_string={"q": query})
            assert remembered.status_code == plain.get("/search", query_string={"q": query}).status_code
            assert same_page(remembered.data) == same_page(
                plain.get("/search", query_string={"q": query}).data
            ), (round_, query[:40])


def _pages_without_arguments(app: Flask, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.rule.startswith(prefixes)
    )


@pytest.mark.parametrize(
    ("role", "prefixes"),
    [
        (None, ("/", "/about")),
        ("professional", ("/declare", "/account")),
        ("system_admin", ("/admin", "/account")),
    ],
)
def test_every_page_of_a_role_is_the_same_html_as_the_macros_give(
    app: Flask, plain_app: Flask, role: str | None, prefixes: tuple[str, ...]
) -> None:
    remembered, plain = app.test_client(), plain_app.test_client()
    if role is not None:
        with app.app_context():
            account = make_account(role)
            if role == "professional":
                make_engagement(account.professional, make_provider())
            email = account.email
            db.session.commit()
        for c in (remembered, plain):
            assert sign_in(c, email).status_code == 302
    pages = _pages_without_arguments(app, prefixes)
    assert len(pages) >= 3
    for path in pages:
        if path.startswith(("/static", "/healthz", "/api", "/sign-out")) or path.endswith((".csv", ".json")):
            continue
        ours, theirs = remembered.get(path), plain.get(path)
        assert ours.status_code == theirs.status_code, path
        assert same_page(ours.data) == same_page(theirs.data), path


def test_a_form_with_errors_is_the_same_html_as_the_macros_give(app: Flask, plain_app: Flask) -> None:
    bad = {"email": "not an email <b>", "password": ""}
    for _ in range(2):
        ours = app.test_client().post("/sign-in", data=bad)
        theirs = plain_app.test_client().post("/sign-in", data=bad)
        assert b"There is a problem" in ours.data
        assert same_page(ours.data) == same_page(theirs.data)


# --- The wrapper itself, against the macro it wraps -----------------------------------------------


def _macro(app: Flask, template: str, name: str) -> nhsuk_macros.RememberedMacro:
    with app.app_context():
        module = app.jinja_env.get_template(template).module
    macro = getattr(module, name)
    assert isinstance(macro, nhsuk_macros.RememberedMacro)
    return macro


SEARCH_INPUT = "nhsuk/components/search-input/macro.jinja"
INPUT = "nhsuk/components/input/macro.jinja"
BUTTON = "nhsuk/components/button/macro.jinja"

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=text, label=text, hint=text, error=st.one_of(st.none(), text))
def test_a_text_box_is_the_same_whatever_is_typed(
    app: Flask, value: str, label: str, hint: str, error: str | None
) -> None:
    search_input = _macro(app, SEARCH_INPUT, "searchInput")
    text_input = _macro(app, INPUT, "input")
    for macro, template, params in [
        (search_input, SEARCH_INPUT, {"label": {"text": label}, "id": "q", "name": "q", "value": value}),
        (text_input, INPUT, {"label": {"text": label}, "hint": {"text": hint}, "name": "n", "value": value}),
        (
            text_input,
            INPUT,
            {"label": label, "errorMessage": error, "name": "n", "value": value, "spellcheck": 0},
        ),
    ]:
        with app.app_context():
            # Not nhsuk_macros.unwrapped(macro): the macros it nests would still be remembered.
            expected = _plain(app, template, macro.name)(params)
            assert macro(params) == expected
            assert macro(params) == expected  # kept
            assert isinstance(macro(params), Markup)


def test_text_and_html_are_kept_apart(app: Flask) -> None:
    button = _macro(app, BUTTON, "button")
    with app.app_context():
        as_text = button({"text": "<b>Save</b>"})
        as_html = button({"text": Markup("<b>Save</b>")})
        assert "&lt;b&gt;Save" in as_text
        assert "<b>Save</b>" in as_html
        assert as_text == nhsuk_macros.unwrapped(button)({"text": "<b>Save</b>"})
        assert as_html == nhsuk_macros.unwrapped(button)({"text": Markup("<b>Save</b>")})
        # True, 1 and "1" are three calls, each given its own output (the macros test `is true`).
        for disabled in (True, 1, "1", True):
            params = {"text": "a", "disabled": disabled}
            assert button(params) == nhsuk_macros.unwrapped(button)(params)


def test_what_is_kept_is_bounded_and_large_calls_are_not_kept(app: Flask) -> None:
    button = _macro(app, BUTTON, "button")
    with app.app_context():
        for n in range(nhsuk_macros.KEPT_PER_MACRO + 10):
            assert f"Button {n}" in button({"text": f"Button {n}"})
        assert len(button._kept) <= nhsuk_macros.KEPT_PER_MACRO
        kept = len(button._kept)
        big = "y" * (nhsuk_macros.MAX_KEY_CHARACTERS + 1)
        assert big in button({"text": big})
        assert len(button._kept) == kept


def test_a_macro_called_with_a_caller_or_an_object_is_rendered_as_before(app: Flask) -> None:
    class Field:
        def __str__(self) -> str:
            return "A field"

    with app.test_request_context():
        html = render_template_string(
            '{% from "nhsuk/components/button/macro.jinja" import button %}{{ button({"text": field}) }}',
            field=Field(),
        )
    assert "A field" in html
    button = _macro(app, BUTTON, "button")
    assert not any("A field" in str(key) for key in button._kept)
    with app.app_context():
        kept = len(button._kept)
        from_a_subclass = button(OrderedDict(text="From a subclass"))
    assert "From a subclass" in from_a_subclass
    assert len(button._kept) == kept  # only plain dicts, lists and strings are remembered


# --- Hostile values, against the macros rendered by an environment that remembers nothing ---------


@cache
def _plain_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.ChainableUndefined)


def _plain(app: Flask, template: str, name: str) -> Any:
    """The macro from an environment like the app's (same templates, autoescaping, undefined) in
    which no macro is remembered: not even those it nests."""
    assert app.jinja_env.loader is not None
    macro = getattr(_plain_environment(app.jinja_env.loader).get_template(template).module, name)
    assert not isinstance(macro, nhsuk_macros.RememberedMacro)
    return macro


HOSTILE_VALUES = [
    "a\u2028b",  # line and paragraph separators, and the other characters str.splitlines breaks on
    "a\u2029b",
    "a\x85b",
    "a\x0bb\x0cc",
    "a\x1cb\x1dc\x1ed",
    "\ue000",  # halves of the stand-in
    "nhsuk-value\ue001",
    "\ue000nhsuk-value",
    '"><script>alert(1)</script>',
    "' onfocus='alert(1)",
    "&amp; &#34; &lt;",
    "{{ 7 * 7 }}",
    "\x00",
    "\u200b\u202e",
    " ",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_text_box_with_a_hostile_value_is_the_html_of_macros_that_remember_nothing(
    app: Flask, value: str
) -> None:
    calls = [
        (SEARCH_INPUT, "searchInput", {"label": {"text": "Search"}, "id": "q", "name": "q", "value": value}),
        (INPUT, "input", {"label": "Name", "hint": "A hint", "name": "n", "value": value}),
        (INPUT, "input", {"label": "Cost", "prefix": "£", "name": "n", "value": value, "errorMessage": "No"}),
    ]
    with app.app_context():
        for template, name, params in calls:
            expected = _plain(app, template, name)(params)
            macro = _macro(app, template, name)
            assert macro(params) == expected
            assert macro(params) == expected  # from what was kept
            assert '"><script>' not in macro(params)


def test_numbers_equal_in_python_but_shown_differently_are_remembered_apart(app: Flask) -> None:
    button = _macro(app, BUTTON, "button")
    plain = _plain(app, BUTTON, "button")
    with app.app_context():
        for number in (0.0, -0.0, 0.0, float("nan"), float("nan"), 1.5):
            params = {"text": "Save", "attributes": {"data-amount": number}}
            assert button(params) == plain(params), number
        assert 'data-amount="-0.0"' in button({"text": "Save", "attributes": {"data-amount": -0.0}})
        kept = len(button._kept)
        button({"text": "Save", "attributes": {"data-amount": float("nan")}})
        assert len(button._kept) == kept  # NaN is not a new call each time (never equal to itself)


# --- One person's request never shows in another's page ------------------------------------------

_TOKEN = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.mark.alldb
def test_what_one_person_typed_or_was_shown_never_reaches_anothers_page(
    database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        if not database_url.startswith("sqlite"):
            db.create_all()
        alice = make_account("professional", email="alice.private@example.com")
        make_engagement(alice.professional, make_provider())
        name = alice.professional.family_name
        db.session.commit()
    try:
        first, second = app.test_client(), app.test_client()
        tokens = []
        for client, email in ((first, "alice.typed@example.com"), (second, "bob.typed@example.com")):
            page = client.get("/sign-in").data
            token = _TOKEN.findall(page)
            assert token
            tokens.append(token[0])
            typed = client.post(
                "/sign-in", data={"email": email, "password": "wrong", "csrf_token": token[0].decode()}
            ).data
            assert email.encode() in typed
            if client is second:
                assert b"alice.typed" not in typed
        assert tokens[0] != tokens[1]
        assert tokens[0] not in second.get("/sign-in").data
        # Alice signed in: her pages show her; an anonymous visitor's same pages show nothing of hers.
        alice_client = app.test_client()
        token = _TOKEN.findall(alice_client.get("/sign-in").data)[0].decode()
        signed_in = alice_client.post(
            "/sign-in", data={"email": "alice.private@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert signed_in.status_code == 302
        shown = b"".join(alice_client.get(path).data for path in ("/", "/account"))
        assert b"alice.private" in shown  # what the test looks for is there to leak
        for path in ("/", "/search?q=" + name, "/about", "/account"):
            alice_client.get(path)
            anonymous = second.get(path)
            assert b"alice.private" not in anonymous.data, path
            assert token.encode() not in anonymous.data, path
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_no_remembered_macro_reads_anything_of_the_request(app: Flask) -> None:
    """A macro imported without context still sees the environment's globals (Flask's request,
    session, g, the CSRF token, the CSP nonce...): one that read them would have one person's
    output kept for everyone. Holds also for a component that templates/ may come to override."""
    env = app.jinja_env
    assert env.loader is not None
    harmless = {"range", "dict", "namespace", "cycler", "joiner", "lipsum", "service_name"}
    request_bound = set(env.globals) - harmless
    assert {"request", "session", "g", "csrf_token", "csp_nonce"} <= request_bound
    remembered = [
        name for name in env.list_templates() if name.startswith(("nhsuk/components/", "nhsuk/macros/"))
    ]
    assert len(remembered) > 40
    for name in remembered:
        found = list(env.parse(env.loader.get_source(env, name)[0]).find_all(jinja2.nodes.Name))
        # (jinja2.meta.find_undeclared_variables does not look inside macros' bodies)
        read = {n.name for n in found if n.ctx == "load"} - {n.name for n in found if n.ctx != "load"}
        assert not read & request_bound, name
