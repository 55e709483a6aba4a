"""Sending a declaration to the providers where the professional confirmed they work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from interests.extensions import db
from interests.models import (
    Account,
    Declaration,
    DeclarationItem,
    Professional,
    utcnow,
)
from interests.services import audit, search_index
from interests.services.declaring.common import (
    DECLARATION_STATEMENT,
    NIL_RETURN_STATEMENT,
    DeclarationProblem,
    new_reference,
    submission_key,
)
from interests.services.declaring.preview import _latest_actions, _withholding_to_follow
from interests.services.declaring.reading import covered_versions, declarations_sent, workplaces
from interests.services.declaring.writing import _follow_withholding
from interests.services.disclosure.reconciling import refresh_declared
from interests.unit_of_work import discard

# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    submission_key: str
    created: int  # 0 when everything had been sent already (a replay)


def send_declaration(
    professional: Professional,
    *,
    actor: Account,
    provider_ids: Sequence[int],
    shown_version_ids: Sequence[int] | None,
    nil_return: bool,
    on: date,
) -> SendOutcome:
    """Send (see `_send`). A concurrent identical send is not an error: the
    unique (submission_key, provider_id) constraint stops the second, and its sender is shown
    what the first one sent."""
    try:
        return _send(
            professional,
            actor=actor,
            provider_ids=provider_ids,
            shown_version_ids=shown_version_ids,
            nil_return=nil_return,
            on=on,
        )
    except IntegrityError:
        discard()  # the other send stands; nothing of this one is kept
        versions = [] if nil_return else covered_versions(professional, on)
        key = submission_key(professional.id, on, (v.id for v in versions))
        if declarations_sent(professional, key):
            return SendOutcome(submission_key=key, created=0)
        raise DeclarationProblem("Your declaration could not be sent: try again") from None


def _send(
    professional: Professional,
    *,
    actor: Account,
    provider_ids: Sequence[int],
    shown_version_ids: Sequence[int] | None,
    nil_return: bool,
    on: date,
) -> SendOutcome:
    """One dated declaration per chosen workplace: the covered interests, or a nil return.

    `shown_version_ids` are the versions the professional saw on the check page: if their
    interests have changed since, nothing is sent and they are asked to check again.
    """
    places = {w.provider.id: w.provider for w in workplaces(professional, on)}
    chosen = [places[pid] for pid in dict.fromkeys(provider_ids) if pid in places]
    if not chosen or len(chosen) != len(set(provider_ids)):
        raise DeclarationProblem("Select where to send your declaration")
    versions = covered_versions(professional, on)
    if nil_return and versions:
        raise DeclarationProblem(
            "You have interests to declare, so you cannot send a nil return: check and send them instead"
        )
    if not nil_return:
        if not versions:
            raise DeclarationProblem("You have no interests to declare: send a nil return instead")
        if shown_version_ids is None or set(shown_version_ids) != {v.id for v in versions}:
            raise DeclarationProblem(
                "Your interests have changed since you opened this page: check them again"
            )

    key = submission_key(professional.id, on, (v.id for v in versions))
    already = set(
        db.session.scalars(
            select(Declaration.provider_id).where(
                Declaration.professional_id == professional.id, Declaration.submission_key == key
            )
        )
    )
    to_send = [p for p in chosen if p.id not in already]
    actions = _latest_actions((p.id for p in to_send), (v.id for v in versions))
    asked, follows = _withholding_to_follow({v.interest_id for v in versions})
    now = utcnow()
    statement = NIL_RETURN_STATEMENT if nil_return else DECLARATION_STATEMENT
    for provider in to_send:
        declaration = Declaration(
            reference=new_reference(),
            professional=professional,
            provider=provider,
            nil_return=nil_return,
            declared_on=on,
            signed_at=now,
            signed_by_account_id=actor.id,
            statement=statement,
            submission_key=key,
        )
        db.session.add(declaration)
        for version in versions:
            item = DeclarationItem(declaration=declaration, interest_version=version)
            earlier = actions.get((provider.id, version.id))
            if earlier is not None:
                # The same version declared again: the provider's decision on it still stands.
                item.management_action = earlier.management_action
                item.action_recorded_at = earlier.action_recorded_at
                item.action_recorded_by_account_id = earlier.action_recorded_by_account_id
            db.session.add(item)
            source = follows.get(version.interest_id)
            if source is not None and (version.interest_id, provider.id) not in asked:
                _follow_withholding(source, provider, actor=actor)
                asked.add((version.interest_id, provider.id))
        db.session.flush()
        provider.register_updated_at = now
        what = "a nil return" if nil_return else f"a declaration of {len(versions)} interest(s)"
        audit.record(
            "declaration.sent",
            declaration,
            actor=actor,
            provider_id=provider.id,
            professional_id=professional.id,
            summary=f"Sent {what} to {provider.name} ({declaration.reference})",
            data={
                "reference": declaration.reference,
                "nil_return": nil_return,
                "interest_version_ids": [v.id for v in versions],
            },
        )
    if to_send:
        search_index.schedule(professional_id=professional.id)
        # A payment a company reported may now be covered (providers' lists, inspectors' counts).
        refresh_declared([professional.id])
    return SendOutcome(submission_key=key, created=len(to_send))
