"""What a provider's register publishes, as SQL: the entries and declarations as published, the
publication rules as conditions (the latest declaration of someone on the register, which items are
withheld or have expired, which declarations are shown), and reading declarations with their entries.
The pages (`providers`, `professionals`) and the search documents (`search_feed`) build on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Engagement,
    InterestVersion,
    Professional,
    Provider,
    WithholdingRequest,
)
from interests.rules.publication import (
    UNPUBLISHED_WITHHOLDING_STATUSES,
    action_is_shown,
    engagement_cutoff,
    expiry_cutoff,
)
from interests.rules.vocabulary import CATEGORY_BY_CODE, TYPE_BY_CODE
from interests.services.scope import engagement_exists

# --- what comes out ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry on a provider's register: an interest version as declared to that provider.

    Made only by `Entry.of`, both for the public register (from a sent declaration item) and for
    a professional's preview of what sending will publish (``declaring.preview``, from the
    version about to be sent, so `item_id` is None there): the two cannot drift apart.
    """

    item_id: int | None  # None in a preview: nothing has been sent yet
    interest_id: int
    version_number: int
    category: str
    interest_type: str
    other_party: str
    description: str
    value_pence: int | None
    relationship_to_professional: str | None
    date_from: date
    date_to: date | None
    management_action: str | None  # None until the provider has recorded one

    @classmethod
    def of(
        cls,
        version: InterestVersion | Row[*tuple[Any, ...]],
        *,
        item_id: int | None,
        management_action: str | None,
        action_recorded_at: datetime | None,
    ) -> Entry:
        """The entry for `version` (an InterestVersion, or a row of its columns) with the provider's
        action on it, which is shown once recorded (``rules.publication.action_is_shown``)."""
        shown = action_is_shown(management_action, action_recorded_at)
        return cls(
            item_id=item_id,
            interest_id=version.interest_id,
            version_number=version.version_number,
            category=version.category,
            interest_type=version.interest_type,
            other_party=version.other_party,
            description=version.description,
            value_pence=version.value_pence,
            relationship_to_professional=version.relationship_to_professional,
            date_from=version.date_from,
            date_to=version.date_to,
            management_action=(management_action or "").strip() if shown else None,
        )

    @property
    def category_label(self) -> str:
        return CATEGORY_BY_CODE[self.category].label

    @property
    def type_label(self) -> str:
        return TYPE_BY_CODE[self.interest_type].label


@dataclass
class PublishedDeclaration:
    declaration_id: int
    reference: str
    professional_id: int
    professional_name: str
    registration: str
    role: str | None
    provider_id: int
    provider_slug: str
    provider_name: str
    declared_on: date
    nil_return: bool
    entries: list[Entry] = field(default_factory=list)
    withheld: int = 0  # entries withheld from publication or awaiting a decision: a count only


@dataclass(frozen=True)
class RegisterFilters:
    category: str | None = None
    interest_type: str | None = None
    q: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.category or self.interest_type or self.q)


# --- the rules in SQL -------------------------------------------------------------------------


def _on_register(today: date, professional_col: Any, provider_col: Any) -> ColumnElement[bool]:
    """Engaged at the provider at some time from 6 months ago to today (`scope.engagement_exists`
    between `rules.publication.engagement_cutoff` and today): started, and not ended more than 6
    months ago."""
    return engagement_exists(professional_col, provider_col, engagement_cutoff(today), today)


def latest_declarations(today: date, *where: ColumnElement[bool]) -> Subquery:
    """The latest declaration of each professional on the register at each provider (among ``where``)."""
    rank = (
        func.row_number()
        .over(
            partition_by=(Declaration.professional_id, Declaration.provider_id),
            order_by=(Declaration.declared_on.desc(), Declaration.signed_at.desc(), Declaration.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(
            Declaration.id,
            Declaration.professional_id,
            Declaration.provider_id,
            Declaration.nil_return,
            Declaration.declared_on,
            rank,
        )
        .where(*where)
        .subquery("ranked")
    )
    return (
        select(
            ranked.c.id,
            ranked.c.professional_id,
            ranked.c.provider_id,
            ranked.c.nil_return,
            ranked.c.declared_on,
        )
        .where(ranked.c.rank == 1, _on_register(today, ranked.c.professional_id, ranked.c.provider_id))
        .subquery("latest")
    )


def not_withheld(provider_col: Any) -> ColumnElement[bool]:
    return ~exists().where(
        WithholdingRequest.interest_id == InterestVersion.interest_id,
        WithholdingRequest.provider_id == provider_col,
        WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
    )


def not_expired(today: date) -> ColumnElement[bool]:
    return or_(InterestVersion.date_to.is_(None), InterestVersion.date_to >= expiry_cutoff(today))


def like_pattern(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _item_filters(filters: RegisterFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.category:
        conditions.append(InterestVersion.category == filters.category)
    if filters.interest_type:
        conditions.append(InterestVersion.interest_type == filters.interest_type)
    return conditions


def _published_item_exists(
    declaration_col: Any, today: date, extra: Sequence[ColumnElement[bool]] = ()
) -> ColumnElement[bool]:
    # Its own alias of Declaration, so the withholding check correlates to this item's provider
    # (never to a declaration of an enclosing query).
    declaration = aliased(Declaration)
    return (
        select(DeclarationItem.id)
        .join(declaration, declaration.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(
            DeclarationItem.declaration_id == declaration_col,
            not_withheld(declaration.provider_id),
            not_expired(today),
            *extra,
        )
        .exists()
    )


def current_item_exists(declaration_col: Any, today: date) -> ColumnElement[bool]:
    """An entry that has not passed its 6 months after ending: published, or withheld (counted)."""
    return (
        select(DeclarationItem.id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(DeclarationItem.declaration_id == declaration_col, not_expired(today))
        .exists()
    )


def is_shown(
    latest: Subquery, today: date, filters: RegisterFilters = RegisterFilters()
) -> ColumnElement[bool]:
    """A latest declaration is shown if it is a nil return or has a current entry, published or
    withheld: someone whose entries are all withheld stays listed (with the count withheld).
    Filtered by category or type, only published entries match: a filter must not reveal what a
    withheld entry is."""
    if filters.category or filters.interest_type:
        return _published_item_exists(latest.c.id, today, _item_filters(filters))
    return or_(latest.c.nil_return.is_(True), current_item_exists(latest.c.id, today))


def text_match(latest: Subquery, today: date, q: str) -> ColumnElement[bool]:
    pattern = like_pattern(q)
    full_name = func.lower(Professional.given_name + " " + Professional.family_name)
    in_items = _published_item_exists(
        latest.c.id,
        today,
        [
            or_(
                func.lower(InterestVersion.other_party).like(pattern, escape="\\"),
                func.lower(InterestVersion.description).like(pattern, escape="\\"),
            )
        ],
    )
    return or_(full_name.like(pattern, escape="\\"), in_items)


def _entries(declaration_ids: Sequence[int], today: date, filters: RegisterFilters) -> dict[int, list[Entry]]:
    if not declaration_ids:
        return {}
    rows = db.session.execute(
        select(
            DeclarationItem.declaration_id,
            DeclarationItem.id,
            DeclarationItem.management_action,
            DeclarationItem.action_recorded_at,
            InterestVersion.interest_id,
            InterestVersion.version_number,
            InterestVersion.category,
            InterestVersion.interest_type,
            InterestVersion.other_party,
            InterestVersion.description,
            InterestVersion.value_pence,
            InterestVersion.relationship_to_professional,
            InterestVersion.date_from,
            InterestVersion.date_to,
        )
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(
            DeclarationItem.declaration_id.in_(declaration_ids),
            not_withheld(Declaration.provider_id),
            not_expired(today),
            *_item_filters(filters),
        )
        .order_by(DeclarationItem.declaration_id, InterestVersion.date_from.desc(), DeclarationItem.id)
    ).all()
    by_declaration: dict[int, list[Entry]] = {}
    for row in rows:
        by_declaration.setdefault(row.declaration_id, []).append(
            Entry.of(
                row,
                item_id=row.id,
                management_action=row.management_action,
                action_recorded_at=row.action_recorded_at,
            )
        )
    return by_declaration


def _withheld_counts(declaration_ids: Sequence[int], today: date) -> dict[int, int]:
    """How many current entries of each declaration are withheld or awaiting a decision (never
    filtered by category or type: the count is all the register says about them)."""
    if not declaration_ids:
        return {}
    rows = db.session.execute(
        select(DeclarationItem.declaration_id, func.count(DeclarationItem.id))
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(
            DeclarationItem.declaration_id.in_(declaration_ids),
            ~not_withheld(Declaration.provider_id),
            not_expired(today),
        )
        .group_by(DeclarationItem.declaration_id)
    )
    return {declaration_id: count for declaration_id, count in rows}


def roles(pairs: set[tuple[int, int]], today: date) -> dict[tuple[int, int], str]:
    """The role of each professional at each provider: the most recent engagement that keeps them on."""
    if not pairs:
        return {}
    professional_ids = {p for p, _ in pairs}
    # Selected by professional only (the (professional, provider) index); dates checked here.
    # With provider and date in the WHERE clause SQLite scanned whole trusts (measured 60 ms).
    cutoff = engagement_cutoff(today)
    rows = [
        row
        for row in db.session.execute(
            select(
                Engagement.professional_id,
                Engagement.provider_id,
                Engagement.role,
                Engagement.start_date,
                Engagement.end_date,
            )
            .where(Engagement.professional_id.in_(professional_ids))
            .order_by(Engagement.start_date, Engagement.id)
        )
        if row.start_date <= today and (row.end_date is None or row.end_date >= cutoff)
    ]
    found: dict[tuple[int, int], str] = {}
    for row in rows:  # later engagements overwrite earlier ones
        if (row.professional_id, row.provider_id) in pairs:
            found[(row.professional_id, row.provider_id)] = row.role
    return found


def published_declarations(
    declaration_ids: Sequence[int], today: date, filters: RegisterFilters
) -> list[PublishedDeclaration]:
    """Published declarations with their entries, in the order of ``declaration_ids``."""
    if not declaration_ids:
        return []
    rows = db.session.execute(
        select(
            Declaration.id,
            Declaration.reference,
            Declaration.declared_on,
            Declaration.nil_return,
            Professional.id.label("professional_id"),
            Professional.title,
            Professional.given_name,
            Professional.family_name,
            Professional.regulator,
            Professional.registration_number,
            Provider.id.label("provider_id"),
            Provider.slug,
            Provider.name.label("provider_name"),
        )
        .join(Professional, Professional.id == Declaration.professional_id)
        .join(Provider, Provider.id == Declaration.provider_id)
        .where(Declaration.id.in_(declaration_ids))
    ).all()
    entries = _entries(declaration_ids, today, filters)
    withheld = _withheld_counts(declaration_ids, today)
    roles_by_pair = roles({(r.professional_id, r.provider_id) for r in rows}, today)
    by_id = {}
    for r in rows:
        name = " ".join(part for part in (r.title, r.given_name, r.family_name) if part)
        by_id[r.id] = PublishedDeclaration(
            declaration_id=r.id,
            reference=r.reference,
            professional_id=r.professional_id,
            professional_name=name,
            registration=f"{r.regulator} {r.registration_number}",
            role=roles_by_pair.get((r.professional_id, r.provider_id)),
            provider_id=r.provider_id,
            provider_slug=r.slug,
            provider_name=r.provider_name,
            declared_on=r.declared_on,
            nil_return=r.nil_return,
            entries=entries.get(r.id, []),
            withheld=withheld.get(r.id, 0),
        )
    return [by_id[i] for i in declaration_ids if i in by_id]
