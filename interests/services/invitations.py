"""One-time sign-in links for professionals who have no account yet.

The token is sent by email and never stored: the database keeps its SHA-256 hash, so a copy of
the database cannot be used to sign in. A link works once, for INVITATION_VALID_DAYS; on first
use the professional chooses a password and their account is created and signed in.
Each professional is invited once: importing the same staff list again sends nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from interests.extensions import bulk_insert, db
from interests.models import Account, InvalidRecord, Invitation, OutboxEmail, Professional, Provider, utcnow
from interests.services import accounts, audit
from interests.services.outbox import absolute_url

INVITATION_VALID_DAYS = 7  # days; long enough for a week of leave, short enough to limit a leaked link
_PLACEHOLDER = "TOKEN-PLACEHOLDER"
BATCH = 500


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _body(name: str, provider_name: str, link: str) -> str:
    return (
        f"Dear {name},\n\n"
        f"{provider_name} keeps a public register of the interests of everyone who works there, "
        "as NHS England's guidance on conflicts of interest asks.\n\n"
        "Use this link to set a password and declare your interests (or that you have none). "
        f"It works once, within {INVITATION_VALID_DAYS} days:\n\n{link}\n\n"
        "If you were not expecting this email, you can ignore it.\n"
    )


def invite_many(provider: Provider, people: list[tuple[int, str]], *, actor: Account | None) -> int:
    """Invite each (professional id, email) with no account and never invited. Returns how many."""
    ids = list(dict.fromkeys(pid for pid, _ in people))
    if not ids:
        return 0
    excluded: set[int] = set()
    names: dict[int, str] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        excluded.update(
            db.session.scalars(select(Account.professional_id).where(Account.professional_id.in_(chunk)))
        )
        excluded.update(
            db.session.scalars(
                select(Invitation.professional_id).where(Invitation.professional_id.in_(chunk))
            )
        )
        for pid, given, family in db.session.execute(
            select(Professional.id, Professional.given_name, Professional.family_name).where(
                Professional.id.in_(chunk)
            )
        ):
            names[pid] = f"{given} {family}"
    link_pattern = absolute_url("invitations.accept", token=_PLACEHOLDER)
    now = utcnow()
    expires = now + timedelta(days=INVITATION_VALID_DAYS)
    invitations: list[dict[str, object]] = []
    emails: list[dict[str, object]] = []
    seen: set[int] = set()
    for pid, email in people:
        if pid in excluded or pid in seen:
            continue
        seen.add(pid)
        token = secrets.token_urlsafe(32)
        invitations.append(
            {
                "professional_id": pid,
                "provider_id": provider.id,
                "email": email,
                "token_hash": token_hash(token),
                "created_at": now,
                "expires_at": expires,
                "created_by_account_id": actor.id if actor else None,
            }
        )
        emails.append(
            {
                "kind": "invitation",
                "to_address": email,
                "subject": f"Declare your interests to {provider.name}"[:300],
                "body": _body(names.get(pid, ""), provider.name, link_pattern.replace(_PLACEHOLDER, token)),
                "provider_id": provider.id,
                "professional_id": pid,
                "created_at": now,
            }
        )
    for start in range(0, len(invitations), BATCH):
        bulk_insert(Invitation, invitations[start : start + BATCH])
        bulk_insert(OutboxEmail, emails[start : start + BATCH])
    return len(invitations)


def invite(professional: Professional, provider: Provider, *, actor: Account | None) -> bool:
    """Invite one professional (if they have an email, no account and no invitation)."""
    if not professional.email:
        return False
    sent = invite_many(provider, [(professional.id, professional.email)], actor=actor)
    if sent:
        audit.record(
            "invitation.sent",
            professional,
            actor=actor,
            provider_id=provider.id,
            professional_id=professional.id,
            summary=f"Invited {professional.full_name} to set up an account",
        )
    return bool(sent)


def find_usable(token: str) -> Invitation | None:
    """The invitation for this token if it can still be used (not expired, not used, no account yet)."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    has_account = db.session.scalar(
        select(Account.id).where(Account.professional_id == invitation.professional_id)
    )
    if has_account is not None:
        return None
    return invitation


def accept(invitation: Invitation, password: str) -> Account:
    """Use the invitation (once) to create the professional's account. The caller commits."""
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidRecord("This link has already been used")
    account = accounts.create_account(
        email=invitation.email,
        password=password,
        role="professional",
        professional=invitation.professional,
    )
    audit.record(
        "invitation.accepted",
        invitation,
        actor=account,
        provider_id=invitation.provider_id,
        professional_id=invitation.professional_id,
        summary=f"{invitation.professional.full_name} used their invitation and set a password",
    )
    return account
