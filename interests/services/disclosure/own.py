"""A professional's own reported payments, on their dashboard: the payments matched to them (at
any confidence), whether each is covered by what they declared, "this is me" (a probable or
possible match confirmed, so it may be shown publicly) and "this is not me" (the match dropped).

Every lookup is by the professional as well as the payment id: another person's payment, or one
that does not exist, is the same None (the page answers 404 and reveals nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, DisclosureImport, IndustryPayment, PaymentAnswer, Professional, utcnow
from interests.rules.payments import CERTAIN, NOBODY, Reconciled
from interests.services import audit
from interests.services.disclosure.reconciling import reconciled

REJECTED_REASON = "The professional it was matched to said it is not them"
CONFIRMED_REASON = "The professional confirmed it is them"
ME = "me"
NOT_ME = "not_me"


@dataclass(frozen=True)
class OwnPayment:
    payment: IndustryPayment
    reconciled: Reconciled


def payments_of(professional: Professional) -> list[OwnPayment]:
    """The payments matched to this professional, newest year first, then by company."""
    payments = list(
        db.session.scalars(
            select(IndustryPayment)
            .where(IndustryPayment.professional_id == professional.id)
            .order_by(IndustryPayment.year.desc(), IndustryPayment.company, IndustryPayment.id)
        )
    )
    found = reconciled(payments)
    return [OwnPayment(payment, found[payment.id]) for payment in payments]


def payment_of(professional: Professional, payment_id: int) -> IndustryPayment | None:
    return db.session.scalar(
        select(IndustryPayment).where(
            IndustryPayment.id == payment_id, IndustryPayment.professional_id == professional.id
        )
    )


def _answer(
    payment: IndustryPayment, professional: Professional, answer: str, actor: Account
) -> PaymentAnswer:
    if payment.professional_id != professional.id:  # pragma: no cover - the page looked it up by both
        raise ValueError("Not this professional's payment")
    recorded = PaymentAnswer(
        answer=answer,
        professional_id=professional.id,
        account_id=actor.id,
        industry_payment_id=payment.id,
        year=payment.year,
        line=payment.line,
        full_name=payment.full_name,
        company=payment.company,
        company_key=payment.company_key,
        total_pence=payment.total_pence,
        match=payment.match,
        match_reason=payment.match_reason,
    )
    db.session.add(recorded)
    return recorded


def _audit(
    action: str, recorded: PaymentAnswer, payment: IndustryPayment, actor: Account, summary: str
) -> None:
    audit.record(
        action,
        recorded,
        actor=actor,
        professional_id=recorded.professional_id,
        summary=summary,
        data={
            "industry_payment_id": payment.id,
            "year": payment.year,
            "line": payment.line,
            "company": payment.company,
            "total_pence": payment.total_pence,
            "match": recorded.match,
        },
    )


def can_confirm(payment: IndustryPayment) -> bool:
    """A probable or possible match not yet confirmed (a registration number needs no confirming)."""
    return payment.match != CERTAIN and payment.confirmed_at is None and payment.professional_id is not None


def confirm(payment: IndustryPayment, professional: Professional, *, actor: Account) -> PaymentAnswer:
    """The professional says the payment is about them: recorded and audited, and the payment may
    now be shown on their public page. Adds and flushes; the caller commits."""
    recorded = _answer(payment, professional, ME, actor)
    payment.confirmed_at = utcnow()
    db.session.flush()
    _audit(
        "industry_payment.confirmed",
        recorded,
        payment,
        actor,
        f"Confirmed a payment reported by {payment.company} for {payment.year} is them",
    )
    return recorded


def reject(payment: IndustryPayment, professional: Professional, *, actor: Account) -> PaymentAnswer:
    """The professional says the payment is not about them: recorded and audited, and the match
    dropped (the payment is kept, matched to nobody, and its year's counts say so). Adds and
    flushes; the caller commits."""
    recorded = _answer(payment, professional, NOT_ME, actor)
    year = db.session.get(DisclosureImport, payment.disclosure_import_id)
    if year is not None and getattr(year, payment.match, 0) > 0:
        setattr(year, payment.match, getattr(year, payment.match) - 1)
        year.nobody += 1
    payment.professional_id = None
    payment.match = NOBODY
    payment.match_reason = REJECTED_REASON
    payment.confirmed_at = None
    payment.declared = None
    db.session.flush()
    _audit(
        "industry_payment.rejected",
        recorded,
        payment,
        actor,
        f"Said a payment reported by {payment.company} for {payment.year} is not them",
    )
    return recorded


@dataclass(frozen=True)
class Answers:
    """A year's answers, for its re-import: (professional id, company key, recipient's name folded)."""

    not_me: frozenset[tuple[int, str, str]]
    me: dict[tuple[str, str], int]  # (company key, name folded) -> the one professional who said so

    def rejected(self, professional_id: int, company_key: str, full_name: str) -> bool:
        return (professional_id, company_key, full_name.casefold()) in self.not_me

    def confirmed_by(self, company_key: str, full_name: str) -> int | None:
        return self.me.get((company_key, full_name.casefold()))


def answers_for(year: int) -> Answers:
    """The year's "not me" and "this is me" answers: a re-import does not match a payment again to
    someone who said it is not them, and keeps a confirmation (an answer given by two people for the
    same company and name confirms neither)."""
    rows = db.session.execute(
        select(
            PaymentAnswer.answer,
            PaymentAnswer.professional_id,
            PaymentAnswer.company_key,
            PaymentAnswer.full_name,
        )
        .where(PaymentAnswer.year == year)
        .order_by(PaymentAnswer.id)
    )
    not_me: set[tuple[int, str, str]] = set()
    me: dict[tuple[str, str], set[int]] = {}
    for answer, professional_id, key, name in rows:
        if answer == NOT_ME:
            not_me.add((professional_id, key, name.casefold()))
        else:
            me.setdefault((key, name.casefold()), set()).add(professional_id)
    confirmed = {
        key: next(iter(ids))
        for key, ids in me.items()
        if len(ids) == 1 and (next(iter(ids)), *key) not in not_me
    }
    return Answers(frozenset(not_me), confirmed)
