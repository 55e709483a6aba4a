"""The outbox tries a refused email again after a growing wait (1, 5, 30 and 120 minutes), and after
its 5th failure stops and shows it, to its provider's admin, as not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from interests.services import outbox
from tests import factories
from tests.pages import soup, text

QUEUED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _deliver_at(moment: datetime) -> outbox.Delivery:
    with time_machine.travel(moment, tick=False):
        return outbox.deliver_pending()


def test_a_refused_email_is_tried_again_after_growing_waits_then_failed_for_good(
    app: Flask, client: FlaskClient, unreliable_smtp: Any
) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Riverside Hospital NHS Trust", slug="riverside")
        factories.make_account("provider_admin", providers=[provider], email="lead@riverside.example")
        with time_machine.travel(QUEUED_AT, tick=False):
            outbox.send_email(
                kind="test",
                to="gone@example.org",
                subject="Your register",
                body="Hello",
                provider_id=provider.id,
            )
            db.session.commit()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(unreliable_smtp.server_address[1]))
        unreliable_smtp.refused.add("gone@example.org")

        tried_at = [QUEUED_AT]
        assert _deliver_at(QUEUED_AT).failed == 1
        for wait in outbox.RETRY_AFTER_MINUTES:
            due = tried_at[-1] + timedelta(minutes=wait)
            assert _deliver_at(due - timedelta(seconds=1)).failed == 0  # still waiting its turn
            assert _deliver_at(due).failed == 1
            tried_at.append(due)
        email = db.session.scalar(select(OutboxEmail))
        assert email.attempts == outbox.MAX_ATTEMPTS == 5
        assert email.sent_at is None and email.next_attempt_at is None
        assert "no such mailbox" in email.last_error
        # Failed for good: never tried again, even once the address works.
        unreliable_smtp.refused.clear()
        assert _deliver_at(tried_at[-1] + timedelta(days=7)).sent == 0
        assert unreliable_smtp.messages == []
        email_id = email.id

    app.config.pop("MAIL_SERVER")  # the outbox pages are shown where no mail server is configured
    assert factories.sign_in(client, "lead@riverside.example").status_code == 302
    listing = soup(client.get("/manage/outbox"))
    assert [text(cell) for cell in listing.select("#emails .app-email-status")] == [
        "Failed: not sent after 5 attempts"
    ]
    page = soup(client.get(f"/manage/outbox/{email_id}"))
    warning = text(page.select_one("#email-failed"))
    assert "This email was not sent" in warning and "no such mailbox" in warning


def test_a_waiting_email_says_it_is_waiting_and_one_that_failed_once_says_it_will_be_tried_again(
    app_ctx: Flask,
) -> None:
    waiting = OutboxEmail(kind="t", to_address="a@example.org", subject="s", body="b", attempts=0)
    retrying = OutboxEmail(kind="t", to_address="a@example.org", subject="s", body="b", attempts=2)
    assert outbox.delivery_status(waiting) == "Waiting"
    assert outbox.delivery_status(retrying) == "Failed 2 times: trying again"
