"""Attacks on the outbox's claims through "Try again": an admin (of the provider, or of the service)
asking again for an email a crashed delivery run still holds, or for one already sent, must never
get it sent twice. tests/db/test_outbox_claims.py holds two runs at once. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, OutboxEmail
from interests.services import outbox, undelivered
from tests import factories

pytestmark = pytest.mark.alldb

QUEUED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TO = "sam.work@northgate.example"


def _refused_four_times(app: Flask, smtp: Any) -> tuple[int, datetime]:
    """Northgate's email, refused at four attempts: its id and when its last attempt is due."""
    with app.app_context():
        northgate = factories.make_provider(slug="northgate")
        with time_machine.travel(QUEUED_AT, tick=False):
            email = outbox.send_email(
                kind="invitation",
                to=TO,
                subject="Declare your interests",
                body="Hi",
                provider_id=northgate.id,
            )
            db.session.commit()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.server_address[1]))
        smtp.refused.add(TO)
        moment = QUEUED_AT
        for wait in (0, *outbox.RETRY_AFTER_MINUTES[:3]):
            moment += timedelta(minutes=wait)
            with time_machine.travel(moment, tick=False):
                outbox.deliver_pending()
        assert db.session.get(OutboxEmail, email.id).attempts == outbox.MAX_ATTEMPTS - 1
        smtp.refused.clear()
        return email.id, moment + timedelta(minutes=outbox.RETRY_AFTER_MINUTES[3])


def _try_again_refused(app: Flask, provider_ids: list[int] | None, email_id: int, words: str) -> None:
    with app.app_context():
        role = "system_admin" if provider_ids is None else "provider_admin"
        actor = factories.make_account(role)
        with pytest.raises(undelivered.TryAgainRefused, match=words):
            undelivered.try_again(provider_ids, email_id, actor=actor)
        db.session.rollback()
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "email.retried")
            )
            == 0
        )


def _sent(smtp: Any) -> int:
    return sum("Subject: Declare your interests" in message for message in smtp.messages)


def test_try_again_on_an_email_a_crashed_run_holds_is_refused_and_it_is_sent_once_later(
    app: Flask, second_server: Flask, unreliable_smtp: Any
) -> None:
    email_id, due = _refused_four_times(app, unreliable_smtp)
    second_server.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(unreliable_smtp.server_address[1]))
    with time_machine.travel(due, tick=False), app.app_context():
        # A run claims it for its last attempt, then dies without a word.
        assert outbox.claim_due(10, due + timedelta(minutes=outbox.CLAIM_MINUTES)) == [email_id]
        provider_id = db.session.get(OutboxEmail, email_id).provider_id
    for provider_ids in ([provider_id], None):  # its provider's admin, then a system admin
        with time_machine.travel(due + timedelta(minutes=1), tick=False):
            _try_again_refused(app, provider_ids, email_id, "still being tried")
    with time_machine.travel(due + timedelta(minutes=1), tick=False), app.app_context():
        assert outbox.deliver_pending().sent == 0  # still claimed
    after = due + timedelta(minutes=outbox.CLAIM_MINUTES, seconds=1)
    for server in (app, second_server, app):
        with time_machine.travel(after, tick=False), server.app_context():
            outbox.deliver_pending()
    assert _sent(unreliable_smtp) == 1
    # Sent: asking again is refused, and no later run sends it again.
    _try_again_refused(app, [provider_id], email_id, "has been sent")
    _try_again_refused(app, None, email_id, "has been sent")
    with time_machine.travel(after + timedelta(days=1), tick=False), app.app_context():
        outbox.deliver_pending()
    assert _sent(unreliable_smtp) == 1
