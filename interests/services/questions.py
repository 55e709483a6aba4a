"""Patients' questions about a provider's register, and the provider's replies (emailed if the
patient left an address)."""

from __future__ import annotations

from sqlalchemy import case, func, select

from interests.extensions import db
from interests.models import Account, InvalidRecord, PatientQuestion, Provider, utcnow
from interests.services import audit
from interests.services.outbox import send_email
from interests.services.paging import Page


def public_provider(slug: str) -> Provider | None:
    return db.session.scalar(select(Provider).where(Provider.slug == slug))


def ask(provider: Provider, question: str, name: str | None, email: str | None) -> PatientQuestion:
    asked = PatientQuestion(provider=provider, question=question, name=name or None, email=email or None)
    db.session.add(asked)
    db.session.flush()
    audit.record(
        "question.asked",
        asked,
        actor=None,
        provider_id=provider.id,
        summary="A patient asked about the register",
    )
    return asked


def questions_page(provider: Provider, page: int, per_page: int) -> Page:
    """Unanswered questions first, newest first within each group."""
    base = select(PatientQuestion).where(PatientQuestion.provider_id == provider.id)
    total = int(db.session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    unanswered_first = case((PatientQuestion.replied_at.is_(None), 0), else_=1)
    items = db.session.scalars(
        base.order_by(unanswered_first, PatientQuestion.asked_at.desc(), PatientQuestion.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


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
    """Record the reply; email it if the patient left an address. Returns whether it was emailed."""
    if question.replied_at is not None:
        raise InvalidRecord("This question has already been answered")
    question.reply = text
    question.replied_at = utcnow()
    question.replied_by_account_id = actor.id
    emailed = False
    if question.email:
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
        emailed = True
    audit.record(
        "question.replied",
        question,
        actor=actor,
        provider_id=question.provider_id,
        summary="Replied to a patient's question" + (" by email" if emailed else ""),
    )
    return emailed
