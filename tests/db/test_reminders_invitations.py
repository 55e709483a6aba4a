"""Reminders (once per person per window, safe to run daily), invitations (one-time links) and the
email outbox (stored, or sent by SMTP when configured)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select

from interests import clock
from interests.extensions import db
from interests.models import Account, Engagement, Invitation, OutboxEmail, Reminder
from interests.services import invitations, outbox, reminders
from tests import factories


def reminder_emails() -> list[OutboxEmail]:
    return list(
        db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder").order_by(OutboxEmail.id))
    )


@pytest.fixture
def staff(app_ctx: Flask) -> dict[str, Any]:
    today = date(2026, 11, 23)
    provider = factories.make_provider(name="Riverside")
    other = factories.make_provider(name="Hillside")
    missing = factories.make_professional()
    overdue = factories.make_professional()
    declared = factories.make_professional()
    no_email = factories.make_professional()
    # Each provider's own record of the address (no account yet: reminders go there).
    factories.make_engagement(
        missing, provider, start_date=today - timedelta(days=100), email="missing@example.org"
    )
    factories.make_engagement(
        missing, other, start_date=today - timedelta(days=100), email="missing@example.org"
    )
    factories.make_engagement(
        overdue, provider, start_date=today - timedelta(days=900), email="overdue@example.org"
    )
    factories.make_declaration(overdue, provider, declared_on=today - timedelta(days=500))
    factories.make_engagement(
        declared, provider, start_date=today - timedelta(days=900), email="declared@example.org"
    )
    factories.make_declaration(declared, provider, declared_on=today - timedelta(days=30))
    factories.make_engagement(no_email, provider, start_date=today - timedelta(days=100))
    db.session.commit()
    return {"today": today, "provider": provider}


def test_reminders_go_to_everyone_due_or_overdue_at_every_provider(staff: dict[str, Any]) -> None:
    result = reminders.send_reminders(staff["today"])
    assert (result.sent, result.no_email) == (3, 1)
    addresses = sorted(e.to_address for e in reminder_emails())
    assert addresses == ["missing@example.org", "missing@example.org", "overdue@example.org"]
    assert "overdue" in next(e.body for e in reminder_emails() if e.to_address == "overdue@example.org")


@pytest.mark.alldb
def test_reminders_twice_in_a_window_send_nothing_more(staff: dict[str, Any]) -> None:
    reminders.send_reminders(staff["today"])
    again = reminders.send_reminders(staff["today"])
    later = reminders.send_reminders(staff["today"] + timedelta(days=1))
    assert again.sent == 0 and later.sent == 0 and again.already_reminded == 3
    assert len(reminder_emails()) == 3
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 3


def test_reminders_come_again_in_the_next_window(staff: dict[str, Any]) -> None:
    reminders.send_reminders(staff["today"])
    # Sent "today" in real time, so the window check is by key: 28 days on is a new window.
    next_window = reminders.send_reminders(staff["today"] + timedelta(days=reminders.REMINDER_INTERVAL_DAYS))
    assert next_window.sent == 3


def test_window_key_changes_every_28_days_from_the_due_date() -> None:
    due = date(2026, 1, 1)
    assert reminders.window_key(due, date(2026, 1, 1)) == reminders.window_key(due, date(2026, 1, 28))
    assert reminders.window_key(due, date(2026, 1, 28)) != reminders.window_key(due, date(2026, 1, 29))
    assert reminders.window_key(due, date(2025, 12, 31)) != reminders.window_key(due, date(2026, 1, 1))


def test_reminders_send_command_is_safe_to_repeat(app: Flask, staff: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "send", "--today", staff["today"].isoformat()])
    second = runner.invoke(args=["reminders", "send", "--today", staff["today"].isoformat()])
    assert first.exit_code == 0 and "3 queued" in first.output
    assert "0 queued" in second.output and "3 already reminded" in second.output


def test_staff_page_shows_when_each_person_was_last_reminded(app: Flask, staff: dict[str, Any]) -> None:
    reminders.send_reminders(date.today())
    admin = factories.make_account("provider_admin", providers=[staff["provider"]])
    db.session.commit()
    client = app.test_client()
    factories.sign_in(client, admin.email)
    page = BeautifulSoup(
        client.get(f"/manage/{staff['provider'].slug}/staff").get_data(as_text=True), "html.parser"
    )
    reminded = [" ".join(td.get_text().split()) for td in page.select("#staff tbody tr td:nth-of-type(5)")]
    assert sum("Last reminded" in r and "Not yet" not in r and "No email" not in r for r in reminded) >= 1
    assert any("No email address" in r for r in reminded)


# --- Invitations ------------------------------------------------------------------------------


@pytest.fixture
def invited(app_ctx: Flask) -> dict[str, Any]:
    provider = factories.make_provider()
    professional = factories.make_professional()
    engagement = factories.make_engagement(
        professional, provider, email="new.starter@example.org", confirmed_at=None
    )
    sent = invitations.ask_one(engagement, actor=None)
    db.session.commit()
    assert sent
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))
    link = next(word for word in email.body.split() if "/invitations/" in word)
    return {
        "professional_id": professional.id,
        "engagement_id": engagement.id,
        "path": link.split("localhost", 1)[1],
        "provider": provider,
    }


def test_invitation_token_is_stored_hashed(invited: dict[str, Any]) -> None:
    token = invited["path"].rsplit("/", 1)[1]
    stored = db.session.scalar(select(Invitation.token_hash))
    assert token not in stored and stored == invitations.token_hash(token)


@pytest.mark.alldb
def test_invitation_link_sets_password_signs_in_and_works_once(app: Flask, invited: dict[str, Any]) -> None:
    client = app.test_client()
    page = client.get(invited["path"])
    assert page.status_code == 200 and "new.starter@example.org" in page.get_data(as_text=True)
    mismatch = client.post(invited["path"], data={"password": "a long password here", "confirm": "different"})
    assert "The passwords do not match" in mismatch.get_data(as_text=True)
    short = client.post(invited["path"], data={"password": "short", "confirm": "short"})
    assert "Password must be 12 characters or more" in short.get_data(as_text=True)
    common = client.post(invited["path"], data={"password": "password12345", "confirm": "password12345"})
    assert "This password is too easy to guess: it is a common password" in common.get_data(as_text=True)
    own = client.post(
        invited["path"], data={"password": "new.starter@example.org", "confirm": "new.starter@example.org"}
    )
    assert "it contains your name or email address" in own.get_data(as_text=True)
    done = client.post(
        invited["path"], data={"password": "a long password here", "confirm": "a long password here"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/declare"
    assert client.get("/declare").status_code == 200  # signed in as the professional
    account = db.session.scalar(select(Account).where(Account.professional_id == invited["professional_id"]))
    assert account is not None and account.role == "professional"
    assert account.email == "new.starter@example.org"
    # The link proved the address this provider recorded: its engagement is confirmed.
    assert db.session.get(Engagement, invited["engagement_id"]).confirmed_at is not None
    assert app.test_client().get(invited["path"]).status_code == 404  # used once


def test_expired_or_unknown_invitation_link_does_not_work(app: Flask, invited: dict[str, Any]) -> None:
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = invitation.created_at - timedelta(seconds=1)
    db.session.commit()
    client = app.test_client()
    response = client.get(invited["path"])
    assert response.status_code == 404 and "This link does not work" in response.get_data(as_text=True)
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_professional_is_invited_only_once(invited: dict[str, Any]) -> None:
    engagement = db.session.get(Engagement, invited["engagement_id"])
    assert invitations.ask_one(engagement, actor=None) is False


# --- The outbox -------------------------------------------------------------------------------


def test_outbox_keeps_email_without_smtp(app_ctx: Flask) -> None:
    outbox.send_email(kind="test", to="a@example.org", subject="Hello", body="Body")
    db.session.commit()
    delivery = outbox.deliver_pending()
    assert (delivery.sent, delivery.waiting) == (0, 1)


def test_outbox_delivers_by_smtp_when_configured(app_ctx: Flask, smtp_server: Any) -> None:
    app_ctx.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_server.server_address[1]),
        MAIL_FROM="register@example.org",
    )
    outbox.send_email(kind="test", to="a@example.org", subject="Hello there", body="The body")
    db.session.commit()
    delivery = outbox.deliver_pending()
    assert (delivery.sent, delivery.waiting) == (1, 0)
    assert "Subject: Hello there" in smtp_server.messages[0] and "The body" in smtp_server.messages[0]
    assert db.session.scalar(select(OutboxEmail.sent_at)) is not None
    assert outbox.deliver_pending().sent == 0  # never sent twice


# --- One-time links leave the outbox once sent ----------------------------------------------


def _use_smtp(app: Flask, server: Any) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(server.server_address[1]))


def _invitation_email() -> OutboxEmail:
    return db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))


def test_invitation_link_is_removed_from_the_outbox_once_sent(
    app: Flask, invited: dict[str, Any], smtp_server: Any
) -> None:
    _use_smtp(app, smtp_server)
    token = invited["path"].rsplit("/", 1)[1]
    assert token in _invitation_email().body
    delivery = outbox.deliver_pending()
    assert (delivery.sent, delivery.waiting) == (1, 0)
    assert token in smtp_server.messages[0]  # the professional's copy has the link
    db.session.expire_all()
    stored = _invitation_email()
    assert stored.sent_at is not None
    assert token not in stored.body and "/invitations/" not in stored.body
    assert outbox.ONE_TIME_LINK_REMOVED in stored.body
    assert stored.body.startswith("Dear Alex") and "If you were not expecting this email" in stored.body
    assert app.test_client().get(invited["path"]).status_code == 200  # the emailed link still works


def test_invitation_link_stays_in_the_outbox_without_smtp(invited: dict[str, Any]) -> None:
    delivery = outbox.deliver_pending()
    assert (delivery.sent, delivery.waiting) == (0, 1)
    db.session.expire_all()
    assert invited["path"] in _invitation_email().body  # a developer follows it from /manage/outbox


def test_refused_invitation_keeps_its_link_until_it_is_sent(
    app: Flask, invited: dict[str, Any], unreliable_smtp: Any
) -> None:
    _use_smtp(app, unreliable_smtp)
    outbox.send_email(kind="test", to="other@example.org", subject="Hello", body="The body")
    db.session.commit()
    unreliable_smtp.refused.add("new.starter@example.org")
    first = outbox.deliver_pending()
    assert (first.sent, first.failed, first.waiting) == (1, 1, 1)
    db.session.expire_all()
    refused = _invitation_email()
    assert refused.sent_at is None and refused.attempts == 1 and "no such mailbox" in refused.last_error
    assert invited["path"] in refused.body
    unreliable_smtp.refused.clear()
    assert outbox.deliver_pending().sent == 0  # not tried again at once: it waits its back-off
    with time_machine.travel(clock.now() + timedelta(minutes=outbox.RETRY_AFTER_MINUTES[0])):
        second = outbox.deliver_pending()
    assert (second.sent, second.failed, second.waiting) == (1, 0, 0)
    db.session.expire_all()
    assert invited["path"] not in _invitation_email().body
    assert invited["path"] in unreliable_smtp.messages[-1]


def test_lost_smtp_connection_leaves_every_email_waiting_with_its_link(
    app: Flask, invited: dict[str, Any], unreliable_smtp: Any
) -> None:
    _use_smtp(app, unreliable_smtp)
    outbox.send_email(kind="test", to="other@example.org", subject="Hello", body="The body")
    db.session.commit()
    unreliable_smtp.hang_up = True
    lost = outbox.deliver_pending()
    assert (lost.sent, lost.failed, lost.waiting) == (0, 1, 2)
    db.session.expire_all()
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [(e.kind, e.attempts, e.sent_at) for e in emails] == [("invitation", 1, None), ("test", 0, None)]
    assert emails[0].last_error and invited["path"] in emails[0].body
    unreliable_smtp.hang_up = False
    with time_machine.travel(clock.now() + timedelta(minutes=outbox.RETRY_AFTER_MINUTES[0])):
        again = outbox.deliver_pending()
    assert (again.sent, again.failed, again.waiting) == (2, 0, 0)
    db.session.expire_all()
    assert invited["path"] not in _invitation_email().body


def test_one_time_links_are_removed_whatever_the_host_and_nothing_else_is(app_ctx: Flask) -> None:
    body = (
        "Use this link:\n\nhttps://register.example.nhs.uk/interests/invitations/Ab-_9xYz\n\n"
        "(or http://localhost:5000/invitations/Q1w2E3r4.) Your register: https://register.example.nhs.uk/declare\n"
    )
    assert outbox.without_one_time_links(body) == (
        f"Use this link:\n\n{outbox.ONE_TIME_LINK_REMOVED}\n\n"
        f"(or {outbox.ONE_TIME_LINK_REMOVED} Your register: https://register.example.nhs.uk/declare\n"
    )
    hostile = "x" * 200_000 + " nothing to remove"
    assert outbox.without_one_time_links(hostile) == hostile
