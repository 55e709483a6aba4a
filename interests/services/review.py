"""Review: the declarations sent to a provider, newest first, and the action taken to manage each
interest (published beside the entry on the register once recorded)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import Account, Declaration, DeclarationItem, InterestVersion, Provider, utcnow
from interests.services import audit, search_index
from interests.services.paging import Page, page_of

ACTION_MAX_LENGTH = 2000  # characters


def declarations_page(provider: Provider, page: int, per_page: int, *, awaiting_action: bool = False) -> Page:
    base = select(Declaration).where(Declaration.provider_id == provider.id)
    if awaiting_action:
        base = base.where(
            Declaration.id.in_(
                select(DeclarationItem.declaration_id).where(DeclarationItem.management_action.is_(None))
            )
        )
    return page_of(
        base.options(selectinload(Declaration.professional), selectinload(Declaration.items)).order_by(
            Declaration.signed_at.desc(), Declaration.id.desc()
        ),
        page,
        per_page,
    )


def declaration_at(provider: Provider, declaration_id: int) -> Declaration | None:
    return db.session.scalar(
        select(Declaration)
        .where(Declaration.id == declaration_id, Declaration.provider_id == provider.id)
        .options(
            selectinload(Declaration.professional),
            selectinload(Declaration.items).selectinload(DeclarationItem.interest_version),
        )
    )


def item_at(provider: Provider, item_id: int) -> DeclarationItem | None:
    return db.session.scalar(
        select(DeclarationItem)
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .where(DeclarationItem.id == item_id, Declaration.provider_id == provider.id)
        .options(
            selectinload(DeclarationItem.declaration).selectinload(Declaration.professional),
            selectinload(DeclarationItem.interest_version).selectinload(InterestVersion.interest),
        )
    )


def record_action(item: DeclarationItem, action: str, *, actor: Account) -> bool:
    """Record (or change) the management action for one entry. False when nothing changed."""
    if item.management_action == action:
        return False
    previous = item.management_action
    now = utcnow()
    item.management_action = action
    item.action_recorded_at = now
    item.action_recorded_by_account_id = actor.id
    declaration = item.declaration
    declaration.provider.register_updated_at = now
    audit.record(
        "declaration.action_recorded",
        item,
        actor=actor,
        provider_id=declaration.provider_id,
        professional_id=declaration.professional_id,
        summary=f"Recorded the action to manage an interest of {declaration.professional.full_name}",
        data={"action": action, "previous": previous, "declaration": declaration.reference},
    )
    search_index.schedule(professional_id=declaration.professional_id)
    return True
