"""A provider's public register (its pages, downloads and counts) and the list of providers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    InterestVersion,
    Professional,
    Provider,
    WithholdingRequest,
)
from interests.rules.publication import (
    UNPUBLISHED_WITHHOLDING_STATUSES,
)
from interests.services.paging import Page
from interests.services.register.published import (
    PublishedDeclaration,
    RegisterFilters,
    is_shown,
    latest_declarations,
    like_pattern,
    not_expired,
    published_declarations,
    text_match,
)

MAX_PER_PAGE = 100


# --- a provider's register --------------------------------------------------------------------


def _register_select(provider_id: int, today: date, filters: RegisterFilters) -> Select[Any]:
    latest = latest_declarations(today, Declaration.provider_id == provider_id)
    stmt = (
        select(latest.c.id)
        .join(Professional, Professional.id == latest.c.professional_id)
        .where(is_shown(latest, today, filters))
    )
    if filters.q and filters.q.strip():
        stmt = stmt.where(text_match(latest, today, filters.q))
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
    return Page(published_declarations(ids, today, filters), total, page, per_page)


def iter_register(provider: Provider, today: date, *, chunk: int = 500) -> Iterator[PublishedDeclaration]:
    """Every published declaration of a provider, for downloads: read in chunks, never all at once."""
    ids = list(db.session.scalars(_register_select(provider.id, today, RegisterFilters())))
    for start in range(0, len(ids), chunk):
        yield from published_declarations(ids[start : start + chunk], today, RegisterFilters())


def withheld_count(provider: Provider, today: date) -> int:
    """Entries on the latest declarations that are withheld or awaiting a withholding decision."""
    latest = latest_declarations(today, Declaration.provider_id == provider.id)
    withheld = exists().where(
        WithholdingRequest.interest_id == InterestVersion.interest_id,
        WithholdingRequest.provider_id == provider.id,
        WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
    )
    stmt = (
        select(func.count(DeclarationItem.id))
        .join(latest, latest.c.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(withheld, not_expired(today))
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
        pattern = like_pattern(q)
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
