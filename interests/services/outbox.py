"""Email goes through one outbox.

`send_email(...)` writes an OutboxEmail in the caller's transaction, so an email exists if and
only if the change that caused it was committed. `deliver_pending()` sends what is waiting by
SMTP when MAIL_SERVER is configured (`flask --app interests outbox deliver`, run after
`reminders send` and from cron); without MAIL_SERVER nothing is sent and the emails stay
viewable by admins at /manage/outbox (development), so nothing is lost.

Settings (app config, else environment): MAIL_SERVER, MAIL_PORT (25), MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS ("1" for STARTTLS), MAIL_FROM, BASE_URL (links in emails sent from
the command line, default http://localhost:5000).
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import OutboxEmail, utcnow
from interests.services.paging import Page

MAX_ATTEMPTS = 5  # after this many failed SMTP attempts an email waits for a person to look
DEFAULT_FROM = "register@localhost"


def setting(name: str, default: str | None = None) -> str | None:
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name, default)
    return None if value is None else str(value)


def smtp_configured() -> bool:
    return bool(setting("MAIL_SERVER"))


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full address for an email: the request's host, or BASE_URL from the command line."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = (setting("BASE_URL", "http://localhost:5000") or "").rstrip("/")
    with current_app.test_request_context(base_url=base + "/"):
        return url_for(endpoint, _external=True, **values)


def send_email(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    provider_id: int | None = None,
    professional_id: int | None = None,
) -> OutboxEmail:
    """Queue an email in the current transaction (committed, or rolled back, with the caller's change)."""
    email = OutboxEmail(
        kind=kind,
        to_address=to,
        subject=subject[:300],
        body=body,
        provider_id=provider_id,
        professional_id=professional_id,
    )
    db.session.add(email)
    return email


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def deliver_pending(limit: int = 500) -> Delivery:
    """Send up to `limit` unsent emails by SMTP (one connection), committing as each is sent."""
    if not smtp_configured():
        waiting = db.session.scalar(select(func.count()).where(OutboxEmail.sent_at.is_(None))) or 0
        return Delivery(sent=0, failed=0, waiting=int(waiting))
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    if emails:
        sender = setting("MAIL_FROM", DEFAULT_FROM) or DEFAULT_FROM
        server = smtplib.SMTP(setting("MAIL_SERVER") or "", int(setting("MAIL_PORT", "25") or 25), timeout=30)
        try:
            if setting("MAIL_USE_TLS", "0") in ("1", "true", "True", "yes"):
                server.starttls()
            username = setting("MAIL_USERNAME")
            if username:
                server.login(username, setting("MAIL_PASSWORD", "") or "")
            for email in emails:
                message = EmailMessage()
                message["From"] = sender
                message["To"] = email.to_address
                message["Subject"] = email.subject
                message.set_content(email.body)
                email.attempts += 1
                try:
                    server.send_message(message)
                except smtplib.SMTPException as exc:
                    email.last_error = str(exc)[:1000]
                    failed += 1
                else:
                    email.sent_at = utcnow()
                    email.last_error = None
                    sent += 1
                db.session.commit()
        finally:
            try:
                server.quit()
            except smtplib.SMTPException:
                server.close()
    waiting = db.session.scalar(select(func.count()).where(OutboxEmail.sent_at.is_(None))) or 0
    return Delivery(sent=sent, failed=failed, waiting=int(waiting))


def outbox_page(provider_ids: list[int] | None, page: int, per_page: int) -> Page:
    """Emails newest first; `provider_ids` None means every email (system admin)."""
    statement = select(OutboxEmail)
    counting = select(func.count()).select_from(OutboxEmail)
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))
        counting = counting.where(OutboxEmail.provider_id.in_(provider_ids))
    total = int(db.session.scalar(counting) or 0)
    items = db.session.scalars(
        statement.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def email_for(provider_ids: list[int] | None, email_id: int) -> OutboxEmail | None:
    statement = select(OutboxEmail).where(OutboxEmail.id == email_id)
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))
    return db.session.scalar(statement)
