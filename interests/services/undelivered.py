"""Emails not delivered: what a provider's admin (and a system admin) is shown about emails the
mail server refused, in production as in development, and "Try again" for one failed for good.

What is shown, and what never is:
- never an email's body: it may hold a one-time sign-in link (`outbox.ONE_TIME_LINK_ENDPOINTS`);
- to a provider's admin, only emails queued for that provider (`provider_id`): an email to an
  account's own address is queued with no provider (see the reminders and the payments
  reminder), as are system emails (sign-in links, password resets), so none of those shows;
- to a provider's admin, the recipient's address only when it is the address the provider itself
  recorded for that person (an engagement's `email` at that provider); any other address (a
  patient's, who asked a question) is described, never shown, and the mail server's words have
  every address taken out;
- the last error as a person reads it: a plain-English reason and the server's words, one line,
  shortened, never a stack trace.

A system admin sees every undelivered email, with its address: they run the accounts, and the
system's own emails (sign-in links, password resets) are theirs to follow up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update

from interests.extensions import db
from interests.models import Account, Engagement, OutboxEmail, Professional, Provider
from interests.services import audit, security_log
from interests.services.outbox import MAX_ATTEMPTS
from interests.services.paging import Page, page_of

ERROR_SHOWN_CHARACTERS = 200  # of the mail server's reply: enough for its reason, never a dump
# "Try again", per account, for a provider's admin and a system admin alike: a person clicking,
# not a script looping over every email the service could not send.
TRY_AGAIN_RATE_LIMIT = "30 per minute;300 per day"

# What each kind of email is, in a reader's words (kinds not listed are shown by subject alone).
KIND_LABELS = {
    "invitation": "Invitation to confirm they work here",
    "confirm_engagement": "Request to confirm they work here",
    "reminder": "Reminder",
    "withholding_decision": "Decision on a request to withhold an entry",
    "question_confirm": "Patient's question: confirming their address",
    "question_reply": "Your reply to a patient's question",
    "password_reset": "Password reset",
    "password_changed": "Password changed",
    "account_locked": "Account locked",
    "identity_claim": "Claim to a registration number",
    "identity_claim_decided": "Decision on a claim to a registration number",
    "alert_confirm": "Email alerts: confirming an address",
    "alert_digest": "Email alerts: changes to a register",
}
PATIENT_KINDS = ("question_confirm", "question_reply")


def _not_delivered() -> tuple[ColumnElement[bool], ...]:
    """Refused at least once and not sent: being tried again, or failed for good."""
    return (OutboxEmail.sent_at.is_(None), OutboxEmail.attempts > 0)


@dataclass(frozen=True)
class NotDelivered:
    """One email that could not be sent, as an admin is shown it (never its body)."""

    id: int
    queued_at: datetime
    kind: str | None  # KIND_LABELS' words, None when the kind is not one people know
    subject: str
    address: str | None  # None: not shown (not an address the provider recorded)
    patient: bool  # to a patient who asked the provider a question
    person: str | None  # the staff member's name, when the email is about one
    engagement_id: int | None  # their staff record at the email's provider
    provider_slug: str | None
    provider_name: str | None
    attempts: int
    failed_for_good: bool
    next_attempt_at: datetime | None
    reason: str  # why it was not sent, in plain English
    server_said: str  # the mail server's words, addresses taken out, shortened


def _engagement_here() -> ColumnElement[int]:
    """The person's first engagement at the email's provider (their staff record there)."""
    return (
        select(func.min(Engagement.id))
        .where(
            Engagement.provider_id == OutboxEmail.provider_id,
            Engagement.professional_id == OutboxEmail.professional_id,
        )
        .correlate(OutboxEmail)
        .scalar_subquery()
    )


def _recorded_by_provider() -> ColumnElement[bool]:
    """The email went to an address its provider recorded for the person (an engagement's)."""
    return exists().where(
        Engagement.provider_id == OutboxEmail.provider_id,
        Engagement.professional_id == OutboxEmail.professional_id,
        func.lower(func.trim(Engagement.email)) == func.lower(func.trim(OutboxEmail.to_address)),
    )


def not_delivered_page(provider_ids: list[int] | None, page: int, per_page: int) -> Page:
    """The emails of these providers that could not be sent, newest first; `provider_ids` None:
    every email, with its address (a system admin)."""
    every = provider_ids is None
    statement = (
        select(
            OutboxEmail.id,
            OutboxEmail.created_at,
            OutboxEmail.kind,
            OutboxEmail.subject,
            OutboxEmail.to_address,
            _recorded_by_provider().label("recorded"),
            OutboxEmail.attempts,
            OutboxEmail.next_attempt_at,
            OutboxEmail.last_error,
            _engagement_here().label("engagement_id"),
            Professional.given_name,
            Professional.family_name,
            Provider.slug,
            Provider.name,
        )
        .outerjoin(Provider, Provider.id == OutboxEmail.provider_id)
        .outerjoin(Professional, Professional.id == OutboxEmail.professional_id)
        .where(*_not_delivered())
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    )
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))

    def shown(row: Any) -> NotDelivered:
        # Addresses out before the words are shortened: a cut must not leave the start of one.
        reason, server_said = why_not_sent(row.last_error if every else _without_addresses(row.last_error))
        # A person's name only where the provider has a staff record of them.
        named = row.given_name is not None and (every or row.engagement_id is not None)
        return NotDelivered(
            id=row.id,
            queued_at=row.created_at,
            kind=KIND_LABELS.get(row.kind),
            subject=row.subject,
            address=row.to_address if every or row.recorded else None,
            patient=row.kind in PATIENT_KINDS,
            person=f"{row.given_name} {row.family_name}" if named else None,
            engagement_id=row.engagement_id,
            provider_slug=row.slug,
            provider_name=row.name,
            attempts=row.attempts,
            failed_for_good=row.attempts >= MAX_ATTEMPTS,
            next_attempt_at=row.next_attempt_at,
            reason=reason,
            server_said=server_said,
        )

    return page_of(statement, page, per_page, each=shown)


def counts_by_provider(provider_ids: list[int]) -> dict[int, int]:
    """How many emails of each of these providers could not be sent (providers with none left out)."""
    if not provider_ids:
        return {}
    rows = db.session.execute(
        select(OutboxEmail.provider_id, func.count())
        .where(OutboxEmail.provider_id.in_(provider_ids), *_not_delivered())
        .group_by(OutboxEmail.provider_id)
    )
    return {int(provider_id): int(count) for provider_id, count in rows if provider_id is not None}


def count_all() -> int:
    """How many emails, of every provider and none, could not be sent (a system admin's count)."""
    return int(db.session.scalar(select(func.count()).where(*_not_delivered())) or 0)


def count_about(provider_id: int, professional_id: int) -> int:
    """How many emails to this person, of this provider, could not be sent (their staff record)."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                OutboxEmail.provider_id == provider_id,
                OutboxEmail.professional_id == professional_id,
                *_not_delivered(),
            )
        )
        or 0
    )


class TryAgainRefused(Exception):
    """The email cannot be tried again (sent meanwhile, or still being tried): say why."""


def try_again(provider_ids: list[int] | None, email_id: int, *, actor: Account) -> OutboxEmail | None:
    """Let the worker try a failed-for-good email again: its attempts start again from none.

    None when there is no such email of these providers (the view answers 404, saying nothing
    about other providers'). Only an email failed for good: one still being tried may be in a
    delivery run's hands right now (`outbox.claim_due`), and making it due again could let a
    second run send it too. Audited (a management event); a system admin's is also in the
    security log, with their other actions.
    """
    statement = select(OutboxEmail).where(OutboxEmail.id == email_id)
    if provider_ids is not None:
        statement = statement.where(OutboxEmail.provider_id.in_(provider_ids))
    email = db.session.scalar(statement)
    if email is None:
        return None
    reason, server_said = why_not_sent(_without_addresses(email.last_error))
    reset = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email.id,
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.attempts >= MAX_ATTEMPTS,
        )
        .values(attempts=0, next_attempt_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if reset.rowcount != 1:  # type: ignore[attr-defined]
        # Sent meanwhile, asked for already (a second click), or still in the worker's hands.
        db.session.refresh(email)
        if email.sent_at is not None:
            raise TryAgainRefused("This email has been sent")
        raise TryAgainRefused("This email is still being tried: there is no need to ask again yet")
    db.session.refresh(email)
    audit.record(
        "email.retried",
        email,
        actor=actor,
        provider_id=email.provider_id,
        professional_id=email.professional_id,
        summary=f"Asked to try again an email that could not be sent: {email.subject}",
        # As the page said it (no address: a provider's records may be read by its admins).
        data={"kind": email.kind, "why": reason, "server_said": server_said},
    )
    if actor.role == "system_admin":  # the security log's "System admin action"
        security_log.record(
            security_log.ADMIN_ACTION,
            account=actor,
            detail=f"Email {email.id}: asked to try sending it again",
        )
    return email


# --- The mail server's reply, as a person reads it ----------------------------------------------

_ADDRESS = re.compile(r"[^\s'\"<>(){}\[\],:;]+@[^\s'\"<>(){}\[\],:;]+")
_REPLY_CODE = re.compile(r"\(?\b([245]\d\d)\b,?\s*(?:b?['\"](.*?)['\"])?\)?", re.DOTALL)


def without_addresses(words: str) -> str:
    return _ADDRESS.sub("[address]", words)


def _without_addresses(last_error: str | None) -> str | None:
    return None if last_error is None else without_addresses(last_error)


def why_not_sent(last_error: str | None) -> tuple[str, str]:
    """(why, in plain English; the server's words, one line, shortened) from an email's last error.

    The error is what `deliver_pending` kept: `str()` of smtplib's exception, such as
    "{'a@b.org': (550, b'5.1.1 no such mailbox')}", or a network error ("timed out")."""
    words = " ".join((last_error or "").split())
    found = _REPLY_CODE.search(words)
    code = int(found.group(1)) if found else None
    if found and found.group(2):
        words = found.group(2).replace("\\r\\n", " ").replace("\\n", " ")
        words = f"{code} {' '.join(words.split())}"
    if len(words) > ERROR_SHOWN_CHARACTERS:
        words = words[: ERROR_SHOWN_CHARACTERS - 1].rstrip() + "…"
    lowered = (last_error or "").lower()
    if code is not None and code >= 500:
        if code == 552:
            reason = "the recipient's mailbox is full, or the email was too big"
        elif code in (550, 551, 553) or "mailbox" in lowered or "user unknown" in lowered:
            reason = "the recipient's mail server refused the address"
        else:
            reason = "the recipient's mail server refused it"
    elif code is not None and code >= 400:
        reason = "the mail server was busy and asked us to try later"
    elif "disconnect" in lowered or "closed" in lowered:
        reason = "the mail server hung up"
    elif last_error:
        reason = "we could not reach the mail server"
    else:
        reason = "the mail server did not say why"
    return reason, words
