"""No email is sent twice: two deliveries of the outbox at once (the worker's every-minute job and
`flask outbox deliver` by hand, or two workers on two servers) each claim their emails in the
database before opening an SMTP connection, so every email reaches the mail server exactly once.
On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail, utcnow
from interests.services import outbox

pytestmark = pytest.mark.alldb

EMAILS = 30


def _queue(app: Flask, count: int) -> None:
    with app.app_context():
        for number in range(count):
            outbox.send_email(
                kind="test",
                to=f"person{number}@example.org",
                subject=f"Email number {number}",
                body="Hello",
            )
        db.session.commit()


def _subjects(smtp: Any) -> Counter[str]:
    return Counter(
        line.removeprefix("Subject: ").strip()
        for message in smtp.messages
        for line in message.splitlines()
        if line.startswith("Subject: ")
    )


def _smtp(app: Flask, smtp: Any) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.server_address[1]))


def test_two_deliveries_at_once_send_each_email_exactly_once(
    app: Flask, second_server: Flask, smtp_server: Any
) -> None:
    _queue(app, EMAILS)
    for server in (app, second_server):
        _smtp(server, smtp_server)
    smtp_server.delay = 0.02  # a busy mail server: each run takes a while, so they overlap
    start = threading.Barrier(2)
    results: dict[str, outbox.Delivery] = {}
    errors: list[BaseException] = []

    def deliver(name: str, server: Flask) -> None:
        try:
            with server.app_context():
                start.wait(timeout=10)
                results[name] = outbox.deliver_pending()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    runs = [
        threading.Thread(target=deliver, args=(name, server))
        for name, server in (("worker", app), ("by hand", second_server))
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert errors == []
    assert sum(result.sent for result in results.values()) == EMAILS
    assert sum(result.failed for result in results.values()) == 0

    received = _subjects(smtp_server)
    assert len(smtp_server.messages) == EMAILS
    assert received == Counter(f"Email number {number}" for number in range(EMAILS))
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert all(email.sent_at is not None and email.attempts == 1 for email in emails)
        assert all(email.next_attempt_at is None for email in emails)


def test_an_email_another_run_has_claimed_is_not_sent_until_that_claim_ends(
    app: Flask, smtp_server: Any
) -> None:
    _queue(app, 2)
    _smtp(app, smtp_server)
    with app.app_context():
        # Another run (on another server) claimed the oldest email and is sending it.
        claimed = outbox.claim_due(1, utcnow() + timedelta(minutes=outbox.CLAIM_MINUTES))
        assert len(claimed) == 1
        assert outbox.deliver_pending().sent == 1
        assert _subjects(smtp_server) == Counter({"Email number 1": 1})
        # That run died without a word: once its claim is over, the email is sent by the next run.
        with time_machine.travel(utcnow() + timedelta(minutes=outbox.CLAIM_MINUTES, seconds=1)):
            assert outbox.deliver_pending().sent == 1
        assert _subjects(smtp_server) == Counter({"Email number 0": 1, "Email number 1": 1})


def test_a_run_that_cannot_reach_the_mail_server_gives_its_emails_back_at_once(
    app: Flask, smtp_server: Any
) -> None:
    _queue(app, 3)
    port = smtp_server.server_address[1]
    smtp_server.shutdown()
    smtp_server.server_close()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))
    with app.app_context():
        with pytest.raises(OSError):
            outbox.deliver_pending()
        emails = db.session.scalars(select(OutboxEmail)).all()
        # Not held by a run that is over, not counted as attempts: due for the very next run.
        assert [(email.attempts, email.next_attempt_at) for email in emails] == [(0, None)] * 3


def test_a_run_stops_sending_before_its_claim_ends_and_gives_back_the_rest(
    app: Flask, smtp_server: Any
) -> None:
    _queue(app, 3)
    _smtp(app, smtp_server)
    with app.app_context(), time_machine.travel(utcnow(), tick=False) as clock:
        # Each email takes the mail server most of the way to the end of the run's claim.
        smtp_server.on_accept = lambda: clock.shift(
            timedelta(minutes=outbox.CLAIM_MINUTES - outbox.STOP_SENDING_BEFORE_CLAIM_ENDS)
        )
        delivery = outbox.deliver_pending()
        assert (delivery.sent, delivery.waiting) == (1, 2)
        waiting = db.session.scalars(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).all()
        assert [(email.attempts, email.next_attempt_at) for email in waiting] == [(0, None)] * 2
        assert outbox.deliver_pending().sent == 1  # the next run takes them (one, then it stops again)
    assert len(smtp_server.messages) == 2
