"""Setting up, replacing and turning off a second factor at /account: each needs the password (or a code)
within the last 15 minutes, is audited, security-logged and emailed; in production the roles in
MFA_REQUIRED_ROLES must set one up before they can do anything else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.config import ConfigurationError
from interests.extensions import db
from interests.models import Account, AuditEvent, OutboxEmail, RecoveryCode, SecurityEvent
from interests.services import accounts, sealing
from tests import factories
from tests.conftest import make_app
from tests.identity_helpers import signed_in
from tests.pages import error_summary, soup, text

START = datetime(2026, 11, 30, 9, 0, 10, tzinfo=UTC)
SETUP = "/account/second-factor"
NEW_CODES = "/account/second-factor/recovery-codes"
TURN_OFF = "/account/second-factor/turn-off"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def make(app: Flask, role: str) -> str:
    with app.app_context():
        email = factories.make_account(role).email
        db.session.commit()
    return email


def secret_on_page(response: Any) -> str:
    return text(soup(response).select_one("#setup-key")).replace(" ", "")


def codes_on_page(response: Any) -> list[str]:
    return [text(li) for li in soup(response).select("#recovery-codes li")]


def account_of(app: Flask, email: str) -> Account:
    with app.app_context():
        account = accounts.find_by_email(email)
        db.session.expunge(account)
        return account


def turn_on(client: FlaskClient, at: datetime = START) -> tuple[str, list[str]]:
    """Set up the second factor through the pages; its secret and recovery codes."""
    secret = secret_on_page(client.get(SETUP))
    response = client.post(SETUP, data={"code": pyotp.TOTP(secret).at(at)})
    assert response.status_code == 200, error_summary(response)
    return secret, codes_on_page(response)


def kinds(app: Flask, model: Any, column: Any, email: str) -> list[Any]:
    with app.app_context():
        account_id = accounts.find_by_email(email).id
        return list(
            db.session.scalars(select(column).where(model.account_id == account_id).order_by(model.id))
        )


def emails(app: Flask, email: str) -> list[OutboxEmail]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(OutboxEmail).where(OutboxEmail.to_address == email).order_by(OutboxEmail.id)
            )
        )
        db.session.expunge_all()
        return found


# --- Setting it up --------------------------------------------------------------------------------------


def test_the_account_page_offers_a_second_factor_to_every_role(
    app: Flask, clock: time_machine.Traveller
) -> None:
    for role in ("professional", "provider_admin", "inspector", "system_admin"):
        client = signed_in(app, make(app, role))
        page = soup(client.get("/account"))
        assert "Off: signing in needs only your password" in text(page.select_one(".nhsuk-summary-list"))
        assert page.select_one("#set-up-second-factor")["href"] == SETUP


def test_the_setup_page_shows_a_qr_code_and_the_key_as_text(
    app: Flask, clock: time_machine.Traveller
) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    response = client.get(SETUP)
    page = soup(response)
    assert text(page.select_one("h1")) == "Set up a second factor"
    key = text(page.select_one("#setup-key"))
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key), key  # 160 bits, in groups of four
    image = page.select_one("img#qr-code")
    assert image["src"].startswith("data:image/svg+xml")
    assert image["alt"] == "QR code that adds your account to an authenticator app"
    svg = unquote(image["src"].partition(",")[2])
    assert "<script" not in svg and "<svg" in svg
    field = page.select_one("input#code")
    assert (field["autocomplete"], field["inputmode"]) == ("one-time-code", "numeric")
    # The same key until it is turned on, so reloading the page does not undo a scan.
    assert text(soup(client.get(SETUP)).select_one("#setup-key")) == key
    assert account_of(app, email).has_second_factor is False
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("000000", "The code is not right. Enter the code your authenticator app shows now"),
        ("12ab56", "Enter the 6 numbers shown in your authenticator app, like 123456"),
        ("", "Enter the code from your authenticator app"),
    ],
)
def test_a_wrong_code_does_not_turn_it_on(
    app: Flask, clock: time_machine.Traveller, typed: str, error: str
) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    key = secret_on_page(client.get(SETUP))
    response = client.post(SETUP, data={"code": typed})
    assert response.status_code == 200
    assert error_summary(response) == [error]
    assert secret_on_page(response) == key
    assert account_of(app, email).has_second_factor is False


def test_a_right_code_turns_it_on_and_shows_ten_recovery_codes_once(
    app: Flask, clock: time_machine.Traveller
) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    secret, codes = turn_on(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"([a-z2-9]{4}-){5}[a-z2-9]{4}", c) for c in codes)
    account = account_of(app, email)
    assert account.has_second_factor and account.totp_secret is not None
    with app.app_context():  # kept sealed: only the keys open it
        assert secret not in account.totp_secret and sealing.unseal(account.totp_secret) == secret
    # Only hashes are kept.
    stored = kinds(app, RecoveryCode, RecoveryCode.code_hash, email)
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    page = soup(client.get("/account"))
    assert "10 of 10 left" in text(page.select_one("main"))
    assert "On: signing in needs a code" in text(page.select_one("main"))
    assert codes[0] not in client.get("/account").get_data(as_text=True)
    assert client.get(SETUP).headers["Location"] == "/account"  # on already: nothing to set up
    assert [e.kind for e in emails(app, email)] == ["second_factor_on"]
    assert kinds(app, AuditEvent, AuditEvent.action, email)[-1] == "account.second_factor_on"
    assert kinds(app, SecurityEvent, SecurityEvent.detail, email)[-1] == "Turned on"


def test_the_recovery_codes_page_can_be_printed_and_copied(app: Flask, clock: time_machine.Traveller) -> None:
    client = signed_in(app, make(app, "professional"))
    secret = secret_on_page(client.get(SETUP))
    response = client.post(SETUP, data={"code": pyotp.TOTP(secret).at(START)})
    page = soup(response)
    assert text(page.select_one("h1")) == "Save your recovery codes"
    assert page.select_one("#print-codes") is not None and page.select_one("#copy-codes") is not None
    assert response.headers["Cache-Control"] == "no-store"


# --- Recent sign-in needed ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SETUP, NEW_CODES, TURN_OFF])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_each_change_needs_the_password_within_fifteen_minutes(
    app: Flask, clock: time_machine.Traveller, path: str, method: str
) -> None:
    email = make(app, "inspector")
    client = signed_in(app, email)
    if path != SETUP:
        turn_on(client)
    clock.shift(timedelta(minutes=16))
    response = client.open(path, method=method, data={"code": "123456"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in/confirm"
    assert parse_qs(location.query)["next"] == [path]
    assert account_of(app, email).has_second_factor is (path != SETUP)


def test_turning_it_off_after_confirming_with_a_code(app: Flask, clock: time_machine.Traveller) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    secret, codes = turn_on(client)
    clock.shift(timedelta(minutes=20))
    confirm = client.get(f"/sign-in/confirm?next={TURN_OFF}")
    link = soup(confirm).select_one("#use-code")["href"]
    assert urlsplit(link).path == "/sign-in/confirm/code"
    page = soup(client.get(link))
    assert text(page.select_one("h1")) == "Confirm it is you"
    now = START + timedelta(minutes=20)
    wrong = client.post("/sign-in/confirm/code", data={"code": "000000", "next": TURN_OFF})
    assert error_summary(wrong) == ["The code is not right. Enter the code your authenticator app shows now"]
    response = client.post(
        "/sign-in/confirm/code", data={"code": pyotp.TOTP(secret).at(now), "next": TURN_OFF}
    )
    assert response.headers["Location"] == TURN_OFF
    assert text(soup(client.get(TURN_OFF)).select_one("h1")) == "Turn off your second factor"
    response = client.post(TURN_OFF)
    assert response.headers["Location"] == "/account"
    assert "Your second factor is off" in text(soup(client.get("/account")).select_one("main"))
    account = account_of(app, email)
    assert (account.has_second_factor, account.totp_secret) == (False, None)
    assert kinds(app, RecoveryCode, RecoveryCode.id, email) == []
    assert [e.kind for e in emails(app, email)] == ["second_factor_on", "second_factor_off"]
    assert kinds(app, AuditEvent, AuditEvent.action, email)[-1] == "account.second_factor_off"
    assert kinds(app, SecurityEvent, SecurityEvent.detail, email)[-2:] == [
        "Wrong code (confirming it is them)",
        "Turned off",
    ]
    # Signing in needs only the password again.
    client.post("/sign-out")
    assert factories.sign_in(client, email).headers["Location"] == "/declare"


def test_confirming_with_the_password_still_works_for_an_account_with_a_second_factor(
    app: Flask, clock: time_machine.Traveller
) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    turn_on(client)
    clock.shift(timedelta(minutes=20))
    response = client.post("/sign-in/confirm", data={"password": factories.PASSWORD, "next": NEW_CODES})
    assert response.headers["Location"] == NEW_CODES


def test_new_recovery_codes_replace_the_old_ones(app: Flask, clock: time_machine.Traveller) -> None:
    email = make(app, "professional")
    client = signed_in(app, email)
    _, old = turn_on(client)
    page = soup(client.get(NEW_CODES))
    assert "You have 10 unused recovery codes" in text(page.select_one("main"))
    response = client.post(NEW_CODES)
    new = codes_on_page(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert "Your old recovery codes no longer work" in text(soup(response).select_one("main"))
    assert kinds(app, SecurityEvent, SecurityEvent.detail, email)[-1] == "New recovery codes"
    assert kinds(app, AuditEvent, AuditEvent.action, email)[-1] == "account.recovery_codes_replaced"

    client.post("/sign-out")
    for recovery_code, works in ((old[0], False), (new[0], True)):
        other = app.test_client()
        factories.sign_in(other, email)
        response = other.post("/sign-in/recovery-code", data={"code": recovery_code})
        assert (response.status_code == 302) is works


def test_pages_for_a_second_factor_not_set_up_send_you_back_to_your_account(
    app: Flask, clock: time_machine.Traveller
) -> None:
    client = signed_in(app, make(app, "professional"))
    for path in (NEW_CODES, TURN_OFF, "/sign-in/confirm/code"):
        response = client.get(path)
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path in ("/account", "/sign-in/confirm")


def test_the_forms_carry_a_csrf_token_and_are_refused_without_one(
    database_url: str, tmp_path: Path, clock: time_machine.Traveller
) -> None:
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    try:
        email = make(app, "professional")
        client = app.test_client()
        sign_in_page = soup(client.get("/sign-in"))
        token = sign_in_page.select_one("input[name=csrf_token]")["value"]
        client.post("/sign-in", data={"email": email, "password": factories.PASSWORD, "csrf_token": token})
        setup = soup(client.get(SETUP))
        assert setup.select_one("main form input[name=csrf_token]")["value"]
        secret = text(setup.select_one("#setup-key")).replace(" ", "")
        refused = client.post(SETUP, data={"code": pyotp.TOTP(secret).at(START)})
        assert refused.status_code == 400
        assert account_of(app, email).has_second_factor is False
        for path in (NEW_CODES, TURN_OFF):
            assert client.post(path).status_code in (302, 400)  # not set up (302) or refused (400)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Required in production ---------------------------------------------------------------------------


@pytest.fixture
def production(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, INTERESTS_ENV="production", BASE_URL="https://localhost")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def https_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


@pytest.mark.parametrize("role", ["provider_admin", "inspector", "system_admin"])
def test_in_production_a_required_role_without_a_second_factor_must_set_one_up(
    production: Flask, clock: time_machine.Traveller, role: str
) -> None:
    email = make(production, role)
    client = https_client(production)
    home = factories.sign_in(client, email).headers["Location"]
    for path in (home, "/account", "/account/password", "/", "/inspect/export.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == SETUP, path
    page = soup(client.get(SETUP))
    assert "Your role needs a second factor" in text(page.select_one("main"))
    assert page.select_one(".nhsuk-back-link") is None
    secret = text(page.select_one("#setup-key")).replace(" ", "")
    assert client.post(SETUP, data={"code": pyotp.TOTP(secret).at(START)}).status_code == 200
    assert client.get(home).status_code == 200


def test_in_production_signing_out_still_works_before_setting_up(
    production: Flask, clock: time_machine.Traveller
) -> None:
    email = make(production, "provider_admin")
    client = https_client(production)
    factories.sign_in(client, email)
    response = client.post("/sign-out")
    assert response.headers["Location"] == "/"
    assert urlsplit(client.get("/manage").headers["Location"]).path == "/sign-in"


def test_in_production_a_professional_is_offered_a_second_factor_not_made_to(
    production: Flask, clock: time_machine.Traveller
) -> None:
    client = https_client(production)
    factories.sign_in(client, make(production, "professional"))
    assert client.get("/declare").status_code == 200
    assert client.get("/account").status_code == 200


def test_outside_production_no_role_is_made_to_set_one_up(app: Flask, clock: time_machine.Traveller) -> None:
    client = signed_in(app, make(app, "system_admin"))
    assert client.get("/admin").status_code == 200


def test_the_required_roles_are_a_setting(
    database_url: str, tmp_path: Path, clock: time_machine.Traveller
) -> None:
    app = make_app(
        database_url,
        tmp_path,
        INTERESTS_ENV="production",
        BASE_URL="https://localhost",
        MFA_REQUIRED_ROLES="",
    )
    try:
        client = https_client(app)
        factories.sign_in(client, make(app, "system_admin"))
        assert client.get("/admin").status_code == 200
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert make_app(database_url, tmp_path, MFA_REQUIRED_ROLES="inspector, professional").config[
        "MFA_REQUIRED_ROLES"
    ] == {"inspector", "professional"}
    with pytest.raises(
        ConfigurationError, match="MFA_REQUIRED_ROLES names a role that does not exist: admin"
    ):
        make_app(database_url, tmp_path, MFA_REQUIRED_ROLES="admin")
