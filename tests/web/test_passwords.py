"""Changing a password at /account, and choosing a new one by an emailed link from the sign-in page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Account, AuditEvent, PasswordReset, utcnow
from interests.services.accounts import find_by_email
from interests.services.invitations import token_hash
from interests.services.outbox import ONE_TIME_LINK_REMOVED, without_one_time_links
from interests.services.password_resets import RESETS_PER_HOUR
from tests import factories
from tests.conftest import make_app
from tests.identity_helpers import emails_to, signed_in
from tests.pages import error_summary, soup, text

EMAIL = "rosa.lind@kestrel.example"
NEW_PASSWORD = "marble teapot violin glacier"


@pytest.fixture
def rosa(app: Flask) -> str:
    with app.app_context():
        professional = factories.make_professional(given_name="Rosalind", family_name="Featherstonehaugh")
        factories.make_account("professional", email=EMAIL, professional=professional)
        db.session.commit()
    return EMAIL


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def reset_link(app: Flask, address: str) -> str:
    with app.app_context():
        emails = [email for email in emails_to(address) if email.kind == "password_reset"]
        assert emails, f"no reset email to {address}"
        match = re.search(r"https?://[^/\s]+(/sign-in/reset/[A-Za-z0-9_\-]+)", emails[-1].body)
        assert match, emails[-1].body
        return match.group(1)


def kinds_sent_to(app: Flask, address: str) -> list[str]:
    with app.app_context():
        return [email.kind for email in emails_to(address)]


# --- Your account -----------------------------------------------------------------------------


def test_account_page_shows_the_email_and_a_change_password_link_to_any_role(app: Flask) -> None:
    with app.app_context():
        inspector = factories.make_account("inspector").email
        db.session.commit()
    client = signed_in(app, inspector)
    page = soup(client.get("/account"))
    assert text(page.select_one("h1")) == "Your account"
    assert inspector in text(page.select_one("main"))
    assert page.select_one("#change-password")["href"] == "/account/password"


def test_account_pages_ask_an_anonymous_visitor_to_sign_in(client: FlaskClient) -> None:
    for path in ("/account", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


# --- Changing the password --------------------------------------------------------------------


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app: Flask, rosa: str) -> None:
    here = signed_in(app, rosa)
    elsewhere = signed_in(app, rosa)
    response = here.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "Your password has been changed" in here.get("/account").get_data(as_text=True)
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert (
        factories.sign_in(app.test_client(), rosa, factories.PASSWORD).status_code == 200
    )  # old one refused
    assert factories.sign_in(app.test_client(), rosa, NEW_PASSWORD).status_code == 302
    assert kinds_sent_to(app, rosa) == ["password_changed"]
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "account.password_changed")
        )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"current_password": "", "password": "", "confirm": ""},
            ["Enter your current password", "Enter a new password", "Type the new password again"],
        ),
        (
            {
                "current_password": "not the password at all",
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
            ["Your current password is not correct"],
        ),
        (
            {"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": "something else"},
            ["The passwords do not match"],
        ),
        (
            {"current_password": factories.PASSWORD, "password": "short", "confirm": "short"},
            ["Password must be 12 characters or more"],
        ),
        (
            {"current_password": factories.PASSWORD, "password": "password12345", "confirm": "password12345"},
            [
                "This password is too easy to guess: it is a common password. "
                "Use 3 or 4 words that are not connected, or a longer password"
            ],
        ),
        (
            {
                "current_password": factories.PASSWORD,
                "password": "featherstonehaugh1",
                "confirm": "featherstonehaugh1",
            },
            [
                "This password is too easy to guess: it contains your name or email address. "
                "Use 3 or 4 words that are not connected, or a longer password"
            ],
        ),
        (
            {
                "current_password": factories.PASSWORD,
                "password": factories.PASSWORD,
                "confirm": factories.PASSWORD,
            },
            ["Enter a new password that is different from your current one"],
        ),
    ],
)
def test_change_password_errors_are_summarised_and_change_nothing(
    app: Flask, rosa: str, data: dict[str, str], errors: list[str]
) -> None:
    client = signed_in(app, rosa)
    elsewhere = signed_in(app, rosa)
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    assert error_summary(response) == errors
    assert soup(response).title.get_text().startswith("Error: ")
    assert is_signed_in(client) and is_signed_in(elsewhere)
    assert kinds_sent_to(app, rosa) == []


# --- Asking for a reset link ------------------------------------------------------------------


def test_sign_in_page_links_to_forgotten_password(client: FlaskClient) -> None:
    link = soup(client.get("/sign-in")).select_one("#forgotten-password")
    assert text(link) == "Forgotten your password?"
    assert link["href"] == "/sign-in/reset"


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(app: Flask, rosa: str) -> None:
    client = app.test_client()
    known = client.post("/sign-in/reset", data={"email": rosa.upper()})
    unknown = client.post("/sign-in/reset", data={"email": "nobody@kestrel.example"})
    assert known.status_code == unknown.status_code == 200
    answer = text(soup(known).select_one("#reset-sent"))
    assert answer.startswith("If an account uses")
    assert answer.replace(rosa.upper(), "X") == text(soup(unknown).select_one("#reset-sent")).replace(
        "nobody@kestrel.example", "X"
    )
    assert kinds_sent_to(app, rosa) == ["password_reset"]
    assert kinds_sent_to(app, "nobody@kestrel.example") == []


def test_reset_request_without_an_address_is_summarised(client: FlaskClient) -> None:
    response = client.post("/sign-in/reset", data={"email": ""})
    assert error_summary(response) == ["Enter your email address"]


def test_the_database_keeps_only_the_hash_of_the_reset_token(app: Flask, rosa: str) -> None:
    app.test_client().post("/sign-in/reset", data={"email": rosa})
    token = reset_link(app, rosa).rsplit("/", 1)[1]
    with app.app_context():
        reset = db.session.scalars(select(PasswordReset)).one()
        assert reset.token_hash == token_hash(token) != token
        assert reset.expires_at - reset.created_at == timedelta(hours=1)
        # Once sent, the email's stored copy loses the link.
        body = emails_to(rosa)[-1].body
        assert token not in without_one_time_links(body) and ONE_TIME_LINK_REMOVED in without_one_time_links(
            body
        )


def test_a_disabled_account_gets_no_reset_email(app: Flask, rosa: str) -> None:
    with app.app_context():
        account = db.session.scalars(select(Account).where(Account.email == rosa)).one()
        account.active = False
        db.session.commit()
    response = app.test_client().post("/sign-in/reset", data={"email": rosa})
    assert "If an account uses" in text(soup(response).select_one("#reset-sent"))
    assert kinds_sent_to(app, rosa) == []


def test_at_most_a_few_reset_emails_go_to_one_account_an_hour(app: Flask, rosa: str) -> None:
    client = app.test_client()
    for _ in range(RESETS_PER_HOUR + 2):
        assert client.post("/sign-in/reset", data={"email": rosa}).status_code == 200
    assert kinds_sent_to(app, rosa) == ["password_reset"] * RESETS_PER_HOUR
    with time_machine.travel(utcnow() + timedelta(hours=1, minutes=1)):
        client.post("/sign-in/reset", data={"email": rosa})
    assert kinds_sent_to(app, rosa) == ["password_reset"] * (RESETS_PER_HOUR + 1)


# --- Using the link ---------------------------------------------------------------------------


def test_reset_link_sets_the_password_once_and_ends_every_session(app: Flask, rosa: str) -> None:
    signed_in_elsewhere = signed_in(app, rosa)
    client = app.test_client()
    client.post("/sign-in/reset", data={"email": rosa})
    link = reset_link(app, rosa)
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert text(soup(page).select_one("h1")) == "Choose a new password"
    assert factories.sign_in(app.test_client(), rosa).status_code == 302  # a GET changed nothing
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert response.headers["Cache-Control"] == "no-store"
    assert not is_signed_in(signed_in_elsewhere)
    assert factories.sign_in(app.test_client(), rosa, NEW_PASSWORD).status_code == 302
    assert kinds_sent_to(app, rosa) == ["password_reset", "password_changed"]
    # Used once: the link no longer works.
    again = client.post(
        link, data={"password": "another strong phrase here", "confirm": "another strong phrase here"}
    )
    assert again.status_code == 404
    assert text(soup(again).select_one("h1")) == "This link does not work"
    assert factories.sign_in(app.test_client(), rosa, NEW_PASSWORD).status_code == 302


def test_reset_link_expires_after_an_hour(app: Flask, rosa: str) -> None:
    client = app.test_client()
    client.post("/sign-in/reset", data={"email": rosa})
    link = reset_link(app, rosa)
    with time_machine.travel(utcnow() + timedelta(minutes=59)):
        assert client.get(link).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=1, seconds=1)):
        assert client.get(link).status_code == 404
        response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 404
    assert factories.sign_in(app.test_client(), rosa).status_code == 302


@pytest.mark.parametrize("token", ["forged-token", "x" * 300, "%00"])
def test_a_forged_reset_link_is_a_404_page(client: FlaskClient, rosa: str, token: str) -> None:
    response = client.get(f"/sign-in/reset/{token}")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert "Ask for a new link" in text(soup(response))
    assert (
        client.post(
            f"/sign-in/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 404
    )


def test_a_newer_password_retires_an_older_reset_link(app: Flask, rosa: str) -> None:
    client = app.test_client()
    client.post("/sign-in/reset", data={"email": rosa})
    link = reset_link(app, rosa)
    signed_in(app, rosa).post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert client.get(link).status_code == 404


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"password": "", "confirm": ""}, ["Enter a new password", "Type the new password again"]),
        ({"password": NEW_PASSWORD, "confirm": "different"}, ["The passwords do not match"]),
        ({"password": "short", "confirm": "short"}, ["Password must be 12 characters or more"]),
        (
            {"password": "rosalind.featherstonehaugh", "confirm": "rosalind.featherstonehaugh"},
            [
                "This password is too easy to guess: it contains your name or email address. "
                "Use 3 or 4 words that are not connected, or a longer password"
            ],
        ),
    ],
)
def test_reset_form_errors_are_summarised_and_the_link_still_works(
    app: Flask, rosa: str, data: dict[str, str], errors: list[str]
) -> None:
    client = app.test_client()
    client.post("/sign-in/reset", data={"email": rosa})
    link = reset_link(app, rosa)
    response = client.post(link, data=data)
    assert response.status_code == 200
    assert error_summary(response) == errors
    assert client.get(link).status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(PasswordReset).where(PasswordReset.used_at.isnot(None))
            )
            == 0
        )


def test_reset_requests_are_rate_limited_per_client_and_per_address(
    tmp_path: Path, rosa: str, app: Flask
) -> None:
    limited = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        RATELIMIT_ENABLED=True,
        PASSWORD_RESET_RATE_LIMIT="2 per minute",
    )
    one = limited.test_client()
    assert one.post("/sign-in/reset", data={"email": "a@example.org"}).status_code == 200
    assert one.post("/sign-in/reset", data={"email": "b@example.org"}).status_code == 200
    assert one.post("/sign-in/reset", data={"email": "c@example.org"}).status_code == 429
    client = limited.test_client()
    for n, expected in ((2, 200), (3, 200), (4, 429)):  # from three client addresses, one inbox
        response = client.post(
            "/sign-in/reset", data={"email": rosa}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert response.status_code == expected
    with limited.app_context():
        db.engine.dispose()


def test_a_reset_by_the_emailed_link_unlocks_an_account_locked_by_someone_guessing(
    app: Flask, rosa: str
) -> None:
    guesser = app.test_client()
    for _ in range(10):
        guesser.post("/sign-in", data={"email": rosa, "password": "not the password at all"})
    assert factories.sign_in(app.test_client(), rosa).status_code == 200  # locked: even the right one
    client = app.test_client()
    client.post("/sign-in/reset", data={"email": rosa})
    link = reset_link(app, rosa)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    # Proving control of the address ends the lock, and the count of failures starts again.
    assert factories.sign_in(app.test_client(), rosa, NEW_PASSWORD).status_code == 302
    with app.app_context():
        account = find_by_email(rosa)
        assert account is not None
        assert account.locked_until is None and account.failed_sign_ins == 0
