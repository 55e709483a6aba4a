"""THE one place that decides what is published. Every public page, download, API response and
the search index read published data through these functions, never from the models directly.

Published, for a provider (rules in ``interests.rules.publication``):
- each in-scope professional's LATEST declaration to that provider (a declaration is a snapshot:
  the latest replaces the earlier ones there); a nil return shows "No interests declared";
- of its items, those whose interest has no pending or approved withholding request at that
  provider, and which ended no more than 6 months ago (or have not ended);
- how many of its items are withheld (or awaiting a decision): only the number. A professional
  whose entries are all withheld stays listed, so that disappearing reveals nothing;
- the provider's management action beside each entry, once recorded.
Only interest versions that were sent in a declaration are ever read here: drafts and unsent
versions are never reachable. Nothing here reads an email address or an account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, exists, func, or_, select, union
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

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
    WithholdingRequest,
)
from interests.rules.publication import (
    UNPUBLISHED_WITHHOLDING_STATUSES,
    action_is_shown,
    engagement_cutoff,
    engagement_shown_until,
    expiry_cutoff,
    interest_shown_until,
)
from interests.rules.vocabulary import CATEGORY_BY_CODE, TYPE_BY_CODE
from interests.search import PersonDocument
from interests.services.paging import Page

MAX_PER_PAGE = 100


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


# --- the rules in SQL -------------------------------------------------------------------------


def _in_scope(today: date, professional_col: Any, provider_col: Any) -> ColumnElement[bool]:
    """An engagement at the provider that started and has not ended more than 6 months ago."""
    return exists().where(
        Engagement.professional_id == professional_col,
        Engagement.provider_id == provider_col,
        # coalesce() keeps SQLite's planner on the (professional, provider) index: with a bare
        # start_date it chose (provider, start_date) and scanned a whole trust per row (1.5 s
        # per 2,000 professionals at 20k; measured).
        func.coalesce(Engagement.start_date, Engagement.start_date) <= today,
        or_(Engagement.end_date.is_(None), Engagement.end_date >= engagement_cutoff(today)),
    )


def _latest(today: date, *where: ColumnElement[bool]) -> Subquery:
    """The latest declaration of each in-scope professional at each provider (among ``where``)."""
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
        .where(ranked.c.rank == 1, _in_scope(today, ranked.c.professional_id, ranked.c.provider_id))
        .subquery("latest")
    )


def _not_withheld(provider_col: Any) -> ColumnElement[bool]:
    return ~exists().where(
        WithholdingRequest.interest_id == InterestVersion.interest_id,
        WithholdingRequest.provider_id == provider_col,
        WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
    )


def _not_expired(today: date) -> ColumnElement[bool]:
    return or_(InterestVersion.date_to.is_(None), InterestVersion.date_to >= expiry_cutoff(today))


def _like(text: str) -> str:
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
            _not_withheld(declaration.provider_id),
            _not_expired(today),
            *extra,
        )
        .exists()
    )


def _current_item_exists(declaration_col: Any, today: date) -> ColumnElement[bool]:
    """An entry that has not passed its 6 months after ending: published, or withheld (counted)."""
    return (
        select(DeclarationItem.id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(DeclarationItem.declaration_id == declaration_col, _not_expired(today))
        .exists()
    )


def _shown(
    latest: Subquery, today: date, filters: RegisterFilters = RegisterFilters()
) -> ColumnElement[bool]:
    """A latest declaration is shown if it is a nil return or has a current entry, published or
    withheld: someone whose entries are all withheld stays listed (with the count withheld).
    Filtered by category or type, only published entries match: a filter must not reveal what a
    withheld entry is."""
    if filters.category or filters.interest_type:
        return _published_item_exists(latest.c.id, today, _item_filters(filters))
    return or_(latest.c.nil_return.is_(True), _current_item_exists(latest.c.id, today))


def _text_match(latest: Subquery, today: date, q: str) -> ColumnElement[bool]:
    pattern = _like(q)
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
            _not_withheld(Declaration.provider_id),
            _not_expired(today),
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
            ~_not_withheld(Declaration.provider_id),
            _not_expired(today),
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


def _declarations(
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


# --- a provider's register --------------------------------------------------------------------


def _register_select(provider_id: int, today: date, filters: RegisterFilters) -> Select[Any]:
    latest = _latest(today, Declaration.provider_id == provider_id)
    stmt = (
        select(latest.c.id)
        .join(Professional, Professional.id == latest.c.professional_id)
        .where(_shown(latest, today, filters))
    )
    if filters.q and filters.q.strip():
        stmt = stmt.where(_text_match(latest, today, filters.q))
    return stmt.order_by(
        func.lower(Professional.family_name), func.lower(Professional.given_name), Professional.id
    )


def register_page(
    provider: Provider,
    today: date,
    *,
    page: int = 1,
    per_page: int = 25,
    filters: RegisterFilters = RegisterFilters(),
) -> Page:
    """One page of a provider's published register: declarations ordered by family name."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    stmt = _register_select(provider.id, today, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    ids = list(db.session.scalars(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return Page(_declarations(ids, today, filters), total, page, per_page)


def iter_register(provider: Provider, today: date, *, chunk: int = 500) -> Iterator[PublishedDeclaration]:
    """Every published declaration of a provider, for downloads: read in chunks, never all at once."""
    ids = list(db.session.scalars(_register_select(provider.id, today, RegisterFilters())))
    for start in range(0, len(ids), chunk):
        yield from _declarations(ids[start : start + chunk], today, RegisterFilters())


def withheld_count(provider: Provider, today: date) -> int:
    """Entries on the latest declarations that are withheld or awaiting a withholding decision."""
    latest = _latest(today, Declaration.provider_id == provider.id)
    withheld = exists().where(
        WithholdingRequest.interest_id == InterestVersion.interest_id,
        WithholdingRequest.provider_id == provider.id,
        WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
    )
    stmt = (
        select(func.count(DeclarationItem.id))
        .join(latest, latest.c.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(withheld, _not_expired(today))
    )
    return db.session.scalar(stmt) or 0


def last_updated(provider: Provider) -> datetime | None:
    """When the register last changed: the latest declaration sent, or the provider's own stamp."""
    latest_sent = db.session.scalar(
        select(func.max(Declaration.signed_at)).where(Declaration.provider_id == provider.id)
    )
    stamps = [s for s in (provider.register_updated_at, latest_sent) if s is not None]
    return max(stamps) if stamps else None


def published_count(provider: Provider, today: date) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(
                _register_select(provider.id, today, RegisterFilters()).order_by(None).subquery()
            )
        )
        or 0
    )


# --- providers ----------------------------------------------------------------------------------


def provider_by_slug(slug: str) -> Provider | None:
    return db.session.scalar(select(Provider).where(Provider.slug == slug))


def providers_page(
    *,
    q: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Providers A-Z, filtered; every provider is public (organisations, not people)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    stmt = select(Provider)
    if q and q.strip():
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                func.lower(Provider.name).like(pattern, escape="\\"),
                func.lower(Provider.ods_code) == q.strip().lower(),
            )
        )
    if kind:
        stmt = stmt.where(Provider.kind == kind)
    if region:
        stmt = stmt.where(Provider.region == region)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        db.session.scalars(
            stmt.order_by(func.lower(Provider.name), Provider.id)
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
    return Page(rows, total, page, per_page)


def providers_by_ids(ids: Sequence[int]) -> dict[int, Provider]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Provider).where(Provider.id.in_(ids)))}


# --- a professional ---------------------------------------------------------------------------


def professional_record(professional_id: int, today: date) -> ProfessionalRecord | None:
    """A professional's published interests at every provider, and the history of changes.

    None when nothing about them is published (the page is then "not found"): a professional
    with no published declaration has no public page.
    """
    professional = db.session.get(Professional, professional_id)
    if professional is None:
        return None
    latest = _latest(today, Declaration.professional_id == professional_id)
    current_ids = list(
        db.session.scalars(
            select(latest.c.id)
            .join(Provider, Provider.id == latest.c.provider_id)
            .where(_shown(latest, today))
            .order_by(func.lower(Provider.name))
        )
    )
    if not current_ids:
        return None
    current = _declarations(current_ids, today, RegisterFilters())
    provider_ids = [d.provider_id for d in current]
    # History: earlier declarations at the same providers - only versions that were sent.
    earlier = select(Declaration.id).where(
        Declaration.professional_id == professional_id,
        Declaration.provider_id.in_(provider_ids),
        Declaration.id.not_in(current_ids),
        or_(Declaration.nil_return.is_(True), _current_item_exists(Declaration.id, today)),
    )
    history_ids = list(
        db.session.scalars(
            earlier.order_by(Declaration.declared_on.desc(), Declaration.signed_at.desc()).limit(100)
        )
    )
    history = _declarations(history_ids, today, RegisterFilters())
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
    )


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
    latest = _latest(today, Declaration.professional_id.in_(professional_ids))
    rows = db.session.execute(
        select(latest.c.professional_id, Provider.id, Provider.slug, Provider.name)
        .join(Provider, Provider.id == latest.c.provider_id)
        .where(_shown(latest, today))
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
    latest = _latest(today, which)
    shown = db.session.execute(
        select(latest.c.id, latest.c.professional_id, latest.c.provider_id).where(_shown(latest, today))
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
            .where(Declaration.id.in_(chunk), _not_withheld(Declaration.provider_id), _not_expired(today))
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
