"""Signing in with a second factor (OWASP ASVS 5.0 V6.5, V6.6): after the right password an account with
one is not signed in until it gives a code from its authenticator app, or a recovery code. Codes work
once, within a step of the clock; wrong ones count towards the lockout. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, AuditEvent, OutboxEmail, SecurityEvent
from interests.rules.codes import NOT_AUTHENTICATOR_CODE, NOT_RECOVERY_CODE
from interests.services import accounts, sealing, second_factor
from interests.unit_of_work import transaction
from tests import factories
from tests.pages import banners, error_summary, soup, text

pytestmark = pytest.mark.alldb

# Ten seconds into a 30-second step, so "the step before" and "the step after" are clear.
START = datetime(2026, 11, 30, 9, 0, 10, tzinfo=UTC)
ENROLLED_AT = START - timedelta(hours=1)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a test's fixed TOTP secret
WRONG_CODE = "The code is not right. Enter the code your authenticator app shows now"
WRONG_RECOVERY_CODE = "That recovery code is not right, or it has been used. Enter another one"
LOCKED = "This account is locked for 15 minutes after too many failed sign-ins; we have emailed its owner"
START_AGAIN = "Your sign-in was not finished in time. Sign in again"


def code(steps: int = 0, at: datetime = START) -> str:
    """The code the authenticator app shows `steps` 30-second steps from `at`."""
    return pyotp.TOTP(SECRET).at(at + timedelta(seconds=30 * steps))


@dataclass
class Enrolled:
    email: str
    recovery_codes: list[str]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def enrol(app: Flask, role: str = "provider_admin") -> Enrolled:
    """An account with a second factor, turned on an hour before START (so no code near START is spent)."""
    with time_machine.travel(ENROLLED_AT, tick=False), app.app_context():
        account = factories.make_account(role)
        account.totp_secret = sealing.seal(SECRET)
        codes = second_factor.turn_on(account, code(at=ENROLLED_AT), now=ENROLLED_AT)
        db.session.commit()
        return Enrolled(account.email, codes)


@pytest.fixture
def enrolled(app: Flask, clock: time_machine.Traveller) -> Enrolled:
    return enrol(app)


def password_step(client: FlaskClient, email: str, next_path: str | None = None) -> Any:
    response = factories.sign_in(client, email, next_path=next_path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/code"
    return response


def enter_code(client: FlaskClient, typed: str) -> Any:
    return client.post("/sign-in/code", data={"code": typed})


def enter_recovery_code(client: FlaskClient, typed: str) -> Any:
    return client.post("/sign-in/recovery-code", data={"code": typed})


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def emails(app: Flask, address: str, kind: str) -> list[OutboxEmail]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(OutboxEmail).where(OutboxEmail.to_address == address, OutboxEmail.kind == kind)
            )
        )
        db.session.expunge_all()
        return found


def security_events(app: Flask, kind: str) -> list[tuple[str | None, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Account.email, SecurityEvent.detail)
            .outerjoin(Account, Account.id == SecurityEvent.account_id)
            .where(SecurityEvent.kind == kind)
            .order_by(SecurityEvent.id)
        ).all()
        return [(email, detail) for email, detail in rows]


# --- The code step ----------------------------------------------------------------------------------


def test_the_right_password_alone_does_not_sign_in_an_account_with_a_second_factor(
    client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    page = soup(client.get("/sign-in/code"))
    assert text(page.select_one("h1")) == "Enter the code from your authenticator app"
    field = page.select_one("input#code")
    assert field["autocomplete"] == "one-time-code"
    assert field["inputmode"] == "numeric"
    assert text(page.select_one("label[for=code]")) == "Code from your authenticator app"
    assert page.select_one("#use-recovery-code")["href"] == "/sign-in/recovery-code"
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("typed", "signed_in", "errors"),
    [
        (lambda: code(0), True, []),
        (lambda: code(-1), True, []),  # the step before: the phone's clock a little slow
        (lambda: code(+1), True, []),  # the step after: a little fast
        (lambda: code(-2), False, [WRONG_CODE]),
        (lambda: code(+2), False, [WRONG_CODE]),
        (lambda: code(0)[:3] + " " + code(0)[3:], True, []),  # as some apps show it
        (lambda: " " + code(0) + " ", True, []),
        (lambda: code(0)[:3] + "-" + code(0)[3:], True, []),
        (lambda: "abcdef", False, [NOT_AUTHENTICATOR_CODE]),
        (lambda: code(0)[:5], False, [NOT_AUTHENTICATOR_CODE]),
        (lambda: code(0) + "1", False, [NOT_AUTHENTICATOR_CODE]),
        (lambda: "١٢٣٤٥٦", False, [NOT_AUTHENTICATOR_CODE]),  # Arabic-Indic digits: not a code
        (lambda: "9" * 100_000, False, [NOT_AUTHENTICATOR_CODE]),
        (lambda: "", False, ["Enter the code from your authenticator app"]),
    ],
    ids=[
        "right",
        "previous-step",
        "next-step",
        "two-steps-before",
        "two-steps-after",
        "with-a-space",
        "padded",
        "with-a-hyphen",
        "letters",
        "five-digits",
        "seven-digits",
        "other-digits",
        "huge",
        "empty",
    ],
)
def test_which_codes_sign_in(
    client: FlaskClient,
    enrolled: Enrolled,
    typed: Callable[[], str],
    signed_in: bool,
    errors: list[str],
) -> None:
    password_step(client, enrolled.email)
    response = enter_code(client, typed())
    if signed_in:
        assert response.status_code == 302
        assert response.headers["Location"] == "/manage"
        assert is_signed_in(client)
    else:
        assert response.status_code == 200
        assert error_summary(response) == errors
        assert text(soup(response).select_one("#code-error")) == "Error: " + errors[0]
        assert soup(response).title.string.startswith("Error: ")
        assert not is_signed_in(client)


def test_a_code_works_once(app: Flask, client: FlaskClient, enrolled: Enrolled) -> None:
    password_step(client, enrolled.email)
    assert enter_code(client, code(0)).status_code == 302
    client.post("/sign-out")
    password_step(client, enrolled.email)
    assert error_summary(enter_code(client, code(0))) == [WRONG_CODE]
    assert not is_signed_in(client)


def test_after_a_code_no_code_from_an_earlier_step_works(client: FlaskClient, enrolled: Enrolled) -> None:
    password_step(client, enrolled.email)
    assert enter_code(client, code(+1)).status_code == 302
    client.post("/sign-out")
    password_step(client, enrolled.email)
    assert error_summary(enter_code(client, code(0))) == [WRONG_CODE]
    assert error_summary(enter_code(client, code(-1))) == [WRONG_CODE]


def test_the_next_code_works_after_thirty_seconds(
    client: FlaskClient, enrolled: Enrolled, clock: time_machine.Traveller
) -> None:
    password_step(client, enrolled.email)
    assert enter_code(client, code(0)).status_code == 302
    client.post("/sign-out")
    clock.shift(timedelta(seconds=30))
    password_step(client, enrolled.email)
    assert enter_code(client, code(0, at=START + timedelta(seconds=30))).status_code == 302


def test_after_the_code_the_sign_in_goes_where_it_was_going(client: FlaskClient, enrolled: Enrolled) -> None:
    password_step(client, enrolled.email, next_path="/account")
    assert enter_code(client, code(0)).headers["Location"] == "/account"


# --- Waiting for the code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/account", "/manage", "/declare", "/inspect", "/admin", "/sign-in/confirm"]
)
def test_a_sign_in_waiting_for_its_code_reaches_no_signed_in_page(
    client: FlaskClient, enrolled: Enrolled, path: str
) -> None:
    password_step(client, enrolled.email)
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    assert "Sign out" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("seconds", "still_waiting"), [(299, True), (300, False), (3600, False)])
def test_a_sign_in_waits_five_minutes_for_its_code(
    client: FlaskClient,
    enrolled: Enrolled,
    clock: time_machine.Traveller,
    seconds: int,
    still_waiting: bool,
) -> None:
    password_step(client, enrolled.email)
    clock.shift(timedelta(seconds=seconds))
    now = START + timedelta(seconds=seconds)
    response = enter_code(client, code(0, at=now))
    if still_waiting:
        assert response.status_code == 302 and response.headers["Location"] == "/manage"
        return
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert banners(client.get("/sign-in")) == [START_AGAIN]
    assert not is_signed_in(client)


def test_the_code_pages_without_a_password_first_send_you_to_sign_in(client: FlaskClient) -> None:
    for path in ("/sign-in/code", "/sign-in/recovery-code"):
        response = client.post(path, data={"code": "123456"})
        assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


def test_ending_every_session_elsewhere_ends_a_sign_in_waiting_for_its_code(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    with app.app_context(), transaction():  # the password is changed, or every session ended, elsewhere
        accounts.revoke_sessions(accounts.find_by_email(enrolled.email))
    response = enter_code(client, code(0))
    assert response.headers["Location"] == "/sign-in"
    assert not is_signed_in(client)


def test_a_second_sign_in_replaces_what_the_session_held(client: FlaskClient, enrolled: Enrolled) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    password_step(client, enrolled.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert set(session) == {"pending_sign_in"}
        assert SECRET not in str(dict(session))


# --- Recovery codes -----------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    page = soup(client.get("/sign-in/recovery-code"))
    assert text(page.select_one("h1")) == "Enter a recovery code"
    response = enter_recovery_code(client, enrolled.recovery_codes[0].upper())
    assert response.status_code == 302
    assert banners(client.get(response.headers["Location"])) == [
        "You signed in with a recovery code. It will not work again: you have 9 recovery codes left"
    ]
    told = emails(app, enrolled.email, "recovery_code_used")
    assert len(told) == 1 and "You have 9 recovery codes left" in told[0].body
    assert enrolled.recovery_codes[0] not in told[0].body

    client.post("/sign-out")
    password_step(client, enrolled.email)
    assert error_summary(enter_recovery_code(client, enrolled.recovery_codes[0])) == [WRONG_RECOVERY_CODE]
    assert not is_signed_in(client)
    assert enter_recovery_code(client, enrolled.recovery_codes[1]).status_code == 302


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("abcd-efgh-jkmn-pqrs-twxy-2345", WRONG_RECOVERY_CODE),  # the right form, not theirs
        ("123456", NOT_RECOVERY_CODE),
        ("not a code at all", NOT_RECOVERY_CODE),
        ("x" * 100_000, NOT_RECOVERY_CODE),
    ],
)
def test_a_wrong_recovery_code_is_refused_with_a_message(
    client: FlaskClient, enrolled: Enrolled, typed: str, error: str
) -> None:
    password_step(client, enrolled.email)
    response = enter_recovery_code(client, typed)
    assert response.status_code == 200
    assert error_summary(response) == [error]
    assert not is_signed_in(client)


def test_another_accounts_recovery_code_does_not_work(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    other = enrol(app, "inspector")
    password_step(client, enrolled.email)
    assert error_summary(enter_recovery_code(client, other.recovery_codes[0])) == [WRONG_RECOVERY_CODE]


def test_the_last_recovery_code_says_to_make_new_ones(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    for recovery_code in enrolled.recovery_codes:
        client.post("/sign-out")
        password_step(client, enrolled.email)
        response = enter_recovery_code(client, recovery_code)
        assert response.status_code == 302
    assert banners(client.get("/manage")) == [
        "You have used your last recovery code. Make a new set of recovery codes now, from your account"
    ]
    assert "0 of 10 left" in text(soup(client.get("/account")).select_one("main"))


# --- Lockout ------------------------------------------------------------------------------------------


def test_ten_wrong_codes_lock_the_account_and_email_its_owner(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    responses = [enter_code(client, "000000") for _ in range(10)]
    assert [error_summary(r) for r in responses[:9]] == [[WRONG_CODE]] * 9
    assert error_summary(responses[9]) == [WRONG_CODE, LOCKED]
    response = enter_code(client, code(0))
    assert error_summary(response) == [LOCKED]
    assert not is_signed_in(client)
    told = emails(app, enrolled.email, "account_locked")
    assert len(told) == 1
    assert "10 times" in told[0].body and "The last attempt had your password right" in told[0].body
    # The lock holds at the password step too, from anywhere.
    other = app.test_client()
    assert factories.sign_in(other, enrolled.email).status_code == 200


def test_wrong_passwords_and_wrong_codes_count_together(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    for _ in range(5):
        factories.sign_in(client, enrolled.email, "not the password at all")
    password_step(client, enrolled.email)
    for _ in range(4):
        enter_code(client, "000000")
    assert error_summary(enter_recovery_code(client, "abcd-efgh-jkmn-pqrs-twxy-2345")) == [
        WRONG_RECOVERY_CODE,
        LOCKED,
    ]
    assert error_summary(enter_recovery_code(client, enrolled.recovery_codes[0])) == [LOCKED]
    with app.app_context():  # the refused right recovery code is not spent
        assert second_factor.recovery_codes_left(accounts.find_by_email(enrolled.email)) == 10


def test_entering_the_password_again_does_not_forget_wrong_codes(
    client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    for _ in range(9):
        enter_code(client, "000000")
    password_step(client, enrolled.email)  # the attacker who knows the password starts again
    assert error_summary(enter_code(client, "000000")) == [WRONG_CODE, LOCKED]


def test_a_right_code_resets_the_count(client: FlaskClient, enrolled: Enrolled) -> None:
    password_step(client, enrolled.email)
    for _ in range(9):
        enter_code(client, "000000")
    assert enter_code(client, code(0)).status_code == 302
    client.post("/sign-out")
    password_step(client, enrolled.email)
    assert [error_summary(enter_code(client, "000000")) for _ in range(9)] == [[WRONG_CODE]] * 9


def test_malformed_codes_are_not_counted(client: FlaskClient, enrolled: Enrolled) -> None:
    password_step(client, enrolled.email)
    for _ in range(12):
        enter_code(client, "abc")
    assert enter_code(client, code(0)).status_code == 302


# --- What is recorded -----------------------------------------------------------------------------------


def test_the_security_log_says_how_each_sign_in_was_made_and_refused(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    enter_code(client, "000000")
    enter_code(client, code(0))
    client.post("/sign-out")
    password_step(client, enrolled.email)
    enter_recovery_code(client, "abcd-efgh-jkmn-pqrs-twxy-2345")
    enter_recovery_code(client, enrolled.recovery_codes[0])
    assert security_events(app, "sign_in_failed") == [
        (enrolled.email, "Wrong code"),
        (enrolled.email, "Wrong recovery code"),
    ]
    assert security_events(app, "sign_in") == [
        (enrolled.email, "With a code from an authenticator app"),
        (enrolled.email, "With a recovery code (9 left)"),
    ]
    assert security_events(app, "second_factor_changed") == [(enrolled.email, "Turned on")]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "account.second_factor_on" in actions


def test_no_code_or_secret_is_kept_in_the_log_or_the_outbox(
    app: Flask, client: FlaskClient, enrolled: Enrolled
) -> None:
    password_step(client, enrolled.email)
    enter_code(client, code(5))
    enter_recovery_code(client, enrolled.recovery_codes[0])
    with app.app_context():
        details = " ".join(db.session.scalars(select(SecurityEvent.detail)))
        bodies = " ".join(db.session.scalars(select(OutboxEmail.body)))
    for secret in (code(5), SECRET, *enrolled.recovery_codes):
        assert secret not in details and secret not in bodies
