"""Audit events: who changed what and when, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from interests.extensions import db
from interests.models import Account, AuditEvent


def record(
    action: str,
    entity: Any,
    *,
    actor: Account | None,
    summary: str = "",
    provider_id: int | None = None,
    professional_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits with its change)."""
    if getattr(entity, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        action=action,
        entity_type=type(entity).__tablename__,
        entity_id=entity.id,
        account_id=actor.id if actor is not None else None,
        provider_id=provider_id,
        professional_id=professional_id,
        summary=summary,
        data=data or {},
    )
    db.session.add(event)
    return event
