"""Email goes through one outbox.

`send_email(...)` writes an OutboxEmail in the caller's transaction, so an email exists if and
only if the change that caused it was committed. `deliver_pending()` sends what is waiting by
SMTP when MAIL_SERVER is configured (the worker runs it every minute: interests/tasks.py; by hand,
`flask --app interests outbox deliver`); without MAIL_SERVER nothing is sent and the emails stay
viewable by admins at /manage/outbox (development), so nothing is lost. An email the server refuses
is tried again after a back-off (RETRY_AFTER_MINUTES), and after MAX_ATTEMPTS failures it is
failed for good: /manage/outbox shows it as not sent. Runs at once never send an email twice: each
claims its emails in the database first (`deliver_pending`).

A one-time sign-in link (an invitation) is kept in an email's stored body only until the email
is sent: the same commit that marks it sent replaces the link with ONE_TIME_LINK_REMOVED, so the
outbox table is not a store of working sign-in links. An email that fails keeps its link for the
next attempt; unsent emails in development keep theirs (that is how a developer follows one).

Settings (app config, else environment): MAIL_SERVER, MAIL_PORT (25), MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS ("1" for STARTTLS), MAIL_FROM. Links in emails are built on the app's
BASE_URL setting (interests/config.py), from the web and the command line alike.
"""

from __future__ import annotations

import json
import logging
import os
import re
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, update

from interests.extensions import db
from interests.models import OutboxEmail, utcnow
from interests.services.paging import Page, page_of
from interests.unit_of_work import transaction

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # after this many failed SMTP attempts an email waits for a person to look
# Back-off between attempts (minutes after the 1st, 2nd, 3rd and 4th failure): a mail server that is
# down for a few minutes, or for an afternoon, gets its emails once it is back, and one that refuses
# an address for good is not asked every minute by the worker. After the 5th failure: failed for good.
RETRY_AFTER_MINUTES = (1, 5, 30, 120)
# A delivery run's hold on the emails it claimed (deliver_pending): far longer than sending its
# `limit` of them takes (500 in well under a minute to a working server). It stops sending while
# STOP_SENDING_BEFORE_CLAIM_ENDS are left, longer than one slow exchange with the mail server
# (each step of it may wait 30 seconds), so its last email is settled before anyone else may take it.
CLAIM_MINUTES = 15
STOP_SENDING_BEFORE_CLAIM_ENDS = 5  # minutes
DEFAULT_FROM = "register@localhost"
ONE_TIME_LINK_REMOVED = "[one-time link removed after sending]"
# Headers an email may carry besides From, To and Subject (RFC 8058 one-click unsubscribe): any
# other name stored on an email is never sent.
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")
# Pages whose address is itself a key (to an account, to a new password, or to an address being
# confirmed for a patient's question or for email alerts);
# their links leave an email's stored copy once sent.
ONE_TIME_LINK_ENDPOINTS = (
    "invitations.accept",
    "questions.confirm",
    "password_reset.choose_password",
    "alerts.confirm",
)


def setting(name: str, default: str | None = None) -> str | None:
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name, default)
    return None if value is None else str(value)


def smtp_configured() -> bool:
    return bool(setting("MAIL_SERVER"))


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full address for an email, always on BASE_URL.

    Never from the request: its Host (or a forwarded host) is whatever the client sent, and a
    link built from it would send a one-time sign-in token to someone else's server.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send_email(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    provider_id: int | None = None,
    professional_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Queue an email in the current transaction (committed, or rolled back, with the caller's change).

    `headers`: extra headers, only those named in EXTRA_HEADERS, one line each."""
    for name, value in (headers or {}).items():
        if name not in EXTRA_HEADERS or "\n" in value or "\r" in value:
            raise ValueError(f"An email cannot carry the header {name!r}")
    email = OutboxEmail(
        headers=json.dumps(headers) if headers else None,
        kind=kind,
        to_address=to,
        subject=subject[:300],
        body=body,
        provider_id=provider_id,
        professional_id=professional_id,
    )
    db.session.add(email)
    log_for_developers(to, subject, body)
    return email


def _logged_for_developers() -> bool:
    """Queued emails go to the log only where nothing sends them: development without MAIL_SERVER."""
    return current_app.config.get("INTERESTS_ENV") != "production" and not smtp_configured()


def log_for_developers(to: str, subject: str, body: str, *, brief: bool = False) -> None:
    """Outside production, write a queued email to the server's log (INFO), so a person trying the
    app can follow its links without a mail server. `brief` (emails queued in bulk): one line each,
    with only the body's links. Production never logs emails (their bodies hold one-time links), nor
    does any server that sends them by SMTP (a staging server: the person gets the email itself)."""
    if not _logged_for_developers():
        return
    if brief:
        links = " ".join(re.findall(r"https?://\S+", body)) or "no links"
        logger.info("Email queued to %s: %s (%s)", to, subject, links)
    else:
        logger.info("Email queued to %s: %s\n%s", to, subject, body)


# Emails queued in one go (a staff import's invitations) that are logged one line each; the rest are
# counted in one line. Logging every one of 40,000 took 3-4.5 s of a 50,000-line import (issue 13),
# and each stays in /manage/outbox with its link until it is sent.
LOGGED_ONE_BY_ONE = 20


def log_queued_for_developers(emails: Sequence[Mapping[str, object]]) -> None:
    """``log_for_developers`` (brief) for emails queued in bulk: the first LOGGED_ONE_BY_ONE, then
    how many more there are."""
    if not _logged_for_developers():
        return
    for email in emails[:LOGGED_ONE_BY_ONE]:
        log_for_developers(str(email["to_address"]), str(email["subject"]), str(email["body"]), brief=True)
    if len(emails) > LOGGED_ONE_BY_ONE:
        logger.info(
            "%s more emails queued: /manage/outbox lists them with their links until they are sent",
            f"{len(emails) - LOGGED_ONE_BY_ONE:,}",
        )


def without_one_time_links(body: str) -> str:
    """The body with every one-time sign-in link (any host, any token) replaced by a note.

    The links' fixed start ("/invitations/") comes from the URL map, so it follows the route.
    """
    starts = [
        rule.rule.split("<", 1)[0]
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint in ONE_TIME_LINK_ENDPOINTS
    ]
    starts = [start for start in starts if start in body]
    if not starts:
        return body
    # Matches start only where a word starts, so a long run without spaces is read once, not once
    # per character (a patient's question quoted in an email is anyone's text).
    pattern = "|".join(re.escape(start) for start in starts)
    return re.sub(r"(?<!\S)\S*?(?:" + pattern + r")\S+", ONE_TIME_LINK_REMOVED, body)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def deliver_pending(limit: int = 500) -> Delivery:
    """Send up to `limit` unsent emails by SMTP (one connection), keeping each outcome as soon as it is known.

    An email the server refuses is counted (attempts, last_error) and tried again next time; if
    the connection itself fails, that email is counted and the rest wait for the next run. An
    email is marked sent (and its one-time link removed) only after the server accepted it.

    No email is sent twice by two runs at once (the worker's every-minute job, `flask outbox
    deliver` by hand, several workers on the national path, on one machine or several): a run
    first *claims* the emails it will send, in the database, and commits the claim before it
    opens the SMTP connection (`claim_due`). A lock in the task queue would not do: the command
    line does not hold it, and it is one machine's (SQLite) or one Redis's; the database is the
    one thing every run shares. A run stops sending once less than STOP_SENDING_BEFORE_CLAIM_ENDS
    of its claim is left (so another run cannot take an email it is still sending), and gives
    back what it did not send (`release`), also when it fails; a run killed outright leaves its
    emails claimed for CLAIM_MINUTES, then any run sends them.
    """
    if not smtp_configured():
        waiting = db.session.scalar(select(func.count()).where(OutboxEmail.sent_at.is_(None))) or 0
        return Delivery(sent=0, failed=0, waiting=int(waiting))
    claimed_until = utcnow() + timedelta(minutes=CLAIM_MINUTES)
    ids = claim_due(limit, claimed_until)
    sent = failed = 0
    try:
        if ids:
            sent, failed = _send(ids, claimed_until)
    finally:
        release(ids, claimed_until)
    waiting = db.session.scalar(select(func.count()).where(OutboxEmail.sent_at.is_(None))) or 0
    return Delivery(sent=sent, failed=failed, waiting=int(waiting))


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """An email a run may send now: not sent, not failed for good, its back-off (or another
    run's claim) over."""
    return (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.attempts < MAX_ATTEMPTS,
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
    )


def claim_due(limit: int, claimed_until: datetime) -> list[int]:
    """Claim up to `limit` due emails, oldest first, for one run, and commit the claim: their
    `next_attempt_at` becomes `claimed_until`, so no other run finds them due before then.

    One UPDATE, whose WHERE says again that each row is due: two runs at once never both change
    a row. On PostgreSQL the second skips the rows the first has locked (`FOR UPDATE SKIP
    LOCKED`) and takes the next emails instead of waiting; SQLite has one writer at a time, so
    the second UPDATE runs after the first is committed. The emails are chosen in a MATERIALIZED
    CTE, read once: as a plain subquery PostgreSQL may run it again for each row it updates,
    and each time (finding the rows it just claimed no longer due) pick the next ones, claiming
    far more than `limit`.
    """
    now = utcnow()
    chosen = (
        select(OutboxEmail.id)
        .where(*_due(now))
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite has no row locks
        .cte("chosen")
        .prefix_with("MATERIALIZED")
    )
    with transaction():
        ids = db.session.scalars(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(select(chosen.c.id)), *_due(now))
            .values(next_attempt_at=claimed_until)
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session=False)
        ).all()
    return list(ids)


def release(ids: Sequence[int], claimed_until: datetime) -> None:
    """Give back a run's claimed emails that it did not send or try: due again at once."""
    if not ids:
        return
    with transaction():
        db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id.in_(list(ids)),
                OutboxEmail.sent_at.is_(None),
                OutboxEmail.next_attempt_at == claimed_until,
            )
            .values(next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )


def _send(ids: Sequence[int], claimed_until: datetime) -> tuple[int, int]:
    """Send the claimed emails in the order they were queued: (sent, failed)."""
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.id.in_(list(ids)))
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
        .execution_options(populate_existing=True)
    ).all()
    sent = failed = 0
    stop_at = claimed_until - timedelta(minutes=STOP_SENDING_BEFORE_CLAIM_ENDS)
    sender = setting("MAIL_FROM", DEFAULT_FROM) or DEFAULT_FROM
    server = smtplib.SMTP(setting("MAIL_SERVER") or "", int(setting("MAIL_PORT", "25") or 25), timeout=30)
    try:
        if setting("MAIL_USE_TLS", "0") in ("1", "true", "True", "yes"):
            server.starttls()
        username = setting("MAIL_USERNAME")
        if username:
            server.login(username, setting("MAIL_PASSWORD", "") or "")
        for email in emails:
            if utcnow() >= stop_at:
                break  # the rest are given back, for the next run
            with transaction():  # each email's outcome is kept as soon as it is known
                message = EmailMessage()
                message["From"] = sender
                message["To"] = email.to_address
                message["Subject"] = email.subject
                message.set_content(email.body)
                for name, value in extra_headers(email).items():
                    message[name] = value
                email.attempts += 1
                connection_lost = False
                try:
                    server.send_message(message)
                except smtplib.SMTPException as exc:  # refused: note why and go on to the next email
                    email.last_error = str(exc)[:1000]
                    failed += 1
                    connection_lost = isinstance(exc, smtplib.SMTPServerDisconnected)
                except OSError as exc:  # timeout, reset: every later email would fail the same way
                    email.last_error = (str(exc) or type(exc).__name__)[:1000]
                    failed += 1
                    connection_lost = True
                else:
                    email.sent_at = utcnow()
                    email.last_error = None
                    email.next_attempt_at = None
                    email.body = without_one_time_links(email.body)
                    sent += 1
                if email.sent_at is None:
                    email.next_attempt_at = next_attempt_after(email.attempts, utcnow())
            if connection_lost:
                break
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()
    return sent, failed


def extra_headers(email: OutboxEmail) -> dict[str, str]:
    """The email's stored extra headers, those allowed only."""
    if not email.headers:
        return {}
    stored = json.loads(email.headers)
    return {name: str(stored[name]) for name in EXTRA_HEADERS if name in stored}


def next_attempt_after(attempts: int, failed_at: datetime) -> datetime | None:
    """When an email that has failed `attempts` times is tried again; None once it has failed for good."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return failed_at + timedelta(minutes=RETRY_AFTER_MINUTES[min(attempts, len(RETRY_AFTER_MINUTES)) - 1])


def failed_for_good(email: OutboxEmail) -> bool:
    """Every attempt failed: it will not be sent unless a person looks into it."""
    return email.sent_at is None and email.attempts >= MAX_ATTEMPTS


def delivery_status(email: OutboxEmail) -> str:
    """What an admin reads about an email: sent, waiting, being retried, or failed for good."""
    if email.sent_at is not None:
        return "Sent"
    if failed_for_good(email):
        return f"Failed: not sent after {email.attempts} attempts"
    if email.attempts:
        return f"Failed {email.attempts} {'time' if email.attempts == 1 else 'times'}: trying again"
    return "Waiting"


def outbox_page(provider_ids: list[int] | None, page: int, per_page: int) -> Page:
    """Emails newest first; `provider_ids` None means every email (system admin)."""
    statement = select(OutboxEmail)
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))
    return page_of(statement.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc()), page, per_page)


def email_for(provider_ids: list[int] | None, email_id: int) -> OutboxEmail | None:
    statement = select(OutboxEmail).where(OutboxEmail.id == email_id)
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))
    return db.session.scalar(statement)
