"""What changed on the register, as published: the one source of the Atom feeds and the alert digests.

A change is derived from the published data only, through the same functions as the register's
pages (`published`): each professional's latest declaration shown at a provider, and of its items
those published today (never withheld, awaiting a decision, expired, or unsent). So a withheld
entry never becomes a change, and an entry withheld after it was published drops out of the feeds.

Kinds of change, each with a stable key (a feed entry's id) and a moment:
- ``declared``: a declaration published (the moment it was sent), with its published entries;
- ``changed``: an interest whose published version differs from the one first declared to that
  provider (the moment that version was first sent there);
- ``ended``: an interest declared with an end date (the moment that version was first sent there);
- ``action``: the provider's management action on an entry, once recorded (the moment recorded).

Reads at most ``limit`` declarations and ``limit`` actions, newest first, by indexed columns: never
a provider's whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from interests.extensions import db
from interests.models import Declaration, DeclarationItem, InterestVersion
from interests.services.register.published import (
    Entry,
    PublishedDeclaration,
    RegisterFilters,
    is_shown,
    latest_declarations,
    published_declarations,
)

DEFAULT_LIMIT = 50
KINDS = ("declared", "changed", "ended", "action")


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    key: str  # stable: the same change always has the same key
    at: datetime  # UTC
    title: str  # plain English, plain text
    text: str  # plain text (never markup: callers escape it)
    professional_id: int
    professional_name: str
    provider_slug: str
    provider_name: str


def long_date(day: date) -> str:
    """1 April 2025."""
    return f"{day.day} {day:%B %Y}"


def _money(pence: int) -> str:
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}" if not rest else f"£{pounds:,}.{rest:02d}"


def describe(entry: Entry) -> str:
    """One published entry as a line of plain text."""
    parts = [f"{entry.category_label}, {entry.type_label.lower()}: {entry.other_party}."]
    if entry.description.strip():
        parts.append(entry.description.strip().rstrip(".") + ".")
    if entry.relationship_to_professional:
        parts.append(f"Whose interest: {entry.relationship_to_professional}.")
    if entry.value_pence is not None:
        parts.append(f"Value: {_money(entry.value_pence)}.")
    if entry.date_to is None:
        parts.append(f"From {long_date(entry.date_from)}.")
    else:
        parts.append(f"From {long_date(entry.date_from)} to {long_date(entry.date_to)}.")
    if entry.management_action:
        parts.append(f"How the provider manages it: {entry.management_action}")
    return " ".join(parts)


def _declared(d: PublishedDeclaration, at: datetime) -> Change:
    if d.nil_return:
        title = (
            f"{d.professional_name} declared no interests to {d.provider_name} on {long_date(d.declared_on)}"
        )
        lines = ["No interests declared."]
    else:
        title = f"{d.professional_name} declared to {d.provider_name} on {long_date(d.declared_on)}"
        lines = [f"- {describe(entry)}" for entry in d.entries]
    if d.withheld:
        lines.append(
            f"{d.withheld} {'entry is' if d.withheld == 1 else 'entries are'} withheld, "
            "or waiting for a decision about withholding."
        )
    role = f" ({d.role})" if d.role else ""
    text = (
        f"{d.professional_name}{role} declared to {d.provider_name} on {long_date(d.declared_on)}.\n"
        + "\n".join(lines)
    )
    return _change("declared", f"declaration/{d.declaration_id}", at, title, text, d)


def _change(kind: str, key: str, at: datetime, title: str, text: str, d: PublishedDeclaration) -> Change:
    return Change(
        kind=kind,
        key=key,
        at=at,
        title=title,
        text=text,
        professional_id=d.professional_id,
        professional_name=d.professional_name,
        provider_slug=d.provider_slug,
        provider_name=d.provider_name,
    )


def _interest_change(kind: str, d: PublishedDeclaration, entry: Entry, at: datetime) -> Change:
    what = f"{entry.other_party} ({entry.type_label.lower()})"
    if kind == "ended":
        assert entry.date_to is not None
        title = f"Interest ended: {d.professional_name}, {what}, ended {long_date(entry.date_to)}"
    else:
        title = f"Interest changed: {d.professional_name}, {what}"
    text = f"{title}. As declared to {d.provider_name} on {long_date(d.declared_on)}:\n{describe(entry)}"
    key = f"provider/{d.provider_id}/interest/{entry.interest_id}/version/{entry.version_number}/{kind}"
    return _change(kind, key, at, f"{title}, at {d.provider_name}", text, d)


def _action(d: PublishedDeclaration, entry: Entry, at: datetime) -> Change:
    title = f"Management action recorded: {d.professional_name}, {entry.other_party}, at {d.provider_name}"
    text = (
        f"{d.provider_name} recorded how it manages this interest of {d.professional_name}:\n"
        f"{entry.management_action}\n\nThe interest: {describe(entry)}"
    )
    return _change("action", f"declaration-item/{entry.item_id}/action", at, title, text, d)


def _first_sent(
    declarations: Sequence[PublishedDeclaration],
) -> dict[tuple[int, int], dict[int, datetime]]:
    """When each version of these declarations' interests was first sent to each provider:
    (provider id, interest id) -> {version number: moment}. Looked up by interest (indexed)."""
    interest_ids = {e.interest_id for d in declarations for e in d.entries}
    provider_ids = {d.provider_id for d in declarations}
    if not interest_ids:
        return {}
    rows = db.session.execute(
        select(
            Declaration.provider_id,
            InterestVersion.interest_id,
            InterestVersion.version_number,
            func.min(Declaration.signed_at).label("first"),
        )
        .select_from(DeclarationItem)
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(
            InterestVersion.interest_id.in_(sorted(interest_ids)),
            Declaration.provider_id.in_(sorted(provider_ids)),
        )
        .group_by(Declaration.provider_id, InterestVersion.interest_id, InterestVersion.version_number)
    ).all()
    found: dict[tuple[int, int], dict[int, datetime]] = {}
    for r in rows:
        found.setdefault((r.provider_id, r.interest_id), {})[r.version_number] = r.first
    return found


def _changes(where: ColumnElement[bool], today: date, since: datetime | None, limit: int) -> list[Change]:
    latest = latest_declarations(today, where)
    recent = (
        select(latest.c.id, Declaration.signed_at)
        .join(Declaration, Declaration.id == latest.c.id)
        .where(is_shown(latest, today))
    )
    actions = (
        select(DeclarationItem.id, DeclarationItem.declaration_id, DeclarationItem.action_recorded_at)
        .join(latest, latest.c.id == DeclarationItem.declaration_id)
        .where(is_shown(latest, today), DeclarationItem.action_recorded_at.is_not(None))
    )
    if since is not None:
        recent = recent.where(Declaration.signed_at > since)
        actions = actions.where(DeclarationItem.action_recorded_at > since)
    signed: dict[int, datetime] = {
        r.id: r.signed_at
        for r in db.session.execute(
            recent.order_by(Declaration.signed_at.desc(), latest.c.id.desc()).limit(limit)
        )
    }
    recorded: dict[int, datetime] = {
        r.id: r.action_recorded_at
        for r in db.session.execute(
            actions.order_by(DeclarationItem.action_recorded_at.desc(), DeclarationItem.id.desc()).limit(
                limit
            )
        )
    }
    action_declarations = list(
        db.session.scalars(
            select(DeclarationItem.declaration_id).where(DeclarationItem.id.in_(sorted(recorded)))
        )
    )
    ids = sorted(set(signed) | set(action_declarations))
    declarations = published_declarations(ids, today, RegisterFilters())
    first_sent = _first_sent([d for d in declarations if d.declaration_id in signed])
    found: list[Change] = []
    for d in declarations:
        for entry in d.entries:
            if entry.item_id in recorded and entry.management_action:
                found.append(_action(d, entry, recorded[entry.item_id]))
        if d.declaration_id not in signed:
            continue
        found.append(_declared(d, signed[d.declaration_id]))
        for entry in d.entries:
            versions = first_sent.get((d.provider_id, entry.interest_id), {})
            at = versions.get(entry.version_number, signed[d.declaration_id])
            if since is not None and at <= since:
                continue  # told before: this version was first sent earlier
            if entry.date_to is not None:
                found.append(_interest_change("ended", d, entry, at))
            elif versions and min(versions) < entry.version_number:
                found.append(_interest_change("changed", d, entry, at))
    found.sort(key=lambda c: (c.at, c.key), reverse=True)
    return found[:limit]


def provider_changes(
    provider_id: int, today: date, *, since: datetime | None = None, limit: int = DEFAULT_LIMIT
) -> list[Change]:
    """The latest changes on a provider's register, newest first."""
    return _changes(Declaration.provider_id == provider_id, today, since, limit)


def professional_changes(
    professional_ids: Sequence[int], today: date, *, since: datetime | None = None, limit: int = DEFAULT_LIMIT
) -> list[Change]:
    """The latest changes to these professionals' published entries at every provider, newest first."""
    if not professional_ids:
        return []
    ids: Any = sorted(set(professional_ids))
    return _changes(Declaration.professional_id.in_(ids), today, since, limit)
