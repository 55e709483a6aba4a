"""What the search index is fed: a document for each professional with something published, and
who to index again when the date alone changes what the register shows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, union

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Engagement,
    Interest,
    InterestVersion,
    Professional,
    ProfessionalName,
    Provider,
)
from interests.rules.publication import (
    engagement_cutoff,
    engagement_shown_until,
    expiry_cutoff,
    interest_shown_until,
)
from interests.search import PersonDocument
from interests.services.register.published import (
    is_shown,
    latest_declarations,
    not_expired,
    not_withheld,
    roles,
)

# --- for the search index -----------------------------------------------------------------------


def search_documents(professional_ids: Sequence[int] | range, today: date) -> dict[int, PersonDocument]:
    """Index documents for these professionals; a professional with nothing published is absent.

    A ``range`` of ids (a full rebuild) is read with BETWEEN rather than a long IN list.
    """
    if not professional_ids:
        return {}
    if isinstance(professional_ids, range):
        which = Declaration.professional_id.between(professional_ids.start, professional_ids.stop - 1)
    else:
        which = Declaration.professional_id.in_(professional_ids)
    latest = latest_declarations(today, which)
    shown = db.session.execute(
        select(latest.c.id, latest.c.professional_id, latest.c.provider_id).where(is_shown(latest, today))
    ).all()
    if not shown:
        return {}
    declaration_ids = [r.id for r in shown]
    companies: dict[int, set[str]] = {}
    changes_after: dict[int, set[date]] = {}  # last days before the published content changes
    for start in range(0, len(declaration_ids), 900):
        chunk = declaration_ids[start : start + 900]
        for professional_id, other_party, date_to in db.session.execute(
            select(Declaration.professional_id, InterestVersion.other_party, InterestVersion.date_to)
            .join(DeclarationItem, DeclarationItem.declaration_id == Declaration.id)
            .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
            .where(Declaration.id.in_(chunk), not_withheld(Declaration.provider_id), not_expired(today))
        ):
            companies.setdefault(professional_id, set()).add(other_party)
            if date_to is not None:
                changes_after.setdefault(professional_id, set()).add(interest_shown_until(date_to))
    provider_ids: dict[int, set[int]] = {}
    for r in shown:
        provider_ids.setdefault(r.professional_id, set()).add(r.provider_id)
    ids = list(provider_ids)
    names: dict[int, list[str]] = {}
    people: dict[int, Any] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for row in db.session.execute(
            select(
                Professional.id,
                Professional.given_name,
                Professional.family_name,
                Professional.regulator,
                Professional.registration_number,
                Professional.title,
                Professional.profession,
                Professional.specialty,
            ).where(Professional.id.in_(chunk))
        ):
            people[row.id] = row
        for pid, name in db.session.execute(
            select(ProfessionalName.professional_id, ProfessionalName.name).where(
                ProfessionalName.professional_id.in_(chunk)
            )
        ):
            names.setdefault(pid, []).append(name)
    all_provider_ids = sorted({r.provider_id for r in shown})
    provider_rows = {
        row.id: (row.slug, row.name)
        for row in db.session.execute(
            select(Provider.id, Provider.slug, Provider.name).where(Provider.id.in_(all_provider_ids))
        )
    }
    roles_by_pair = roles({(r.professional_id, r.provider_id) for r in shown}, today)
    for start in range(0, len(ids), 900):
        for pid, last_day in _engagement_changes(ids[start : start + 900], today):
            changes_after.setdefault(pid, set()).add(last_day)
    return {
        pid: PersonDocument(
            professional_id=pid,
            given_name=people[pid].given_name,
            family_name=people[pid].family_name,
            other_names=tuple(names.get(pid, ())),
            regulator=people[pid].regulator,
            registration_number=people[pid].registration_number,
            provider_ids=tuple(sorted(provider_ids[pid])),
            companies=tuple(sorted(companies.get(pid, ()))),
            title=people[pid].title,
            profession=people[pid].profession,
            specialty=people[pid].specialty,
            providers=tuple(
                sorted(
                    ((*provider_rows[p], roles_by_pair.get((pid, p))) for p in provider_ids[pid]),
                    key=lambda entry: entry[1].lower(),
                )
            ),
            fresh_until=min(changes_after[pid], default=None) if pid in changes_after else None,
        )
        for pid in ids
        if pid in people
    }


def _engagement_changes(professional_ids: Sequence[int], today: date) -> Iterator[tuple[int, date]]:
    """(professional, last day before an engagement of theirs starts or stops keeping them on)."""
    for pid, start_date, end_date in db.session.execute(
        select(Engagement.professional_id, Engagement.start_date, Engagement.end_date).where(
            Engagement.professional_id.in_(professional_ids),
            or_(Engagement.end_date.is_(None), Engagement.end_date >= engagement_cutoff(today)),
        )
    ):
        if start_date > today:
            yield pid, start_date - timedelta(days=1)
        elif end_date is not None:
            yield pid, engagement_shown_until(end_date)


def professionals_changed_by_date(since: date, today: date) -> list[int]:
    """Professionals whose published register may read differently on ``today`` than on ``since``
    through the date alone: an entry passed its 6 months after ending, or an engagement started or
    passed its 6 months after ending (their providers and roles). Only those who have declared.

    Date ranges, no per-person work: at 200,000 professionals a day's changes are a few hundred.
    """
    if today <= since:
        return []
    ended_entries = (
        select(Interest.professional_id)
        .join(InterestVersion, InterestVersion.interest_id == Interest.id)
        .where(
            InterestVersion.date_to >= expiry_cutoff(since),
            InterestVersion.date_to < expiry_cutoff(today),
            exists().where(DeclarationItem.interest_version_id == InterestVersion.id),
        )
    )
    engagements = select(Engagement.professional_id).where(
        or_(
            and_(Engagement.start_date > since, Engagement.start_date <= today),
            and_(
                Engagement.end_date >= engagement_cutoff(since),
                Engagement.end_date < engagement_cutoff(today),
            ),
        )
    )
    changed = union(ended_entries, engagements).subquery("changed")
    return list(
        db.session.scalars(
            select(changed.c.professional_id)
            .where(exists().where(Declaration.professional_id == changed.c.professional_id))
            .order_by(changed.c.professional_id)
        )
    )


def max_professional_id() -> int:
    return db.session.scalar(select(func.max(Professional.id))) or 0


def professionals_at_provider(provider_id: int, today: date) -> list[int]:
    """Every professional with a declaration at the provider (a provider change reindexes them)."""
    return list(
        db.session.scalars(
            select(Declaration.professional_id).where(Declaration.provider_id == provider_id).distinct()
        )
    )


def any_declaration_sent() -> bool:
    return db.session.scalar(select(Declaration.id).limit(1)) is not None


def all_providers() -> list[tuple[int, str, str, str | None]]:
    rows = db.session.execute(
        select(Provider.id, Provider.name, Provider.slug, Provider.ods_code).order_by(Provider.id)
    )
    return [(r.id, r.name, r.slug, r.ods_code) for r in rows]
