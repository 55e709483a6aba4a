"""Nightly snapshots of every provider's figures (`flask --app interests compliance snapshot`), and
each person's status at one provider for exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from time import perf_counter as _perf_counter
from typing import Any

from sqlalchemy import (
    delete,
    insert,
    select,
)

from interests import clock
from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    Provider,
)
from interests.rules.compliance import (
    DeclarationStatus,
)
from interests.services.compliance.overview import FIGURE_NAMES, overview_select
from interests.services.compliance.terms import OverviewQuery
from interests.services.scope import Cutoffs, people_with_status

# --- CSV ----------------------------------------------------------------------------------------


def statuses_at(provider_id: int, as_of: date) -> dict[int, tuple[str, DeclarationStatus]]:
    """Each in-scope professional's (engagement type, status) at one provider, from the SQL."""
    people = people_with_status(Cutoffs.for_date(as_of), provider_id)
    rows = db.session.execute(select(people.c.professional_id, people.c.engagement_type, people.c.status))
    return {row.professional_id: (row.engagement_type, DeclarationStatus(row.status)) for row in rows}


# --- Snapshots ----------------------------------------------------------------------------------

SNAPSHOT_CHUNK = 2000  # providers aggregated per statement while taking a snapshot


def take_snapshot(
    as_of: date,
    chunk: int = SNAPSHOT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> ComplianceSnapshotRun:
    """Store every provider's figures on `as_of`, replacing any earlier snapshot of that date.

    The figures come from the live aggregate (`overview_select`), read one chunk of provider ids
    at a time (`progress(done, total)` after each). Only then are the date's old rows and run
    deleted and the new ones written, with the run marked finished, all in the caller's
    transaction (the caller commits): the writing takes a second or so even at national size, so
    a SQLite database is not locked against other writers while the figures are worked out, and
    other sessions see the old snapshot, or none, until the new one is complete.
    """
    started = clock.now()
    timer = _perf_counter()
    ids = list(db.session.scalars(select(Provider.id).order_by(Provider.id)))
    query = OverviewQuery(as_of=as_of)
    names = ("provider_id", *FIGURE_NAMES, "last_declared_on", "register_updated_at")
    rows: list[dict[str, Any]] = []
    step = max(chunk, 1)
    for start in range(0, len(ids), step):
        part = ids[start : start + step]
        statement, _ = overview_select(query, id_range=(part[0], part[-1]))
        live = statement.order_by(None).subquery("live")
        for found in db.session.execute(select(*(live.c[name] for name in names))):
            values = dict(found._mapping)
            in_scope, declared = values["in_scope"], values["declared"]
            # Whole percent, rounded down, as the overview shows it (None: nobody in scope).
            values["percent_declared"] = None if in_scope == 0 else declared * 100 // in_scope
            values["as_of"] = as_of
            rows.append(values)
        if progress is not None:
            progress(start + len(part), len(ids))
    db.session.execute(delete(ComplianceSnapshot).where(ComplianceSnapshot.as_of == as_of))
    db.session.execute(delete(ComplianceSnapshotRun).where(ComplianceSnapshotRun.as_of == as_of))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(ComplianceSnapshot), rows[start : start + 5000])
    run = ComplianceSnapshotRun(
        as_of=as_of,
        started_at=started,
        providers=len(rows),
        finished_at=clock.now(),
        seconds=round(_perf_counter() - timer, 3),
    )
    db.session.add(run)
    db.session.flush()
    return run
