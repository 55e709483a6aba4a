"""Import a provider's staff list from CSV: check the file (`staff.checking`), then save it.

The whole file is checked before anything is saved, and nothing is saved until the file is clean.
A clean file is applied in bulk: existing professionals are looked up by regulator and
registration number in a few queries, new ones inserted, and each person's engagement at the
provider created or updated. Importing the same file again changes nothing. Each line's email is
this provider's record of the person (its engagement): it never changes the professional's
account or another provider's record. Everyone new to this provider is asked once to confirm they
work here (`services/invitations.py`).

The checking's names are re-exported here, so one module answers for the whole import:
`importing.check`, `importing.save`, `importing.import_staff`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from interests.extensions import among, bulk_insert, db
from interests.models import Account, Engagement, Professional, Provider, StaffImport, keep_counted, utcnow
from interests.services import audit, search_index
from interests.services.accounts import normalise_email
from interests.services.staff.checking import (
    COLUMNS,
    EMAIL_PATTERN,
    MAX_PROBLEMS_SHOWN,
    Checked,
    ImportRefused,
    Problem,
    Progress,
    StaffRow,
    check,
    sha256,
    template_csv,
)

BATCH = 2000  # rows per insert or executemany; lookups ask for at most this many values at once


# --- Saving a clean file ----------------------------------------------------------------------


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_professionals(rows: list[StaffRow]) -> dict[tuple[str, str], int]:
    by_regulator: dict[str, list[str]] = {}
    for row in rows:
        by_regulator.setdefault(row.regulator, []).append(row.registration_number)
    found: dict[tuple[str, str], int] = {}
    for regulator, numbers in by_regulator.items():
        for chunk in _chunks(numbers):
            statement = select(
                Professional.id, Professional.regulator, Professional.registration_number
            ).where(Professional.regulator == regulator, among(Professional.registration_number, chunk))
            for pid, reg, number in db.session.execute(statement):
                found[(reg, number)] = pid
    return found


_ENGAGEMENT_FIELDS = ("engagement_type", "role", "department", "start_date", "end_date", "decision_maker")


@dataclass
class Outcome:
    staff_import: StaffImport
    professionals_created: int
    engagements_created: int
    engagements_updated: int
    unchanged: int
    invitations_sent: int

    @property
    def changed_anything(self) -> bool:
        return bool(self.professionals_created or self.engagements_created or self.engagements_updated)


def import_staff(
    provider: Provider,
    content: bytes,
    *,
    filename: str,
    actor: Account | None,
    progress: Progress | None = None,
    invite: bool = True,
) -> Outcome:
    """Check the file; if clean, apply it in the current transaction (the caller commits).

    Raises ImportRefused (nothing added to the session) when the file has problems.
    """
    checked = check(content, progress=progress)
    if not checked.ok:
        raise ImportRefused(checked)
    return save(provider, checked, filename=filename, actor=actor, progress=progress, invite=invite)


@dataclass
class _Plan:
    """What a checked file changes in the provider's engagements."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    readdressed: list[int] = field(default_factory=list)  # engagements whose recorded address changes
    unchanged: int = 0
    changed: set[int] = field(default_factory=set)  # professionals with an engagement added or changed


def save(
    provider: Provider,
    checked: Checked,
    *,
    filename: str,
    actor: Account | None,
    progress: Progress | None = None,
    invite: bool = True,
) -> Outcome:
    """Apply a clean, checked file in the current transaction (the caller commits)."""
    if not checked.ok:
        raise ImportRefused(checked)
    rows = checked.rows
    existing, new_people = _add_new_people(rows, progress)
    professional_ids = [existing[(row.regulator, row.registration_number)] for row in rows]
    plan = _plan(provider, rows, professional_ids)
    asked_at = _mark_to_ask(plan.inserts) if invite else None
    _write(plan, progress)
    # The rows went in as Core statements, around the session that keeps counted_engagement.
    keep_counted(db.session.connection(), [(provider.id, pid) for pid in plan.changed])
    _reask_at_new_addresses(plan.readdressed)
    invitations_sent = _invite(provider, professional_ids, actor, progress, asked_at) if invite else 0
    outcome = Outcome(
        staff_import=StaffImport(
            provider_id=provider.id,
            filename=filename[:255],
            file_sha256=checked.sha256,
            account_id=actor.id if actor else None,
            rows=len(rows),
            professionals_created=len(new_people),
            engagements_created=len(plan.inserts),
            engagements_updated=len(plan.updates),
            unchanged=plan.unchanged,
            invitations_sent=invitations_sent,
        ),
        professionals_created=len(new_people),
        engagements_created=len(plan.inserts),
        engagements_updated=len(plan.updates),
        unchanged=plan.unchanged,
        invitations_sent=invitations_sent,
    )
    _record(provider, outcome, plan, filename=filename, sha256=checked.sha256, actor=actor)
    if plan.inserts or plan.updates:
        # Roles and who works here appear on the public register.
        search_index.schedule(provider_id=provider.id)
    return outcome


def _add_new_people(
    rows: list[StaffRow], progress: Progress | None
) -> tuple[dict[tuple[str, str], int], list[StaffRow]]:
    """Add the people the register does not know yet; every line's (regulator, number) to an id."""
    existing = _existing_professionals(rows)
    new_people = [row for row in rows if (row.regulator, row.registration_number) not in existing]
    for done, chunk in enumerate(_chunks(new_people), start=1):
        bulk_insert(
            Professional,
            [
                {
                    "given_name": row.given_name,
                    "family_name": row.family_name,
                    "regulator": row.regulator,
                    "registration_number": row.registration_number,
                    "profession": row.profession,
                }
                for row in chunk
            ],
        )
        if progress is not None:
            progress("adding people", min(done * BATCH, len(new_people)), len(new_people))
    if new_people:
        existing.update(_existing_professionals(new_people))  # their new ids
    return existing, new_people


def _plan(provider: Provider, rows: list[StaffRow], professional_ids: list[int]) -> _Plan:
    """Each line against the provider's engagements of that person (read in one query)."""
    engagements: dict[int, list[Any]] = {}
    wanted = set(professional_ids)
    statement = select(
        Engagement.id,
        Engagement.professional_id,
        Engagement.email,
        *[getattr(Engagement, f) for f in _ENGAGEMENT_FIELDS],
    ).where(Engagement.provider_id == provider.id)
    for record in db.session.execute(statement):
        if record.professional_id in wanted:
            engagements.setdefault(record.professional_id, []).append(record)
    plan = _Plan()
    for row, pid in zip(rows, professional_ids, strict=True):
        values: dict[str, Any] = {
            "engagement_type": row.engagement_type,
            "role": row.role,
            "department": row.department,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "decision_maker": row.decision_maker,
        }
        mine = engagements.get(pid)
        if not mine:
            plan.inserts.append(
                {"professional_id": pid, "provider_id": provider.id, "email": row.email, **values}
            )
            plan.changed.add(pid)
            continue
        # The engagement this line describes: the same type if there is one, else the latest started.
        same_type = [e for e in mine if e.engagement_type == row.engagement_type]
        target = max(same_type or mine, key=lambda e: (e.start_date, e.id))
        current = {name: getattr(target, name) for name in (*_ENGAGEMENT_FIELDS, "email")}
        # A blank email keeps the address this provider recorded before; a new one replaces it.
        values = {**values, "email": row.email or target.email}
        if current == values:
            plan.unchanged += 1
        else:
            plan.updates.append({"id": target.id, **values})
            plan.changed.add(pid)
            if normalise_email(target.email or "") != normalise_email(values["email"] or ""):
                plan.readdressed.append(target.id)
    return plan


def _mark_to_ask(inserts: list[dict[str, Any]]) -> datetime:
    """Mark the new engagements whose professional will be asked to confirm them as asked now, before
    they are inserted (``invitations.ask_to_confirm``'s ``marked_at``); return that time."""
    from interests.services import invitations

    now = utcnow()
    account_emails: dict[int | None, str] = {}
    for chunk in _chunks(sorted({row["professional_id"] for row in inserts})):
        holders = select(Account.professional_id, Account.email).where(among(Account.professional_id, chunk))
        account_emails.update((pid, email) for pid, email in db.session.execute(holders))
    for row in inserts:
        asked = invitations.can_ask(row["email"], account_emails.get(row["professional_id"]))
        row["asked_at"] = now if asked else None
    return now


def _write(plan: _Plan, progress: Progress | None) -> None:
    for done, chunk in enumerate(_chunks(plan.inserts), start=1):
        bulk_insert(Engagement, chunk)
        if progress is not None:
            progress("adding engagements", min(done * BATCH, len(plan.inserts)), len(plan.inserts))
    for done, chunk in enumerate(_chunks(plan.updates), start=1):
        db.session.execute(update(Engagement), chunk)
        if progress is not None:
            progress("updating engagements", min(done * BATCH, len(plan.updates)), len(plan.updates))


def _reask_at_new_addresses(readdressed: list[int]) -> None:
    """A changed address is a correction: a link still out at the old one must not work (it may be a
    stranger's), and an engagement not yet confirmed is asked again at the new one. A confirmed
    engagement stays confirmed and is not asked again: the address is only this provider's record."""
    from interests.services import invitations

    invitations.retire_links(readdressed)
    for chunk in _chunks(readdressed):
        db.session.execute(
            update(Engagement)
            .where(among(Engagement.id, chunk), Engagement.confirmed_at.is_(None))
            .values(asked_at=None)
            .execution_options(synchronize_session=False)
        )


def _invite(
    provider: Provider,
    professional_ids: list[int],
    actor: Account | None,
    progress: Progress | None,
    asked_at: datetime | None,
) -> int:
    """Ask everyone on the file whose engagement here was never asked, confirmed or rejected, and
    the new engagements marked as asked at ``asked_at`` (``_mark_to_ask``)."""
    from interests.services import invitations

    never_asked: list[int] = []
    marked: list[int] = []
    for chunk in _chunks(sorted(set(professional_ids))):
        for engagement_id, asked in db.session.execute(
            select(Engagement.id, Engagement.asked_at).where(
                Engagement.provider_id == provider.id,
                among(Engagement.professional_id, chunk),
                or_(Engagement.asked_at.is_(None), Engagement.asked_at == asked_at),
                Engagement.confirmed_at.is_(None),
                Engagement.rejected_at.is_(None),
            )
        ):
            (never_asked if asked is None else marked).append(engagement_id)
    total = len(never_asked) + len(marked)
    if progress is not None:
        progress("inviting", 0, total)
    sent = invitations.ask_to_confirm(provider, never_asked, actor=actor)
    if marked:
        sent += invitations.ask_to_confirm(provider, marked, actor=actor, marked_at=asked_at)
    if progress is not None:
        progress("inviting", total, total)
    return sent


def _record(
    provider: Provider, outcome: Outcome, plan: _Plan, *, filename: str, sha256: str, actor: Account | None
) -> None:
    """Keep the import and audit it (with the engagements it changed)."""
    db.session.add(outcome.staff_import)
    db.session.flush()
    total = outcome.staff_import.rows
    audit.record(
        "staff.imported",
        outcome.staff_import,
        actor=actor,
        provider_id=provider.id,
        summary=(
            f"Imported {total:,} staff from {filename}: {len(plan.inserts):,} engagements added, "
            f"{len(plan.updates):,} changed, {plan.unchanged:,} unchanged"
        ),
        data={
            "rows": total,
            "professionals_created": outcome.professionals_created,
            "engagements_created": len(plan.inserts),
            "engagements_updated": len(plan.updates),
            "updated_engagement_ids": [u["id"] for u in plan.updates][:10000],
            "unchanged": plan.unchanged,
            "invitations_sent": outcome.invitations_sent,
            "sha256": sha256,
        },
    )


def import_for(provider: Provider, import_id: int) -> StaffImport | None:
    return db.session.scalar(
        select(StaffImport).where(StaffImport.id == import_id, StaffImport.provider_id == provider.id)
    )


def recent_imports(provider: Provider, limit: int = 10) -> list[StaffImport]:
    return list(
        db.session.scalars(
            select(StaffImport)
            .where(StaffImport.provider_id == provider.id)
            .order_by(StaffImport.imported_at.desc(), StaffImport.id.desc())
            .limit(limit)
        )
    )


__all__ = [
    "BATCH",
    "COLUMNS",
    "Checked",
    "EMAIL_PATTERN",
    "ImportRefused",
    "MAX_PROBLEMS_SHOWN",
    "Outcome",
    "Problem",
    "Progress",
    "StaffRow",
    "check",
    "import_for",
    "import_staff",
    "recent_imports",
    "save",
    "sha256",
    "template_csv",
]
