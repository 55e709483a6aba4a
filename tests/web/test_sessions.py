"""Session lifetime (OWASP ASVS 5.0 V7.2.4, V7.3, V7.5.3): idle and absolute limits, a new session at
sign-in, and the password asked for again before the most sensitive actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from tests import factories
from tests.pages import banners, error_summary, soup, text

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOME = {
    "professional": "/declare",
    "provider_admin": "/manage",
    "inspector": "/inspect",
    "system_admin": "/admin",
}
EXPORT = "/inspect/export.csv"


def is_sign_in_redirect(response: Any) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def emails(app: Flask) -> dict[str, str]:
    with app.app_context():
        made = {role: factories.make_account(role).email for role in HOME}
        db.session.commit()
    return made


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert factories.sign_in(client, email).status_code == 302
    return client


# --- Idle and absolute limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "idle_minutes"),
    [("professional", 120), ("provider_admin", 30), ("inspector", 30), ("system_admin", 30)],
)
@pytest.mark.parametrize("minutes_off", [-1, 0, 5])
def test_each_role_is_signed_out_after_its_idle_time(
    app: Flask,
    emails: dict[str, str],
    clock: time_machine.Traveller,
    role: str,
    idle_minutes: int,
    minutes_off: int,
) -> None:
    client = signed_in(app, emails[role])
    clock.shift(timedelta(minutes=idle_minutes + minutes_off))
    response = client.get(HOME[role])
    if minutes_off < 0:
        assert response.status_code == 200
        return
    assert is_sign_in_redirect(response)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [HOME[role]]
    sign_in_page = client.get(response.headers["Location"])
    assert banners(sign_in_page) == [f"You were signed out after {idle_minutes} minutes without activity"]
    assert "Sign out" not in sign_in_page.get_data(as_text=True)


def test_a_public_page_after_a_timeout_is_shown_as_to_anyone_with_the_message(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["professional"])
    clock.shift(timedelta(minutes=120))
    response = client.get("/")
    assert response.status_code == 200
    assert banners(response) == ["You were signed out after 120 minutes without activity"]
    assert "Sign out" not in response.get_data(as_text=True)
    assert is_sign_in_redirect(client.get("/declare"))


def test_activity_keeps_a_session_going_past_the_idle_time(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["provider_admin"])
    for _ in range(8):  # a page every 25 minutes for more than three hours
        clock.shift(timedelta(minutes=25))
        assert client.get("/manage").status_code == 200


@pytest.mark.parametrize(("hours", "still_signed_in"), [(11.9, True), (12, False), (13, False)])
def test_a_session_ends_twelve_hours_after_signing_in_however_active(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller, hours: float, still_signed_in: bool
) -> None:
    client = signed_in(app, emails["professional"])
    elapsed = timedelta()
    while elapsed + timedelta(minutes=100) < timedelta(hours=hours):  # active well within 120 idle minutes
        clock.shift(timedelta(minutes=100))
        elapsed += timedelta(minutes=100)
        assert client.get("/declare").status_code == 200
    clock.move_to(START + timedelta(hours=hours))
    response = client.get("/declare")
    assert (response.status_code == 200) is still_signed_in
    if not still_signed_in:
        assert is_sign_in_redirect(response)
        assert banners(client.get(response.headers["Location"])) == [
            "You were signed out 12 hours after signing in"
        ]


def test_signing_in_again_after_a_timeout_starts_a_new_session(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["inspector"])
    clock.shift(timedelta(minutes=31))
    response = client.get("/inspect")
    assert is_sign_in_redirect(response)
    again = factories.sign_in(client, emails["inspector"], next_path="/inspect")
    assert again.headers["Location"] == "/inspect"
    assert client.get("/inspect").status_code == 200


def test_idle_times_may_be_set_per_role_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from interests import config

    monkeypatch.setenv("SESSION_IDLE_MINUTES", "professional=60, inspector=10")
    settings = config.load(str(tmp_path), {"SECRET_KEY": "x" * 40})
    assert settings["SESSION_IDLE_MINUTES"] == {
        "professional": 60,
        "provider_admin": 30,
        "inspector": 10,
        "system_admin": 30,
    }
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "patient=10")
    with pytest.raises(config.ConfigurationError, match="role that does not exist"):
        config.load(str(tmp_path), {"SECRET_KEY": "x" * 40})


# --- A new session at sign-in ----------------------------------------------------------------------


def test_signing_in_drops_everything_the_session_held_before(app: Flask, emails: dict[str, str]) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "a token an attacker planted or saw"
        session["planted"] = "by someone else"
    factories.sign_in(client, emails["inspector"])
    with client.session_transaction() as session:
        assert "csrf_token" not in session
        assert "planted" not in session
        assert session["_user_id"].split(":")[0].isdigit()


# --- The password again before sensitive actions ------------------------------------------------------


def test_an_old_sign_in_confirms_the_password_then_returns_to_the_export(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["inspector"])
    assert client.get(EXPORT).status_code == 200  # signed in a moment ago
    clock.shift(timedelta(minutes=16))
    asked = client.get(EXPORT + "?sort=name")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/sign-in/confirm?next=/inspect/export.csv?sort%3Dname"
    page = client.get(asked.headers["Location"])
    assert text(soup(page).select_one("h1")) == "Confirm your password"
    next_value = soup(page).select_one("input[name=next]")["value"]
    assert next_value == "/inspect/export.csv?sort=name"
    wrong = client.post("/sign-in/confirm", data={"password": "not it", "next": next_value})
    assert wrong.status_code == 200
    assert error_summary(wrong) == ["Enter your password correctly"]
    assert soup(wrong).title.get_text().startswith("Error: ")
    right = client.post("/sign-in/confirm", data={"password": factories.PASSWORD, "next": next_value})
    assert right.headers["Location"] == "/inspect/export.csv?sort=name"
    assert client.get(right.headers["Location"]).mimetype == "text/csv"
    clock.shift(timedelta(minutes=15))  # fifteen minutes on from confirming: still fresh
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("provider_admin", "/manage/{slug}/withholding/1"),
        ("inspector", EXPORT),
        ("system_admin", EXPORT),
        ("system_admin", "/admin/claims/1"),
    ],
)
@pytest.mark.parametrize(("minutes", "asked"), [(0, False), (15, False), (15.1, True), (29, True)])
def test_sensitive_pages_ask_for_the_password_when_it_was_entered_over_fifteen_minutes_ago(
    app: Flask,
    emails: dict[str, str],
    clock: time_machine.Traveller,
    role: str,
    path: str,
    minutes: float,
    asked: bool,
) -> None:
    with app.app_context():
        from interests.services.accounts import find_by_email

        account = find_by_email(emails[role])
        slug = account.providers[0].slug if account.providers else ""
    client = signed_in(app, emails[role])
    clock.shift(timedelta(minutes=minutes))
    response = client.get(path.format(slug=slug))
    is_asked = response.status_code == 302 and response.headers["Location"].startswith("/sign-in/confirm?")
    assert is_asked is asked


def test_other_roles_get_no_password_prompt_for_a_page_they_may_not_see(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["professional"])
    clock.shift(timedelta(minutes=20))
    assert client.get(EXPORT).status_code == 403
    assert client.get("/admin/claims/1").status_code == 403


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "////evil.example/", "/\\evil"]
)
def test_the_confirm_page_never_sends_anyone_off_site(
    app: Flask, emails: dict[str, str], target: str
) -> None:
    client = signed_in(app, emails["inspector"])
    page = client.get("/sign-in/confirm", query_string={"next": target})
    assert soup(page).select_one("input[name=next]")["value"] == ""
    response = client.post("/sign-in/confirm", data={"password": factories.PASSWORD, "next": target})
    assert response.headers["Location"] == "/inspect"


def test_the_confirm_page_needs_a_sign_in(client: FlaskClient) -> None:
    assert is_sign_in_redirect(client.get("/sign-in/confirm?next=/inspect"))


def test_wrong_passwords_on_the_confirm_page_count_towards_the_lockout(
    app: Flask, emails: dict[str, str], clock: time_machine.Traveller
) -> None:
    client = signed_in(app, emails["inspector"])
    responses = [client.post("/sign-in/confirm", data={"password": "guess"}) for _ in range(10)]
    assert error_summary(responses[-1]) == [
        "This account is locked for 15 minutes after too many failed sign-ins; we have emailed its owner"
    ]
    refused = client.post("/sign-in/confirm", data={"password": factories.PASSWORD})
    assert refused.status_code == 200
