"""Reading a professional's interests, where they work, and what they have sent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Engagement,
    Interest,
    InterestVersion,
    Professional,
    Provider,
    WithholdingRequest,
)
from interests.rules.compliance import DeclarationStatus, engagement_status, next_due_on
from interests.rules.publication import interest_is_shown
from interests.services.declaring.common import covered_after

# --- Reading ----------------------------------------------------------------------------------


def interest_of(professional: Professional, interest_id: int) -> Interest | None:
    """The professional's own interest, or None - another professional's is never returned."""
    return db.session.scalar(
        select(Interest)
        .where(Interest.id == interest_id, Interest.professional_id == professional.id)
        .options(selectinload(Interest.versions))
    )


def interests_of(professional: Professional) -> list[Interest]:
    """All of a professional's interests, newest first, with their versions loaded."""
    return list(
        db.session.scalars(
            select(Interest)
            .where(Interest.professional_id == professional.id)
            .options(selectinload(Interest.versions))
            .order_by(Interest.created_at.desc(), Interest.id.desc())
        )
    )


def is_covered(version: InterestVersion, on: date) -> bool:
    return interest_is_shown(version.date_to, on)


def covered_versions(professional: Professional, on: date) -> list[InterestVersion]:
    """The current version of every interest a declaration sent on `on` covers, oldest first."""
    latest = (
        select(InterestVersion.interest_id, func.max(InterestVersion.version_number).label("number"))
        .join(Interest, Interest.id == InterestVersion.interest_id)
        .where(Interest.professional_id == professional.id)
        .group_by(InterestVersion.interest_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(InterestVersion)
            .join(
                latest,
                (latest.c.interest_id == InterestVersion.interest_id)
                & (latest.c.number == InterestVersion.version_number),
            )
            .where(or_(InterestVersion.date_to.is_(None), InterestVersion.date_to >= covered_after(on)))
            .order_by(InterestVersion.date_from, InterestVersion.interest_id)
        )
    )


@dataclass
class Workplace:
    """A provider where the professional has an active engagement, and their standing there."""

    provider: Provider
    roles: list[str]
    engaged_since: date
    status: DeclarationStatus
    next_due_on: date
    last_declaration: Declaration | None = None
    last_item_count: int = 0


def workplaces(professional: Professional, on: date) -> list[Workplace]:
    """Every provider where the professional confirmed they work on `on`, A-Z, with their status."""
    engagements = db.session.scalars(
        select(Engagement)
        .where(
            Engagement.professional_id == professional.id,
            # Declarations go only where the professional confirmed they work (product card,
            # "Identity and consent across providers").
            Engagement.confirmed_at.is_not(None),
            Engagement.start_date <= on,
            or_(Engagement.end_date.is_(None), Engagement.end_date >= on),
        )
        .options(selectinload(Engagement.provider))
    ).all()
    by_provider: dict[int, list[Engagement]] = defaultdict(list)
    for engagement in engagements:
        by_provider[engagement.provider_id].append(engagement)
    if not by_provider:
        return []

    ranked = (
        select(
            Declaration.id,
            func.row_number()
            .over(
                partition_by=Declaration.provider_id,
                order_by=(
                    Declaration.declared_on.desc(),
                    Declaration.signed_at.desc(),
                    Declaration.id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(
            Declaration.professional_id == professional.id,
            Declaration.provider_id.in_(by_provider),
            Declaration.declared_on <= on,
        )
        .subquery()
    )
    latest = {
        d.provider_id: d
        for d in db.session.scalars(
            select(Declaration).join(ranked, ranked.c.id == Declaration.id).where(ranked.c.rank == 1)
        )
    }
    counts = dict(
        db.session.execute(
            select(DeclarationItem.declaration_id, func.count())
            .where(DeclarationItem.declaration_id.in_([d.id for d in latest.values()]))
            .group_by(DeclarationItem.declaration_id)
        ).all()
    )
    result = []
    for provider_id, provider_engagements in by_provider.items():
        engaged_since = min(e.start_date for e in provider_engagements)
        last = latest.get(provider_id)
        last_on = last.declared_on if last else None
        result.append(
            Workplace(
                provider=provider_engagements[0].provider,
                roles=sorted({e.role for e in provider_engagements}),
                engaged_since=engaged_since,
                status=engagement_status(on, engaged_since, last_on),
                next_due_on=next_due_on(engaged_since, last_on),
                last_declaration=last,
                last_item_count=counts.get(last.id, 0) if last else 0,
            )
        )
    return sorted(result, key=lambda w: (w.provider.name.lower(), w.provider.id))


def withholding_requests_of(professional: Professional) -> dict[int, list[WithholdingRequest]]:
    """Each of the professional's interests -> its withholding requests, newest first."""
    requests = db.session.scalars(
        select(WithholdingRequest)
        .join(Interest, Interest.id == WithholdingRequest.interest_id)
        .where(Interest.professional_id == professional.id)
        .options(selectinload(WithholdingRequest.provider))
        .order_by(WithholdingRequest.requested_at.desc(), WithholdingRequest.id.desc())
    )
    by_interest: dict[int, list[WithholdingRequest]] = defaultdict(list)
    for request in requests:
        by_interest[request.interest_id].append(request)
    return by_interest


def withholding_request_of(
    professional: Professional, interest_id: int, request_id: int
) -> WithholdingRequest | None:
    """One of the professional's own requests, by its interest and id (anyone else's is None)."""
    return db.session.scalar(
        select(WithholdingRequest)
        .join(Interest, Interest.id == WithholdingRequest.interest_id)
        .where(
            WithholdingRequest.id == request_id,
            WithholdingRequest.interest_id == interest_id,
            Interest.professional_id == professional.id,
        )
    )


def declarations_sent(professional: Professional, submission_key: str) -> list[Declaration]:
    """The declarations one send made (this professional's only), by provider name."""
    return list(
        db.session.scalars(
            select(Declaration)
            .join(Provider, Provider.id == Declaration.provider_id)
            .where(
                Declaration.professional_id == professional.id, Declaration.submission_key == submission_key
            )
            .options(selectinload(Declaration.provider), selectinload(Declaration.items))
            .order_by(Provider.name, Provider.id)
        )
    )


@dataclass(frozen=True)
class SentTo:
    """One declaration an interest was sent in."""

    reference: str
    provider_name: str


@dataclass
class LastSent:
    """When an interest was last sent, in which declarations (one per provider chosen that time), and
    whether it has changed since: a newer version not yet sent to anyone."""

    declared_on: date
    declarations: list[SentTo]
    version_number: int
    changed_since: bool = False


def last_sent(professional: Professional) -> dict[int, LastSent]:
    """For each of the professional's interests ever sent, the last send that held it (the
    declarations made by one press of "send", by provider name), by interest id. An interest never
    sent is not in the answer."""
    rows = db.session.execute(
        select(
            InterestVersion.interest_id,
            InterestVersion.version_number,
            Declaration.submission_key,
            Declaration.declared_on,
            Declaration.reference,
            Provider.name,
        )
        .join(DeclarationItem, DeclarationItem.interest_version_id == InterestVersion.id)
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .join(Provider, Provider.id == Declaration.provider_id)
        .join(Interest, Interest.id == InterestVersion.interest_id)
        .where(Interest.professional_id == professional.id, Declaration.professional_id == professional.id)
        .order_by(Declaration.signed_at, Declaration.id)
    ).all()
    latest_key: dict[int, str] = {}
    for row in rows:  # oldest first: the last send seen for an interest is its latest
        latest_key[row.interest_id] = row.submission_key
    found: dict[int, LastSent] = {}
    for row in rows:
        if latest_key[row.interest_id] != row.submission_key:
            continue
        sent = found.setdefault(row.interest_id, LastSent(row.declared_on, [], row.version_number))
        sent.declarations.append(SentTo(row.reference, row.name))
        sent.version_number = max(sent.version_number, row.version_number)
    current: dict[int, int] = {
        interest_id: number
        for interest_id, number in db.session.execute(
            select(InterestVersion.interest_id, func.max(InterestVersion.version_number))
            .join(Interest, Interest.id == InterestVersion.interest_id)
            .where(Interest.professional_id == professional.id)
            .group_by(InterestVersion.interest_id)
        )
    }
    for interest_id, sent in found.items():
        sent.declarations.sort(key=lambda d: (d.provider_name, d.reference))
        sent.changed_since = current.get(interest_id, 0) > sent.version_number
    return found
