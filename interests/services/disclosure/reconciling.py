"""Whether each reported payment was declared: the professional's declared interests (those sent to
a provider in a declaration) handed to the pure rule (`rules.payments.reconcile`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from interests.extensions import db
from interests.models import Declaration, DeclarationItem, IndustryPayment, InterestVersion
from interests.rules.disclosure import company_key
from interests.rules.payments import DeclaredInterest, Reconciled, reconcile


def declared_interests(professional_ids: Sequence[int]) -> dict[int, list[DeclaredInterest]]:
    """Every interest version each professional has sent to a provider (withheld ones included:
    withholding hides an entry from the public, it does not undeclare it)."""
    found: dict[int, list[DeclaredInterest]] = defaultdict(list)
    if not professional_ids:
        return found
    rows = db.session.execute(
        select(
            Declaration.professional_id,
            InterestVersion.other_party,
            InterestVersion.interest_type,
            InterestVersion.date_from,
            InterestVersion.date_to,
        )
        .join(DeclarationItem, DeclarationItem.declaration_id == Declaration.id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(Declaration.professional_id.in_(professional_ids))
        .distinct()
    )
    for professional_id, other_party, interest_type, date_from, date_to in rows:
        found[professional_id].append(
            DeclaredInterest(company_key(other_party), interest_type, date_from, date_to)
        )
    return found


def reconciled(payments: Sequence[IndustryPayment]) -> dict[int, Reconciled]:
    """For each matched payment (by id): declared or not, and why."""
    matched = [payment for payment in payments if payment.professional_id is not None]
    interests = declared_interests(
        sorted({payment.professional_id for payment in matched if payment.professional_id})
    )
    return {
        payment.id: reconcile(
            company_key=payment.company_key,
            year=payment.year,
            amounts={
                "registration_fees": payment.registration_fees_pence,
                "travel": payment.travel_pence,
                "fees": payment.fees_pence,
                "related_expenses": payment.related_expenses_pence,
            },
            interests=interests.get(payment.professional_id or 0, ()),
        )
        for payment in matched
    }
