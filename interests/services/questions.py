"""Patients' questions about a provider's register, and the provider's replies.

A reply is emailed only to an address its asker has confirmed: asking with an address sends one
email to it, with a link that works once, for CONFIRM_VALID_DAYS. The question reaches the provider
either way. A reply recorded before the address is confirmed is emailed when it is confirmed: the
asker gave the address to get a reply, and there is nowhere else they could read it.

How many questions can be asked is limited per address and per client (a keyed hash of the IP
address), counted in the database so the limit holds across every server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select, update

from interests.extensions import db
from interests.models import Account, InvalidRecord, PatientQuestion, Provider, utcnow
from interests.services import audit
from interests.services.outbox import absolute_url, send_email
from interests.services.paging import Page, page_of

# Days a confirmation link works: long enough to find the email after a few days away, short
# enough that a link found later in someone's mailbox is of little use.
CONFIRM_VALID_DAYS = 7
# A day's questions (rolling 24 hours, across all providers). A patient rarely needs more than one
# or two; more from one address, or one client, looks like a script or like mail aimed at a stranger.
QUESTIONS_PER_ADDRESS_PER_DAY = 3
QUESTIONS_PER_CLIENT_PER_DAY = 5  # a little higher: a household or a library shares one IP address
LIMIT_WINDOW = timedelta(hours=24)


def public_provider(slug: str) -> Provider | None:
    return db.session.scalar(select(Provider).where(Provider.slug == slug))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_key(ip_address: str) -> str:
    """A keyed hash of a client's IP address: enough to count its questions, useless to find it."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, b"patient-question-client:" + ip_address.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class OverLimit:
    """The asker has reached a daily limit: `asked` questions in the last day."""

    asked: int
    per: str  # "address" or "client"


def over_limit(email: str | None, ip_address: str) -> OverLimit | None:
    """Whether one more question from this address or client would pass a daily limit."""
    since = utcnow() - LIMIT_WINDOW
    recent = select(func.count()).select_from(PatientQuestion).where(PatientQuestion.asked_at > since)
    if email:
        by_address = int(
            db.session.scalar(recent.where(func.lower(PatientQuestion.email) == email.lower())) or 0
        )
        if by_address >= QUESTIONS_PER_ADDRESS_PER_DAY:
            return OverLimit(asked=by_address, per="address")
    by_client = int(
        db.session.scalar(recent.where(PatientQuestion.client_key == client_key(ip_address))) or 0
    )
    if by_client >= QUESTIONS_PER_CLIENT_PER_DAY:
        return OverLimit(asked=by_client, per="client")
    return None


def forget_client_keys() -> int:
    """Clear the keyed hash of the client's address from questions older than the daily limit's
    window (it is kept only to count that limit): the worker runs this daily with the security
    log's pruning. Returns how many were cleared. The caller commits."""
    result = db.session.execute(
        update(PatientQuestion)
        .where(
            PatientQuestion.client_key.is_not(None), PatientQuestion.asked_at <= utcnow() - 2 * LIMIT_WINDOW
        )
        .values(client_key=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _confirmation_body(provider: Provider, link: str) -> str:
    return (
        f"Someone asked {provider.name} a question about its register of interests and gave this "
        "email address for the reply.\n\n"
        f"If it was you, use this link to confirm your email address. It works once, within "
        f"{CONFIRM_VALID_DAYS} days:\n\n{link}\n\n"
        f"{provider.name} can email you their reply only once you have confirmed it.\n\n"
        "If it was not you, you can ignore this email: nothing will be sent to you.\n"
    )


def ask(
    provider: Provider, question: str, name: str | None, email: str | None, *, ip_address: str
) -> PatientQuestion:
    """Record the question; if an address was given, email it a link to confirm it. The caller
    checks over_limit first and commits."""
    asked = PatientQuestion(
        provider=provider,
        question=question,
        name=name or None,
        email=email or None,
        client_key=client_key(ip_address),
    )
    token = None
    if asked.email:
        token = secrets.token_urlsafe(32)
        asked.email_token_hash = token_hash(token)
        asked.email_token_expires_at = utcnow() + timedelta(days=CONFIRM_VALID_DAYS)
    db.session.add(asked)
    db.session.flush()
    if asked.email and token:
        link = absolute_url("questions.confirm", slug=provider.slug, token=token)
        send_email(
            kind="question_confirm",
            to=asked.email,
            subject=f"Confirm your email address for your question to {provider.name}",
            body=_confirmation_body(provider, link),
            provider_id=provider.id,
        )
    audit.record(
        "question.asked",
        asked,
        actor=None,
        provider_id=provider.id,
        summary="A patient asked about the register",
    )
    return asked


def confirmable(provider: Provider, token: str) -> PatientQuestion | None:
    """The question whose unused, unexpired confirmation link this is, at this provider."""
    if not token or len(token) > 200:
        return None
    found = db.session.scalar(
        select(PatientQuestion).where(
            PatientQuestion.email_token_hash == token_hash(token),
            PatientQuestion.provider_id == provider.id,
        )
    )
    if found is None or found.email_state != "waiting":  # used (confirmed) or expired
        return None
    return found


def confirm(question: PatientQuestion) -> bool:
    """Confirm the question's address (once), and email a reply already recorded.

    Returns whether a reply was emailed. Raises InvalidRecord if the link was used meanwhile.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(PatientQuestion)
        .where(
            PatientQuestion.id == question.id,
            PatientQuestion.email_confirmed_at.is_(None),
            PatientQuestion.email_token_hash.is_not(None),
            PatientQuestion.email_token_expires_at > now,
        )
        .values(email_confirmed_at=now, email_token_hash=None)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidRecord("This link has already been used")
    db.session.refresh(question)
    audit.record(
        "question.email_confirmed",
        question,
        actor=None,
        provider_id=question.provider_id,
        summary="A patient confirmed their email address for a reply",
    )
    if question.replied_at is not None and question.reply_email_id is None and question.reply:
        _email_reply(question, question.reply)
        audit.record(
            "question.reply_emailed",
            question,
            actor=None,
            provider_id=question.provider_id,
            summary="Emailed the reply once the patient confirmed their address",
        )
        return True
    return False


def _email_reply(question: PatientQuestion, text: str) -> None:
    if not question.email:
        return
    email = send_email(
        kind="question_reply",
        to=question.email,
        subject=f"Your question about {question.provider.name}'s register of interests",
        body=(
            f"Dear {question.name or 'patient'},\n\nYou asked:\n\n{question.question}\n\n"
            f"{question.provider.name} replied:\n\n{text}\n"
        ),
        provider_id=question.provider_id,
    )
    db.session.flush()
    question.reply_email_id = email.id


def questions_page(provider: Provider, page: int, per_page: int) -> Page:
    """Unanswered questions first, newest first within each group."""
    base = select(PatientQuestion).where(PatientQuestion.provider_id == provider.id)
    unanswered_first = case((PatientQuestion.replied_at.is_(None), 0), else_=1)
    return page_of(
        base.order_by(unanswered_first, PatientQuestion.asked_at.desc(), PatientQuestion.id.desc()),
        page,
        per_page,
    )


def unanswered_count(provider: Provider) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                PatientQuestion.provider_id == provider.id, PatientQuestion.replied_at.is_(None)
            )
        )
        or 0
    )


def question_at(provider: Provider, question_id: int) -> PatientQuestion | None:
    return db.session.scalar(
        select(PatientQuestion).where(
            PatientQuestion.id == question_id, PatientQuestion.provider_id == provider.id
        )
    )


def reply(question: PatientQuestion, text: str, *, actor: Account) -> bool:
    """Record the reply; email it if the patient confirmed an address. Returns whether it was emailed.

    A reply to an address not yet confirmed is emailed when (if) it is confirmed: see confirm().
    """
    if question.replied_at is not None:
        raise InvalidRecord("This question has already been answered")
    question.reply = text
    question.replied_at = utcnow()
    question.replied_by_account_id = actor.id
    emailed = question.email_state == "confirmed"
    if emailed:
        _email_reply(question, text)
    audit.record(
        "question.replied",
        question,
        actor=actor,
        provider_id=question.provider_id,
        summary="Replied to a patient's question" + (" by email" if emailed else ""),
    )
    return emailed
