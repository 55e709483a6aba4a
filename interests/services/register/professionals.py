"""A professional's public record: their published declarations at every provider and the history
of changes, and the short summaries the search results show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from interests.extensions import db
from interests.models import (
    Declaration,
    IndustryPayment,
    Professional,
    ProfessionalName,
    Provider,
)
from interests.rules.payments import CERTAIN, PART_LABELS, shown_publicly
from interests.services.disclosure.reconciling import AMOUNT_COLUMNS as PAYMENT_PARTS
from interests.services.register.published import (
    PublishedDeclaration,
    RegisterFilters,
    current_item_exists,
    is_shown,
    latest_declarations,
    published_declarations,
    roles,
)


@dataclass(frozen=True)
class ReportedPayment:
    """What one company reported paying the professional in one year (Disclosure UK), shown as the
    company's report: only where `rules.payments.shown_publicly`."""

    company: str
    year: int
    amounts: dict[str, int]  # pence for each part of rules.payments.PART_LABELS
    total_pence: int
    confirmed: bool  # shown because the professional confirmed it (else: the registration number)

    @property
    def parts(self) -> list[tuple[str, int]]:
        """("registration fees", pence) for each part with money in it."""
        return [(PART_LABELS[part], pence) for part, pence in self.amounts.items() if pence > 0]


@dataclass
class ProfessionalRecord:
    professional_id: int
    name: str
    profession: str
    specialty: str | None
    registration: str
    other_names: list[str]
    current: list[PublishedDeclaration]
    history: list[PublishedDeclaration]
    payments: list[ReportedPayment]


# --- a professional ---------------------------------------------------------------------------


def professional_record(professional_id: int, today: date) -> ProfessionalRecord | None:
    """A professional's published interests at every provider, and the history of changes.

    None when nothing about them is published (the page is then "not found"): a professional
    with no published declaration has no public page.
    """
    professional = db.session.get(Professional, professional_id)
    if professional is None:
        return None
    latest = latest_declarations(today, Declaration.professional_id == professional_id)
    current_ids = list(
        db.session.scalars(
            select(latest.c.id)
            .join(Provider, Provider.id == latest.c.provider_id)
            .where(is_shown(latest, today))
            .order_by(func.lower(Provider.name))
        )
    )
    if not current_ids:
        return None
    current = published_declarations(current_ids, today, RegisterFilters())
    provider_ids = [d.provider_id for d in current]
    # History: earlier declarations at the same providers - only versions that were sent.
    earlier = select(Declaration.id).where(
        Declaration.professional_id == professional_id,
        Declaration.provider_id.in_(provider_ids),
        Declaration.id.not_in(current_ids),
        or_(Declaration.nil_return.is_(True), current_item_exists(Declaration.id, today)),
    )
    history_ids = list(
        db.session.scalars(
            earlier.order_by(Declaration.declared_on.desc(), Declaration.signed_at.desc()).limit(100)
        )
    )
    history = published_declarations(history_ids, today, RegisterFilters())
    other_names = list(
        db.session.scalars(
            select(ProfessionalName.name)
            .where(ProfessionalName.professional_id == professional_id)
            .order_by(ProfessionalName.id)
        )
    )
    return ProfessionalRecord(
        professional_id=professional.id,
        name=professional.display_name,
        profession=professional.profession,
        specialty=professional.specialty,
        registration=f"{professional.regulator} {professional.registration_number}",
        other_names=other_names,
        current=current,
        history=history,
        payments=reported_payments(professional_id),
    )


def reported_payments(professional_id: int) -> list[ReportedPayment]:
    """The payments companies reported about this professional that may be shown publicly, per
    company and year (newest year first), each part summed."""
    payments = db.session.scalars(
        select(IndustryPayment)
        .where(
            IndustryPayment.professional_id == professional_id,
            or_(IndustryPayment.match == CERTAIN, IndustryPayment.confirmed_at.is_not(None)),
        )
        .order_by(IndustryPayment.year.desc(), func.lower(IndustryPayment.company), IndustryPayment.id)
    )
    grouped: dict[tuple[int, str], list[IndustryPayment]] = {}
    for payment in payments:
        if shown_publicly(payment.match, payment.confirmed_at is not None):
            grouped.setdefault((payment.year, payment.company_key or payment.company), []).append(payment)
    found = []
    for rows in grouped.values():
        sums = {part: sum(getattr(row, column) for row in rows) for part, column in PAYMENT_PARTS.items()}
        found.append(
            ReportedPayment(
                company=rows[0].company,
                year=rows[0].year,
                amounts=sums,
                total_pence=sum(row.total_pence for row in rows),
                confirmed=all(row.match != CERTAIN for row in rows),
            )
        )
    return found


@dataclass(frozen=True)
class ProfessionalSummary:
    professional_id: int
    name: str
    profession: str
    specialty: str | None
    registration: str
    providers: tuple[tuple[str, str, str | None], ...]  # (slug, name, role)


def professional_summaries(professional_ids: Sequence[int], today: date) -> list[ProfessionalSummary]:
    """Name, registration and the providers each professional is published at, in the given order."""
    if not professional_ids:
        return []
    people = {
        p.id: p for p in db.session.scalars(select(Professional).where(Professional.id.in_(professional_ids)))
    }
    latest = latest_declarations(today, Declaration.professional_id.in_(professional_ids))
    rows = db.session.execute(
        select(latest.c.professional_id, Provider.id, Provider.slug, Provider.name)
        .join(Provider, Provider.id == latest.c.provider_id)
        .where(is_shown(latest, today))
        .order_by(func.lower(Provider.name))
    ).all()
    roles_by_pair = roles({(r.professional_id, r.id) for r in rows}, today)
    providers: dict[int, list[tuple[str, str, str | None]]] = {}
    for r in rows:
        providers.setdefault(r.professional_id, []).append(
            (r.slug, r.name, roles_by_pair.get((r.professional_id, r.id)))
        )
    summaries = []
    for pid in professional_ids:
        person = people.get(pid)
        if person is None or pid not in providers:
            continue  # no longer published: the index will catch up
        summaries.append(
            ProfessionalSummary(
                professional_id=pid,
                name=person.display_name,
                profession=person.profession,
                specialty=person.specialty,
                registration=f"{person.regulator} {person.registration_number}",
                providers=tuple(providers[pid]),
            )
        )
    return summaries
