"""Attacks on the sealed second-factor secrets, as someone holding a stolen password, or reading the
logs, the security log or the pages, would make them. Each must fail;
tests/web/test_second_factor_sealed.py holds the ordinary behaviour."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, AuditEvent, SecurityEvent
from interests.rules.codes import RECOVERY_ALPHABET
from interests.services import accounts
from tests import factories
from tests.pages import error_summary
from tests.web.test_second_factor_sealed import START, UNREADABLE, enrol, is_signed_in, store, stored_secret

pytestmark = pytest.mark.alldb

LOCKED = "locked"


def _wrong_recovery_code(n: int) -> str:
    """A well-formed recovery code that is not the account's (a malformed one is refused unread)."""
    return f"abcd-efgh-jkmn-pqrs-twxy-{RECOVERY_ALPHABET[n]}{RECOVERY_ALPHABET[n + 1]}23"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_codes_tried_against_an_unreadable_secret_neither_unlock_nor_reset_the_lockout(
    app: Flask, clock: time_machine.Traveller
) -> None:
    """Someone with the password and a pile of guessed recovery codes: while the secret cannot be
    read, codes typed at the authenticator step must not wipe the count of wrong guesses, and once
    locked, nothing (not even a right recovery code) gets in."""
    email, secret, recovery_codes = enrol(app)
    store(app, email, Fernet(Fernet.generate_key()).encrypt(secret.encode()).decode())
    attempts = int(app.config["LOCKOUT_ATTEMPTS"])
    client = app.test_client()
    assert factories.sign_in(client, email).headers["Location"] == "/sign-in/code"
    for n in range(attempts - 1):
        client.post("/sign-in/recovery-code", data={"code": _wrong_recovery_code(n)})
    for _ in range(5):
        response = client.post("/sign-in/code", data={"code": "123456"})
        assert error_summary(response) == [UNREADABLE]
    with app.app_context():
        assert accounts.find_by_email(email).failed_sign_ins == attempts - 1
    client.post("/sign-in/recovery-code", data={"code": _wrong_recovery_code(attempts)})
    with app.app_context():
        assert accounts.is_locked(accounts.find_by_email(email), START)
    for path, code in (("/sign-in/code", "123456"), ("/sign-in/recovery-code", recovery_codes[0])):
        response = client.post(path, data={"code": code})
        assert response.status_code == 200, path
        assert any(LOCKED in message for message in error_summary(response)), path
    assert not is_signed_in(client)


def test_the_secret_and_its_sealed_form_are_in_no_log_event_or_page(
    app: Flask, clock: time_machine.Traveller, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        factories.make_account("system_admin", email="root@service.example")
        db.session.commit()
    email, secret, _ = enrol(app)
    sealed = stored_secret(app, email)
    assert sealed is not None
    client = app.test_client()
    factories.sign_in(client, email)
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).at(START)}).status_code == 302
    pages = [client.get(path).get_data(as_text=True) for path in ("/account", "/account/second-factor")]
    # The key it was sealed with is dropped: the refusal is logged, without the secret.
    planted = Fernet(Fernet.generate_key()).encrypt(secret.encode()).decode()
    store(app, email, planted)
    other = app.test_client()
    factories.sign_in(other, email)
    assert error_summary(other.post("/sign-in/code", data={"code": "123456"})) == [UNREADABLE]
    admin = app.test_client()
    factories.sign_in(admin, "root@service.example")
    with app.app_context():
        account_id = accounts.find_by_email(email).id
        events = [
            " ".join(str(value) for value in vars(row).values())
            for model in (SecurityEvent, AuditEvent)
            for row in db.session.scalars(select(model))
        ]
        assert db.session.get(Account, account_id) is not None
    pages.append(admin.get(f"/admin/accounts/{account_id}").get_data(as_text=True))
    pages.append(admin.get("/admin/security-events").get_data(as_text=True))
    for where, words in [
        ("log", caplog.text),
        *(("event", e) for e in events),
        *(("page", p) for p in pages),
    ]:
        for hidden in (secret, sealed, planted, sealed[:40], planted[:40]):
            assert hidden not in words, where
