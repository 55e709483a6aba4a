"""Second-factor secrets sealed at rest (OWASP ASVS 5.0 V11.1, V14.2): whoever holds a copy of the
database cannot make an account's codes. The stored column never holds the secret; a secret sealed
with a key the server does not hold is refused (no sign-in, no error page, a security event); keys
rotate without anyone losing their authenticator; a malformed key stops the app at start. Run on
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql

from interests import create_app
from interests.config import ConfigurationError
from interests.extensions import db
from interests.models import Account, SecurityEvent
from interests.services import accounts, sealing, second_factor
from tests import factories
from tests.conftest import make_app
from tests.identity_helpers import signed_in
from tests.pages import error_summary, soup, text

pytestmark = pytest.mark.alldb

START = datetime(2026, 11, 30, 9, 0, 10, tzinfo=UTC)
ENROLLED_AT = START - timedelta(hours=1)
SETUP = "/account/second-factor"
UNREADABLE = (
    "Codes from your authenticator app cannot be checked at the moment. Sign in with a recovery "
    "code, or ask the person who runs the register where you work to remove your second factor"
)
WRONG_CODE = "The code is not right. Enter the code your authenticator app shows now"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def stored_secret(app: Flask, email: str) -> str | None:
    """The account's secret column as the database holds it (what a dump or an injection reads)."""
    with app.app_context():
        value = db.session.execute(
            sql("SELECT totp_secret FROM account WHERE email = :email"), {"email": email}
        ).scalar_one()
        return None if value is None else str(value)


def store(app: Flask, email: str, value: str) -> None:
    with app.app_context():
        db.session.execute(
            sql("UPDATE account SET totp_secret = :v WHERE email = :email"), {"v": value, "email": email}
        )
        db.session.commit()


def enrol(app: Flask, role: str = "provider_admin") -> tuple[str, str, list[str]]:
    """An account whose second factor was set up through the service an hour before START:
    its email, its secret and its recovery codes."""
    with time_machine.travel(ENROLLED_AT, tick=False), app.app_context():
        account = factories.make_account(role)
        secret = second_factor.start_setup(account).secret
        codes = second_factor.turn_on(account, pyotp.TOTP(secret).at(ENROLLED_AT), now=ENROLLED_AT)
        db.session.commit()
        return account.email, secret, codes


def sign_in_with_code(app: Flask, email: str, secret: str) -> tuple[FlaskClient, Any]:
    client = app.test_client()
    assert factories.sign_in(client, email).headers["Location"] == "/sign-in/code"
    return client, client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).at(START)})


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def failed_sign_ins(app: Flask, email: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(SecurityEvent.detail)
                .join(Account, Account.id == SecurityEvent.account_id)
                .where(Account.email == email, SecurityEvent.kind == "sign_in_failed")
                .order_by(SecurityEvent.id)
            )
        )


def use_keys(app: Flask, *keys: str) -> None:
    """The deployment restarted with SECOND_FACTOR_KEYS set to `keys` (newest first)."""
    app.config["SECOND_FACTOR_KEYS"] = tuple(keys)


# --- What a copy of the database holds ------------------------------------------------------------


def test_the_stored_column_never_holds_the_secret_set_up_through_the_pages(
    app: Flask, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        email = factories.make_account("professional").email
        db.session.commit()
    client = signed_in(app, email)
    page = client.get(SETUP)
    secret = text(soup(page).select_one("#setup-key")).replace(" ", "")
    while_enrolling = stored_secret(app, email)
    assert while_enrolling is not None and secret not in while_enrolling
    # Reloading the set-up page shows the same secret again (unsealed), not a new one.
    assert text(soup(client.get(SETUP)).select_one("#setup-key")).replace(" ", "") == secret
    assert client.post(SETUP, data={"code": pyotp.TOTP(secret).at(START)}).status_code == 200
    stored = stored_secret(app, email)
    assert stored is not None
    assert secret not in stored and secret.lower() not in stored.lower()
    assert len(stored) > 100  # a Fernet token (140 characters), not an encoding of the 32 characters


def test_a_copied_database_with_a_key_the_server_does_not_hold_makes_no_codes(
    app: Flask, clock: time_machine.Traveller
) -> None:
    """The sealed value opens with the server's key only: another key (an attacker's guess, or the
    development key of another laptop) cannot read it."""
    email, secret, _ = enrol(app)
    stored = stored_secret(app, email)
    assert stored is not None
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do: cryptography's InvalidToken
        Fernet(Fernet.generate_key()).decrypt(stored.encode())
    with app.app_context():
        assert sealing.unseal(stored) == secret


# --- A secret sealed with a key the server does not hold -------------------------------------------


def test_a_secret_sealed_with_another_key_is_refused_with_a_clear_message_and_logged(
    app: Flask, clock: time_machine.Traveller
) -> None:
    """An attacker writes a secret they sealed themselves (or a key was dropped too early): the right
    code for that secret does not sign in, the page says what to do, and the refusal is logged."""
    email, secret, recovery_codes = enrol(app)
    planted = Fernet(Fernet.generate_key()).encrypt(secret.encode()).decode()
    store(app, email, planted)
    client, response = sign_in_with_code(app, email, secret)
    assert response.status_code == 200
    assert error_summary(response) == [UNREADABLE]
    assert not is_signed_in(client)
    assert failed_sign_ins(app, email) == ["Second factor cannot be checked: no key opens its secret"]
    with app.app_context():  # nobody guessed a code wrong: the lockout is not counted
        assert accounts.find_by_email(email).failed_sign_ins == 0
    # Plain text planted in the column (a secret of the attacker's choosing) is refused the same way.
    store(app, email, secret)
    client, response = sign_in_with_code(app, email, secret)
    assert (response.status_code, error_summary(response)) == (200, [UNREADABLE])
    assert not is_signed_in(client)
    # The recovery codes still work, as the message says.
    client = app.test_client()
    factories.sign_in(client, email)
    response = client.post("/sign-in/recovery-code", data={"code": recovery_codes[0]})
    assert response.status_code == 302 and is_signed_in(client)


def test_confirming_it_is_you_with_a_code_is_refused_the_same_way(
    app: Flask, clock: time_machine.Traveller
) -> None:
    email, secret, recovery_codes = enrol(app, "professional")
    client = app.test_client()
    factories.sign_in(client, email)
    client.post("/sign-in/recovery-code", data={"code": recovery_codes[0]})
    store(app, email, Fernet(Fernet.generate_key()).encrypt(secret.encode()).decode())
    response = client.post(
        "/sign-in/confirm/code", data={"code": pyotp.TOTP(secret).at(START), "next": "/account"}
    )
    assert response.status_code == 200
    assert error_summary(response) == [UNREADABLE]
    assert failed_sign_ins(app, email)[-1] == "Second factor cannot be checked: no key opens its secret"


def test_a_set_up_whose_secret_no_key_opens_starts_again_with_a_new_secret(
    app: Flask, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        email = factories.make_account("professional").email
        db.session.commit()
    client = signed_in(app, email)
    first = text(soup(client.get(SETUP)).select_one("#setup-key")).replace(" ", "")
    use_keys(app, Fernet.generate_key().decode())  # the key it was sealed with is gone
    response = client.post(SETUP, data={"code": pyotp.TOTP(first).at(START)})
    assert response.status_code == 200
    assert error_summary(response) == [
        "Start setting up your second factor again: scan the new QR code below"
    ]
    second = text(soup(response).select_one("#setup-key")).replace(" ", "")
    assert second != first
    response = client.post(SETUP, data={"code": pyotp.TOTP(second).at(START)})
    assert text(soup(response).select_one("h1")) == "Save your recovery codes"


# --- Rotating the keys ---------------------------------------------------------------------------


def test_rotating_keys_keeps_every_account_able_to_sign_in_with_its_authenticator(
    app: Flask, clock: time_machine.Traveller
) -> None:
    old = app.config["SECOND_FACTOR_KEYS"][0]
    enrolled = [enrol(app, role) for role in ("provider_admin", "inspector", "professional")]
    before = {email: stored_secret(app, email) for email, _, _ in enrolled}
    new = Fernet.generate_key().decode()
    use_keys(app, new, old)
    result = app.test_cli_runner().invoke(args=["second-factor", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "Sealed 3 second-factor secrets again with the first key" in result.output
    use_keys(app, new)  # the old key is dropped: every secret must open with the new one alone
    for email, secret, _ in enrolled:
        after = stored_secret(app, email)
        assert after is not None and after != before[email] and secret not in after
        client, response = sign_in_with_code(app, email, secret)
        assert response.status_code == 302, error_summary(response)
        assert is_signed_in(client)


def test_rotating_changes_nothing_when_a_secret_opens_with_none_of_the_keys(
    app: Flask, clock: time_machine.Traveller
) -> None:
    old = app.config["SECOND_FACTOR_KEYS"][0]
    readable, secret, _ = enrol(app)
    lost, _, _ = enrol(app, "inspector")
    store(app, lost, Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXP").decode())
    before = stored_secret(app, readable)
    use_keys(app, Fernet.generate_key().decode(), old)
    result = app.test_cli_runner().invoke(args=["second-factor", "rotate"])
    assert result.exit_code == 1
    assert (
        f"The second-factor secret of 1 account opens with none of SECOND_FACTOR_KEYS ({lost})"
        in result.output
    )
    assert "Nothing was changed" in result.output
    assert stored_secret(app, readable) == before
    use_keys(app, old)
    client, response = sign_in_with_code(app, readable, secret)
    assert response.status_code == 302 and is_signed_in(client)


def test_a_new_secret_key_keeps_secrets_readable_once_the_old_derived_key_is_listed(
    database_url: str, tmp_path: Path, clock: time_machine.Traveller
) -> None:
    """Unset, SECOND_FACTOR_KEYS is derived from SECRET_KEY: `second-factor keys` prints that key so
    the operator can list it before changing SECRET_KEY, and `rotate` moves every secret on."""
    first = make_app(database_url, tmp_path, SECRET_KEY="the-first-secret-key-long-enough-to-use!")
    if not database_url.startswith("sqlite"):
        with first.app_context():
            db.create_all()
    email, secret, _ = enrol(first)
    printed = first.test_cli_runner().invoke(args=["second-factor", "keys"])
    assert printed.exit_code == 0, printed.output
    assert "sealed with the key derived from SECRET_KEY" in printed.output
    derived = printed.output.strip().splitlines()[-1]
    assert derived == sealing.derived_key("the-first-secret-key-long-enough-to-use!")
    with first.app_context():
        db.engine.dispose()
    new_key = Fernet.generate_key().decode()
    # SECRET_KEY changed and nothing listed: the secret opens with no key, and sign-in is refused.
    forgotten = make_app(database_url, tmp_path, SECRET_KEY="a-second-secret-key-long-enough-to-use!!")
    _, response = sign_in_with_code(forgotten, email, secret)
    assert error_summary(response) == [UNREADABLE]
    with forgotten.app_context():
        db.engine.dispose()
    # Listed after a new key, it opens; `rotate` seals with the new key; then it can go.
    second = make_app(
        database_url,
        tmp_path,
        SECRET_KEY="a-second-secret-key-long-enough-to-use!!",
        SECOND_FACTOR_KEYS=f"{new_key}, {derived}",
    )
    result = second.test_cli_runner().invoke(args=["second-factor", "rotate"])
    assert result.exit_code == 0, result.output
    use_keys(second, new_key)
    client, response = sign_in_with_code(second, email, secret)
    assert response.status_code == 302 and is_signed_in(client)
    with second.app_context():
        db.engine.dispose()


# --- A malformed key stops the app at start ---------------------------------------------------------

PRODUCTION = {
    "INTERESTS_ENV": "production",
    "SECRET_KEY": "a-production-secret-key-long-enough-to-use",
    "BASE_URL": "https://register.example.nhs.uk",
}


# A well-formed key, fixed: parameters must be the same in every test process (pytest-xdist
# compares the tests each collected), so none is generated at import.
WELL_FORMED_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("not-a-key", "SECOND_FACTOR_KEYS: its key is not a Fernet key"),
        (WELL_FORMED_KEY[:-2], "SECOND_FACTOR_KEYS: its key is not a Fernet key"),
        (f"{WELL_FORMED_KEY},oops", "SECOND_FACTOR_KEYS: key 2 of 2 is not a Fernet key"),
        (f"{WELL_FORMED_KEY},,", "SECOND_FACTOR_KEYS has an empty entry (key 2 of 3)"),
    ],
    ids=["not base64", "cut short", "second not a key", "empty entry"],
)
def test_production_refuses_to_start_with_a_malformed_second_factor_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: str, message: str
) -> None:
    monkeypatch.setenv("SECOND_FACTOR_KEYS", keys)
    with pytest.raises(ConfigurationError) as refused:
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SEARCH_INDEX_DIR": str(tmp_path / "index"),
                **PRODUCTION,
            },
            instance_path=str(tmp_path / "instance"),
        )
    assert str(refused.value).startswith("Cannot start in production: ")
    assert message in str(refused.value)
    assert keys.split(",")[0] not in str(refused.value)  # a key is never repeated in a message or log


def test_production_starts_with_well_formed_keys_and_development_refuses_a_malformed_one(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    monkeypatch.setenv("SECOND_FACTOR_KEYS", " , ".join(keys))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SEARCH_INDEX_DIR": str(tmp_path / "index"), **PRODUCTION},
        instance_path=str(tmp_path / "instance"),
    )
    assert app.config["SECOND_FACTOR_KEYS"] == tuple(keys)
    with app.app_context():
        db.engine.dispose()
    with pytest.raises(ConfigurationError, match="SECOND_FACTOR_KEYS: its key is not a Fernet key"):
        make_app(database_url, tmp_path, SECOND_FACTOR_KEYS="not-a-key")
