"""A professional's own reported payments, on their dashboard: the payments matched to them (at
any confidence), whether each is covered by what they declared, and "this is not me".

Every lookup is by the professional as well as the payment id: another person's payment, or one
that does not exist, is the same None (the page answers 404 and reveals nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, IndustryPayment, PaymentRejection, Professional
from interests.rules.payments import NOBODY, Reconciled
from interests.services import audit
from interests.services.disclosure.reconciling import reconciled

REJECTED_REASON = "The professional it was matched to said it is not them"


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


def reject(payment: IndustryPayment, professional: Professional, *, actor: Account) -> PaymentRejection:
    """The professional says the payment is not about them: recorded and audited, and the match
    dropped (the payment is kept, matched to nobody). Adds and flushes; the caller commits."""
    if payment.professional_id != professional.id:  # pragma: no cover - the page looked it up by both
        raise ValueError("Not this professional's payment")
    rejection = PaymentRejection(
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
    db.session.add(rejection)
    payment.professional_id = None
    payment.match = NOBODY
    payment.match_reason = REJECTED_REASON
    db.session.flush()
    audit.record(
        "industry_payment.rejected",
        rejection,
        actor=actor,
        professional_id=professional.id,
        summary=f"Said a payment reported by {payment.company} for {payment.year} is not them",
        data={
            "industry_payment_id": payment.id,
            "year": payment.year,
            "line": payment.line,
            "company": payment.company,
            "total_pence": payment.total_pence,
            "match": rejection.match,
        },
    )
    return rejection


def rejected_keys(year: int) -> set[tuple[int, str, str]]:
    """(professional id, company key, recipient's name folded) of each payment of the year said
    not to be the professional's: a re-import of the year does not match them again."""
    rows = db.session.execute(
        select(
            PaymentRejection.professional_id, PaymentRejection.company_key, PaymentRejection.full_name
        ).where(PaymentRejection.year == year)
    )
    return {(professional_id, key, name.casefold()) for professional_id, key, name in rows}


def is_rejected(
    keys: Collection[tuple[int, str, str]], professional_id: int, company_key: str, full_name: str
) -> bool:
    return (professional_id, company_key, full_name.casefold()) in keys
