"""The registers as they will look once a declaration is sent, and which withholding follows an
interest to another provider."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Professional,
    WithholdingRequest,
)
from interests.rules.publication import UNPUBLISHED_WITHHOLDING_STATUSES, interest_is_shown
from interests.services.declaring.reading import Workplace, covered_versions, workplaces
from interests.services.register import Entry, roles

# --- The register as it will look ---------------------------------------------------------------


@dataclass(frozen=True)
class PreviewEntry:
    """One entry of a preview: the register's own entry, and why it will not be published if so.

    `hidden_reason` is set when a withholding request keeps the entry off that register; the
    public register never lists such an entry at all, the preview lists it to say so.
    """

    entry: Entry
    hidden_reason: str | None = None


@dataclass
class ProviderPreview:
    workplace: Workplace
    role: str | None  # the role the register shows beside the name
    entries: list[PreviewEntry] = field(default_factory=list)


def _latest_actions(
    provider_ids: Iterable[int], version_ids: Iterable[int]
) -> dict[tuple[int, int], DeclarationItem]:
    """(provider id, interest version id) -> the latest declaration item with a management action."""
    provider_ids, version_ids = list(provider_ids), list(version_ids)
    if not provider_ids or not version_ids:
        return {}
    rows = db.session.execute(
        select(Declaration.provider_id, DeclarationItem)
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .where(
            Declaration.provider_id.in_(provider_ids),
            DeclarationItem.interest_version_id.in_(version_ids),
            DeclarationItem.management_action.is_not(None),
        )
        .order_by(DeclarationItem.action_recorded_at, DeclarationItem.id)
    ).all()
    return {(provider_id, item.interest_version_id): item for provider_id, item in rows}


def preview(professional: Professional, on: date) -> list[ProviderPreview]:
    """Each workplace's register entries for this professional as sending today would publish them.

    The entries are what the register will make of the declaration items `_send` creates: the
    covered versions, each with the management action it carries forward, built by the register's
    own `Entry.of`, kept by the same publication rules (an interest shown until 6 months after it
    ends) and in the register's order (newest first; then as sent). The one difference: an entry a
    withholding request keeps off a register is listed too, saying why it will not be published.
    """
    places = workplaces(professional, on)
    versions = [v for v in covered_versions(professional, on) if interest_is_shown(v.date_to, on)]
    # The register orders a declaration's entries by date_from (newest first), then by item id;
    # `_send` adds the items in covered_versions order (oldest first, then by interest id).
    versions.sort(key=lambda v: (-v.date_from.toordinal(), v.interest_id))
    actions = _latest_actions((w.provider.id for w in places), (v.id for v in versions))
    hidden = _withheld_pairs({v.interest_id for v in versions})
    asked, follows = _withholding_to_follow({v.interest_id for v in versions})
    role_at = roles({(professional.id, w.provider.id) for w in places}, on)
    previews = []
    for place in places:
        entries = []
        for version in versions:
            item = actions.get((place.provider.id, version.id))
            status = hidden.get((version.interest_id, place.provider.id))
            entry = Entry.of(
                version,
                item_id=None,
                management_action=item.management_action if item else None,
                action_recorded_at=item.action_recorded_at if item else None,
            )
            reason = _HIDDEN_REASONS.get(status, _HIDDEN_OTHERWISE) if status else None
            source = follows.get(version.interest_id)
            if (
                status is None
                and source is not None
                and (version.interest_id, place.provider.id) not in asked
            ):
                reason = (
                    f"Not published: you asked {source.provider.name} to withhold it, so "
                    f"{place.provider.name} will be asked to decide too, for the same reason."
                )
            entries.append(PreviewEntry(entry, hidden_reason=reason))
        previews.append(
            ProviderPreview(
                workplace=place, role=role_at.get((professional.id, place.provider.id)), entries=entries
            )
        )
    return previews


_HIDDEN_REASONS = {
    "pending": "Not published while the provider decides on your request to withhold it.",
    "approved": "Not published: the provider agreed to withhold it.",
}
_HIDDEN_OTHERWISE = "Not published while your request to withhold it is open."


def _withheld_pairs(interest_ids: set[int]) -> dict[tuple[int, int], str]:
    """(interest id, provider id) -> "pending" or "approved" for entries not to be published."""
    if not interest_ids:
        return {}
    rows = db.session.execute(
        select(
            WithholdingRequest.interest_id, WithholdingRequest.provider_id, WithholdingRequest.status
        ).where(
            WithholdingRequest.interest_id.in_(interest_ids),
            WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
        )
    ).all()
    result: dict[tuple[int, int], str] = {}
    for interest_id, provider_id, status in rows:
        # "approved" wins over "pending" for the same pair: either way it is not published.
        if result.get((interest_id, provider_id)) != "approved":
            result[(interest_id, provider_id)] = status
    return result


def _withholding_to_follow(
    interest_ids: set[int],
) -> tuple[set[tuple[int, int]], dict[int, WithholdingRequest]]:
    """Withholding follows the interest (product card, "Identity and consent across providers").

    Returns every (interest id, provider id) with a request of any status - that provider has been
    asked, and its decision stands - and, per interest, the request another provider should be
    asked the same as: an approved one first, else the newest pending one.
    """
    if not interest_ids:
        return set(), {}
    requests = db.session.scalars(
        select(WithholdingRequest)
        .where(WithholdingRequest.interest_id.in_(interest_ids))
        .options(selectinload(WithholdingRequest.provider))
        .order_by(WithholdingRequest.requested_at, WithholdingRequest.id)
    ).all()
    asked = {(r.interest_id, r.provider_id) for r in requests}
    follows: dict[int, WithholdingRequest] = {}
    for request in requests:
        if request.status not in UNPUBLISHED_WITHHOLDING_STATUSES:
            continue
        chosen = follows.get(request.interest_id)
        if chosen is None or chosen.status != "approved":
            follows[request.interest_id] = request
    return asked, follows
