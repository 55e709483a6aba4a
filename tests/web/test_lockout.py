"""Sign-in lockout per account (OWASP ASVS 5.0 V6.3): ten failures in fifteen minutes lock one account for
fifteen minutes from every address, and its owner is emailed once; the per-address limit is generous."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from interests.services.accounts import find_by_email
from tests import factories
from tests.pages import error_summary

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WRONG = "not the password at all"
REFUSED = "Enter a correct email address and password"
LOCKED = "This account is locked for 15 minutes after too many failed sign-ins; we have emailed its owner"


def sign_in(client: FlaskClient, email: str, password: str, address: str = "192.0.2.1") -> Any:
    return client.post(
        "/sign-in", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def fail(client: FlaskClient, email: str, times: int, address: str = "192.0.2.1") -> list[Any]:
    return [sign_in(client, email, WRONG, address) for _ in range(times)]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def email(app: Flask) -> str:
    with app.app_context():
        address = factories.make_account("provider_admin").email
        db.session.commit()
    return address


def lock_emails(app: Flask, email: str) -> list[OutboxEmail]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxEmail).where(
                    OutboxEmail.kind == "account_locked", OutboxEmail.to_address == email
                )
            )
        )


@pytest.mark.parametrize(
    ("failures", "signed_in", "errors"),
    [
        (0, True, []),
        (1, True, []),
        (9, True, []),
        (10, False, [REFUSED, LOCKED]),
        (25, False, [REFUSED, LOCKED]),
    ],
)
def test_the_right_password_works_until_the_tenth_failure_locks_the_account(
    client: FlaskClient,
    email: str,
    clock: time_machine.Traveller,
    failures: int,
    signed_in: bool,
    errors: list[str],
) -> None:
    fail(client, email, failures)
    response = sign_in(client, email, factories.PASSWORD)
    assert (response.status_code == 302) is signed_in
    assert error_summary(response) == errors


def test_failures_say_only_that_the_details_are_wrong_until_the_tenth_says_the_account_is_locked(
    client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    responses = fail(client, email, 10)
    assert [error_summary(r) for r in responses[:9]] == [[REFUSED]] * 9
    assert error_summary(responses[9]) == [REFUSED, LOCKED]


def test_a_locked_account_is_locked_from_every_address(
    app: Flask, client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    for n in range(10):  # a different address for each failure: the count is the account's
        sign_in(client, email, WRONG, address=f"198.51.100.{n}")
    colleague = app.test_client()
    response = sign_in(colleague, email, factories.PASSWORD, address="203.0.113.7")
    assert response.status_code == 200
    assert error_summary(response) == [REFUSED, LOCKED]


@pytest.mark.parametrize(
    ("minutes_later", "signed_in"),
    [(0, False), (14, False), (14.99, False), (15, True), (60, True)],
)
def test_a_lock_lasts_fifteen_minutes(
    client: FlaskClient, email: str, clock: time_machine.Traveller, minutes_later: float, signed_in: bool
) -> None:
    fail(client, email, 10)
    clock.shift(timedelta(minutes=minutes_later))
    assert (sign_in(client, email, factories.PASSWORD).status_code == 302) is signed_in


def test_after_a_lock_ends_the_account_has_ten_attempts_again(
    client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    fail(client, email, 10)
    clock.shift(timedelta(minutes=15))
    assert [error_summary(r) for r in fail(client, email, 9)] == [[REFUSED]] * 9
    assert sign_in(client, email, factories.PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(
    app: Flask, client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    fail(client, email, 9)
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    with app.app_context():
        account = find_by_email(email)
        assert (account.failed_sign_ins, account.first_failed_at, account.locked_until) == (0, None, None)
    other = app.test_client()
    fail(other, email, 9)
    assert sign_in(other, email, factories.PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("bursts", "locked"),
    [
        # (minutes after the first failure, failures then): the window starts at the first failure
        ([(0, 9), (15, 1)], False),  # the first nine are forgotten once fifteen minutes have passed
        ([(0, 9), (15, 9)], False),
        ([(0, 9), (15, 10)], True),
        ([(0, 5), (14, 5)], True),  # ten within fifteen minutes of the first
        ([(0, 1), (14.9, 9)], True),
        ([(0, 1), (16, 9)], False),
    ],
)
def test_only_failures_within_fifteen_minutes_of_the_first_count(
    client: FlaskClient,
    email: str,
    clock: time_machine.Traveller,
    bursts: list[tuple[float, int]],
    locked: bool,
) -> None:
    for minutes, failures in bursts:
        clock.move_to(START + timedelta(minutes=minutes))
        fail(client, email, failures)
    assert (sign_in(client, email, factories.PASSWORD).status_code == 200) is locked


def test_the_owner_is_emailed_once_per_lock(
    app: Flask, client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    fail(client, email, 9)
    assert lock_emails(app, email) == []
    fail(client, email, 1)
    fail(client, email, 20)  # more attempts while locked: no more emails
    sign_in(client, email, factories.PASSWORD)
    emails = lock_emails(app, email)
    assert len(emails) == 1
    assert emails[0].subject == "Your account was locked after too many failed sign-ins"
    assert "10 times" in emails[0].body and "15 minutes" in emails[0].body
    assert WRONG not in emails[0].body
    clock.shift(timedelta(minutes=15))
    fail(client, email, 10)  # locked a second time: a second email
    assert len(lock_emails(app, email)) == 2


def test_an_unknown_address_is_never_said_to_be_locked(
    client: FlaskClient, clock: time_machine.Traveller
) -> None:
    responses = fail(client, "nobody@example.org", 12)
    assert {tuple(error_summary(r)) for r in responses} == {(REFUSED,)}


def test_a_disabled_account_is_never_said_to_be_locked(
    app: Flask, client: FlaskClient, email: str, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        find_by_email(email).active = False
        db.session.commit()
    responses = fail(client, email, 12)
    assert {tuple(error_summary(r)) for r in responses} == {(REFUSED,)}
    assert lock_emails(app, email) == []


def test_the_per_address_limit_is_generous_by_default(app: Flask) -> None:
    assert app.config["SIGN_IN_RATE_LIMIT"] == "30 per minute;300 per hour"
    assert (
        app.config["LOCKOUT_ATTEMPTS"],
        app.config["LOCKOUT_WINDOW_MINUTES"],
        app.config["LOCKOUT_MINUTES"],
    ) == (
        10,
        15,
        15,
    )
