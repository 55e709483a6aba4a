"""Signing in and out, sessions, redirects, CSRF and rate limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from tests import factories
from tests.conftest import make_app
from tests.pages import error_summary
from tests.pages import soup as page


@pytest.fixture
def accounts(app: Flask) -> dict[str, str]:
    with app.app_context():
        emails = {}
        for role in ("professional", "provider_admin", "inspector", "system_admin"):
            emails[role] = factories.make_account(role).email
        db.session.commit()
    return emails


def test_sign_in_page_has_labelled_email_and_password_fields(client: FlaskClient) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    soup = page(response)
    assert soup.select_one("h1").get_text(strip=True) == "Sign in"
    assert soup.select_one("label[for=email]").get_text(strip=True) == "Email address"
    assert soup.select_one("label[for=password]").get_text(strip=True) == "Password"
    assert soup.select_one("input#password")["type"] == "password"


def test_empty_sign_in_shows_what_to_enter_in_the_error_summary(client: FlaskClient) -> None:
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert error_summary(response) == ["Enter your email address", "Enter your password"]
    assert page(response).title.get_text().startswith("Error: ")
    assert (
        page(response)
        .select_one("#email-error")
        .get_text(" ", strip=True)
        .endswith("Enter your email address")
    )


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    response = factories.sign_in(client, accounts["inspector"], password="not the password at all")
    assert response.status_code == 200
    assert error_summary(response) == ["Enter a correct email address and password"]
    unknown = factories.sign_in(client, "nobody@example.org")
    assert error_summary(unknown) == ["Enter a correct email address and password"]
    assert "Sign out" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("professional", "/declare"),
        ("provider_admin", "/manage"),
        ("inspector", "/inspect"),
        ("system_admin", "/admin"),
    ],
)
def test_each_role_signs_in_to_its_own_area(
    client: FlaskClient, accounts: dict[str, str], role: str, home: str
) -> None:
    response = factories.sign_in(client, accounts[role])
    assert response.status_code == 302
    assert response.headers["Location"] == home
    area = client.get(home)
    assert area.status_code == 200
    assert accounts[role] in area.get_data(as_text=True)  # the header shows who is signed in


AREAS = {
    "/declare": {"professional"},
    "/manage": {"provider_admin"},
    "/inspect": {"inspector", "system_admin"},
}


@pytest.mark.parametrize("area", sorted(AREAS))
@pytest.mark.parametrize("role", ["professional", "provider_admin", "inspector", "system_admin"])
def test_each_role_is_refused_where_it_does_not_belong(
    client: FlaskClient, accounts: dict[str, str], role: str, area: str
) -> None:
    factories.sign_in(client, accounts[role])
    response = client.get(area)
    if role in AREAS[area]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert (
            page(response).select_one("h1").get_text(strip=True)
            == "You do not have permission to see this page"
        )


@pytest.mark.parametrize("area", sorted(AREAS))
def test_anonymous_visitors_are_sent_to_sign_in_and_brought_back(
    client: FlaskClient, accounts: dict[str, str], area: str
) -> None:
    response = client.get(area)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    sign_in_page = client.get(response.headers["Location"])
    next_value = page(sign_in_page).select_one("input[name=next]")["value"]
    assert next_value == area
    role = next(iter(AREAS[area]))
    signed_in = factories.sign_in(client, accounts[role], next_path=next_value)
    assert signed_in.headers["Location"] == area


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "////evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/declare\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
        "evil.example",
        " /declare",
    ],
)
def test_sign_in_never_redirects_off_site(client: FlaskClient, accounts: dict[str, str], target: str) -> None:
    response = factories.sign_in(client, accounts["inspector"], next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inspect"
    assert "Set-Cookie: x" not in str(response.headers)


def test_sign_out_revokes_the_session_cookie(client: FlaskClient, accounts: dict[str, str]) -> None:
    factories.sign_in(client, accounts["inspector"])
    stolen = client.get_cookie("session")
    assert stolen is not None
    assert client.get("/inspect").status_code == 200
    response = client.post("/sign-out")
    assert response.headers["Location"] == "/"
    assert "You have signed out" in client.get("/").get_data(as_text=True)
    client.set_cookie("session", stolen.value)  # replay the cookie taken before signing out
    replay = client.get("/inspect")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/sign-in")


def test_disabled_account_loses_its_session(
    app: Flask, client: FlaskClient, accounts: dict[str, str]
) -> None:
    factories.sign_in(client, accounts["inspector"])
    with app.app_context():
        from interests.services.accounts import find_by_email

        find_by_email(accounts["inspector"]).active = False
        db.session.commit()
    assert client.get("/inspect").status_code == 302
    assert factories.sign_in(client, accounts["inspector"]).status_code == 200


def test_forms_without_a_csrf_token_are_refused(tmp_path: Path, database_url: str) -> None:
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        email = factories.make_account("inspector").email
        db.session.commit()
    client = app.test_client()
    response = factories.sign_in(client, email)
    assert response.status_code == 400
    assert page(response).select_one("h1").get_text(strip=True) == "Your form was not sent"
    # With the token from the form, the same sign-in works.
    token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    ok = client.post("/sign-in", data={"email": email, "password": factories.PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_sign_in_attempts_are_rate_limited(tmp_path: Path, database_url: str) -> None:
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [
        factories.sign_in(client, "someone@example.org", "wrong password").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/sign-in", data={}).get_data(as_text=True)
    assert client.get("/sign-in").status_code == 200  # reading the page is not limited
    with app.app_context():
        db.engine.dispose()
