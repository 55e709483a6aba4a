"""Who is in scope at a provider on a date, and each person's declaration status, in SQL.

The one query builder the inspectors' figures, the provider page, snapshots and reminders use: a
professional counts once per provider (the engagement active on the day that started first), with
the latest declaration to that provider on or before the day, and the rules' status as a CASE."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.models import (
    Declaration,
    Engagement,
)
from interests.rules.compliance import (
    DeclarationStatus,
)
from interests.services.compliance.terms import Cutoffs

# --- The query ----------------------------------------------------------------------------------


def in_scope_people(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    """One row per professional in scope at each provider: type, start and last declaration.

    A professional's engagements at one provider are numbered by start date (then id) and only the
    first is kept. The covering index ix_engagement_provider_professional_start gives the window
    its order without a sort. `provider_id` narrows everything to one provider, `id_range` to the
    providers with ids from its first to its last (inclusive; the nightly snapshot goes in chunks).
    """
    engagement = Engagement
    as_of = cutoffs.as_of
    conditions: list[ColumnElement[bool]] = [
        engagement.start_date <= as_of,
        or_(engagement.end_date.is_(None), engagement.end_date >= as_of),
    ]
    if provider_id is not None:
        conditions.append(engagement.provider_id == provider_id)
    if id_range is not None:
        conditions.append(engagement.provider_id.between(*id_range))
    ranked = (
        select(
            engagement.provider_id,
            engagement.professional_id,
            engagement.engagement_type,
            engagement.start_date,
            func.row_number()
            .over(
                partition_by=(engagement.provider_id, engagement.professional_id),
                order_by=(engagement.start_date, engagement.id),
            )
            .label("position"),
        )
        .where(*conditions)
        .subquery("ranked")
    )
    declared_by = [Declaration.declared_on <= as_of]
    if provider_id is not None:
        declared_by.append(Declaration.provider_id == provider_id)
    if id_range is not None:
        declared_by.append(Declaration.provider_id.between(*id_range))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite joins by nested loops only: one seek per person into the index
        # ix_declaration_provider_professional_date is the cheapest way.
        last_declared_on = (
            select(func.max(Declaration.declared_on))
            .where(
                Declaration.provider_id == ranked.c.provider_id,
                Declaration.professional_id == ranked.c.professional_id,
                *declared_by,
            )
            .correlate(ranked)
            .scalar_subquery()
        )
        statement = select(
            ranked.c.provider_id,
            ranked.c.professional_id,
            ranked.c.engagement_type,
            ranked.c.start_date,
            last_declared_on.label("last_declared_on"),
        ).where(ranked.c.position == 1)
        # OFFSET 0 keeps SQLite from flattening this into the outer query, which would copy the
        # correlated subquery into every CASE that reads it (measured: ten times slower).
        return statement.offset(0).subquery("in_scope")
    # PostgreSQL: the latest declaration per (provider, professional) grouped once, hash-joined.
    latest = (
        select(
            Declaration.provider_id,
            Declaration.professional_id,
            func.max(Declaration.declared_on).label("last_declared_on"),
        )
        .where(*declared_by)
        .group_by(Declaration.provider_id, Declaration.professional_id)
        .subquery("latest")
    )
    return (
        select(
            ranked.c.provider_id,
            ranked.c.professional_id,
            ranked.c.engagement_type,
            ranked.c.start_date,
            latest.c.last_declared_on,
        )
        .outerjoin(
            latest,
            and_(
                latest.c.provider_id == ranked.c.provider_id,
                latest.c.professional_id == ranked.c.professional_id,
            ),
        )
        .where(ranked.c.position == 1)
        .subquery("in_scope")
    )


def status_expression(last: ColumnElement[Any], start: ColumnElement[Any], cutoffs: Cutoffs) -> Any:
    """The rules' `engagement_status` as a SQL CASE, with the cut-offs as parameters."""
    started_recently = start > cutoffs.started_after
    return case(
        (last >= cutoffs.declared_from, literal(DeclarationStatus.DECLARED.value)),
        (
            and_(last.is_not(None), or_(last >= cutoffs.due_from, started_recently)),
            literal(DeclarationStatus.DUE.value),
        ),
        (last.is_not(None), literal(DeclarationStatus.OVERDUE.value)),
        (started_recently, literal(DeclarationStatus.DUE.value)),
        else_=literal(DeclarationStatus.MISSING.value),
    )


def count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def people_with_status(
    cutoffs: Cutoffs, provider_id: int | None = None, id_range: tuple[int, int] | None = None
) -> Any:
    """`in_scope_people` with each person's status worked out once (OFFSET 0: not flattened)."""
    people = in_scope_people(cutoffs, provider_id, id_range)
    status = status_expression(people.c.last_declared_on, people.c.start_date, cutoffs)
    return select(people, status.label("status")).offset(0).subquery("people")
