"""Whether each reported payment was declared: the professional's declared interests (those sent to
a provider in a declaration) handed to the pure rule (`rules.payments.reconcile`).

The answer is also kept on each payment (`IndustryPayment.declared`), written by everything that
can change it: the import (each batch as it is saved), a declaration sent (`refresh_declared`),
and a match dropped. Providers' lists and inspectors' counts read the kept answer in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from interests.extensions import db
from interests.models import Declaration, DeclarationItem, IndustryPayment, InterestVersion
from interests.rules.disclosure import company_key
from interests.rules.payments import DeclaredInterest, Reconciled, reconcile

# Each part of a payment (rules.payments.TYPES_FOR_PART) and the column holding it.
AMOUNT_COLUMNS = {
    "registration_fees": "registration_fees_pence",
    "travel": "travel_pence",
    "fees": "fees_pence",
    "related_expenses": "related_expenses_pence",
}


def declared_interests(professional_ids: Iterable[int]) -> dict[int, list[DeclaredInterest]]:
    """Every interest version each professional has sent to a provider (withheld ones included:
    withholding hides an entry from the public, it does not undeclare it)."""
    found: dict[int, list[DeclaredInterest]] = defaultdict(list)
    ids = sorted(set(professional_ids))
    if not ids:
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
        .where(Declaration.professional_id.in_(ids))
        .distinct()
    )
    for professional_id, other_party, interest_type, date_from, date_to in rows:
        found[professional_id].append(
            DeclaredInterest(company_key(other_party), interest_type, date_from, date_to)
        )
    return found


def _reconcile(values: Mapping[str, Any], interests: Mapping[int, Sequence[DeclaredInterest]]) -> Reconciled:
    """One payment, given as its columns' values (a row being imported, or a stored payment's)."""
    return reconcile(
        company_key=values["company_key"],
        year=values["year"],
        amounts={part: values[column] for part, column in AMOUNT_COLUMNS.items()},
        interests=interests.get(values["professional_id"], ()),
    )


def _columns(payment: IndustryPayment) -> dict[str, Any]:
    names = ("company_key", "year", "professional_id", *AMOUNT_COLUMNS.values())
    return {name: getattr(payment, name) for name in names}


def reconciled(payments: Sequence[IndustryPayment]) -> dict[int, Reconciled]:
    """For each matched payment (by id): declared or not, and why."""
    matched = [payment for payment in payments if payment.professional_id is not None]
    interests = declared_interests(payment.professional_id for payment in matched if payment.professional_id)
    return {payment.id: _reconcile(_columns(payment), interests) for payment in matched}


def mark_declared(rows: Sequence[dict[str, Any]]) -> None:
    """Set `declared` on rows about to be inserted (None for those matched to nobody)."""
    interests = declared_interests(row["professional_id"] for row in rows if row["professional_id"])
    for row in rows:
        row["declared"] = _reconcile(row, interests).declared if row["professional_id"] else None


def refresh_declared(professional_ids: Iterable[int]) -> int:
    """Reconcile again the payments matched to these professionals (after they sent a declaration):
    returns how many changed. Adds and flushes; the caller commits."""
    ids = sorted(set(professional_ids))
    if not ids:
        return 0
    payments = list(
        db.session.scalars(select(IndustryPayment).where(IndustryPayment.professional_id.in_(ids)))
    )
    found = reconciled(payments)
    changed = 0
    for payment in payments:
        declared = found[payment.id].declared
        if payment.declared is not declared:
            payment.declared = declared
            changed += 1
    db.session.flush()
    return changed


def refresh_all(batch: int = 2000) -> int:
    """Reconcile every matched payment again (`flask disclosure reconcile`): returns how many changed."""
    changed = 0
    db.session.execute(
        update(IndustryPayment).where(IndustryPayment.professional_id.is_(None)).values(declared=None)
    )
    ids = list(
        db.session.scalars(
            select(IndustryPayment.professional_id)
            .where(IndustryPayment.professional_id.is_not(None))
            .distinct()
            .order_by(IndustryPayment.professional_id)
        )
    )
    for start in range(0, len(ids), batch):
        changed += refresh_declared(pid for pid in ids[start : start + batch] if pid is not None)
    return changed
