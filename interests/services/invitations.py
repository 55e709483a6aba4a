"""Asking a professional to confirm a provider's engagement, and the one-time links that prove it.

Product card, "Identity and consent across providers": a provider's mistakes, or its malice,
reach no further than its own register. So:

- a link goes only to the address the inviting provider recorded on its own engagement, and
  using it links that engagement only;
- a professional with an account is told at their account's address (never at the address the
  provider typed) and confirms or rejects the engagement from /declare; when the provider
  recorded another address, a link goes there too, which the account holder uses signed in;
- an invitation never creates a second account and never hands an account to a new address:
  somebody who proves an address the account does not use raises an identity claim, which a
  system admin decides (`services/identity.py`).

Tokens are sent by email and never stored: the database keeps their SHA-256 hash. A link works
once, for INVITATION_VALID_DAYS. Each engagement is asked once: importing the same staff list
again sends nothing. A provider that changes the address it recorded stops the link still out at
the old one, and an engagement not yet confirmed is asked again at the new one (`staff.importing.save`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update

from interests.extensions import among, bulk_insert, db
from interests.models import (
    Account,
    Engagement,
    InvalidRecord,
    Invitation,
    OutboxEmail,
    Professional,
    Provider,
    utcnow,
)
from interests.services import accounts, audit
from interests.services.outbox import absolute_url, log_queued_for_developers

INVITATION_VALID_DAYS = 7  # days; long enough for a week of leave, short enough to limit a leaked link
_PLACEHOLDER = "TOKEN-PLACEHOLDER"
# Engagements read, and links and emails written, per statement: ids go as one array on PostgreSQL
# (extensions.among), so 2,000 at a time costs no more to plan than 500 (a 50,000-line import:
# 100 reads and 160 COPYs become 25 and 40).
BATCH = 2000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_address(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and accounts.normalise_email(a or "") == accounts.normalise_email(b or "")


def _invitation_body(name: str, provider_name: str, link: str, *, has_account: bool) -> str:
    if has_account:
        how = (
            "You already have an account on the register. Sign in to it first, then use this link "
            "to confirm that you work there. It works once, within "
            f"{INVITATION_VALID_DAYS} days:\n\n{link}\n\n"
            "If you do not work there, sign in and say so from your declarations page.\n"
        )
    else:
        how = (
            "Use this link to set a password and declare your interests (or that you have none). "
            f"It works once, within {INVITATION_VALID_DAYS} days:\n\n{link}\n\n"
        )
    return (
        f"Dear {name},\n\n"
        f"{provider_name} keeps a public register of the interests of everyone who works there, "
        "as NHS England's guidance on conflicts of interest asks, and says that you work there.\n\n"
        f"{how}\nIf you were not expecting this email, you can ignore it.\n"
    )


def _notice_body(name: str, provider_name: str, role: str, link: str, *, link_elsewhere: bool) -> str:
    elsewhere = (
        f"{provider_name} recorded a different email address for you. We have sent a link there too: "
        "if it is yours, use it while signed in to confirm.\n\n"
        if link_elsewhere
        else ""
    )
    return (
        f"Dear {name},\n\n"
        f"{provider_name} says that you work there ({role}). Your declarations go to a provider only "
        "once you have confirmed that you work there.\n\n"
        f"Sign in to confirm it, or to tell us that you do not work there:\n\n{link}\n\n{elsewhere}"
        "Nobody else can see your account or change it.\n"
    )


@dataclass(frozen=True)
class _Asked:
    engagement_id: int
    professional_id: int
    name: str
    role: str
    email: str | None  # the provider's record
    account_email: str | None


def can_ask(email: str | None, account_email: str | None) -> bool:
    """Whether a professional can be asked about an engagement: there is an address to write to,
    their account's or the one the provider recorded (otherwise the provider can add one later)."""
    return account_email is not None or bool(email)


def ask_to_confirm(
    provider: Provider,
    engagement_ids: list[int],
    *,
    actor: Account | None,
    marked_at: datetime | None = None,
) -> int:
    """Ask each of these engagements' professionals (once) to confirm they work at ``provider``.

    ``marked_at``: the engagements were inserted already marked as asked at this time, for
    everyone ``can_ask`` says yes to (a staff import's new engagements): they are asked now, and
    not marked again. Marking them afterwards was an UPDATE of every new row, and PostgreSQL
    checks an updated row's foreign keys again when the transaction inserted it: 8 s of a
    50,000-line import (bench/import_staff.py, issue 13).

    Returns how many people were asked (sent a link, a notice or both).
    """
    ids = list(dict.fromkeys(engagement_ids))
    asked: list[_Asked] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.execute(
            select(
                Engagement.id,
                Engagement.professional_id,
                Engagement.email,
                Engagement.role,
                Professional.given_name,
                Professional.family_name,
                Account.email.label("account_email"),
            )
            .join(Professional, Professional.id == Engagement.professional_id)
            .outerjoin(Account, Account.professional_id == Engagement.professional_id)
            .where(
                among(Engagement.id, chunk),
                Engagement.provider_id == provider.id,
                Engagement.confirmed_at.is_(None),
                Engagement.rejected_at.is_(None),
                Engagement.asked_at.is_(None) if marked_at is None else Engagement.asked_at == marked_at,
            )
        ).all()
        for row in rows:
            if not can_ask(row.email, row.account_email):
                continue  # nobody to ask: the provider can add an address later
            asked.append(
                _Asked(
                    engagement_id=row.id,
                    professional_id=row.professional_id,
                    name=f"{row.given_name} {row.family_name}",
                    role=row.role,
                    email=row.email,
                    account_email=row.account_email,
                )
            )
    if not asked:
        return 0
    link_pattern = absolute_url("invitations.accept", token=_PLACEHOLDER)
    declare_link = absolute_url("declare.home")
    now = marked_at or utcnow()
    expires = now + timedelta(days=INVITATION_VALID_DAYS)
    invitations: list[dict[str, object]] = []
    emails: list[dict[str, object]] = []

    def email(kind: str, to: str, subject: str, body: str, person: _Asked, *, providers: bool) -> None:
        emails.append(
            {
                "kind": kind,
                "to_address": to,
                "subject": subject[:300],
                "body": body,
                # A provider sees (in its outbox) only emails to the address it recorded itself.
                "provider_id": provider.id if providers else None,
                "professional_id": person.professional_id,
                "created_at": now,
            }
        )

    for person in asked:
        has_account = person.account_email is not None
        link_needed = bool(person.email) and not same_address(person.email, person.account_email)
        if has_account:
            email(
                "confirm_engagement",
                person.account_email or "",
                f"{provider.name} says you work there: please confirm",
                _notice_body(
                    person.name, provider.name, person.role, declare_link, link_elsewhere=link_needed
                ),
                person,
                providers=False,
            )
        if link_needed:
            token = secrets.token_urlsafe(32)
            invitations.append(
                {
                    "professional_id": person.professional_id,
                    "provider_id": provider.id,
                    "engagement_id": person.engagement_id,
                    "email": person.email,
                    "token_hash": token_hash(token),
                    "created_at": now,
                    "expires_at": expires,
                    "created_by_account_id": actor.id if actor else None,
                }
            )
            email(
                "invitation",
                person.email or "",
                f"Declare your interests to {provider.name}",
                _invitation_body(
                    person.name,
                    provider.name,
                    link_pattern.replace(_PLACEHOLDER, token),
                    has_account=has_account,
                ),
                person,
                providers=True,
            )
    for start in range(0, len(invitations), BATCH):
        bulk_insert(Invitation, invitations[start : start + BATCH])
    for start in range(0, len(emails), BATCH):
        bulk_insert(OutboxEmail, emails[start : start + BATCH])
    log_queued_for_developers(emails)
    if marked_at is not None:
        return len(asked)
    asked_ids = [person.engagement_id for person in asked]
    for start in range(0, len(asked_ids), BATCH):
        db.session.execute(
            update(Engagement)
            .where(among(Engagement.id, asked_ids[start : start + BATCH]))
            .values(asked_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(asked)


def ask_one(engagement: Engagement, *, actor: Account | None) -> bool:
    """Ask one engagement's professional to confirm it (see `ask_to_confirm`), with an audit event."""
    db.session.flush()
    asked = ask_to_confirm(engagement.provider, [engagement.id], actor=actor)
    if asked:
        db.session.refresh(engagement)
        audit.record(
            "engagement.confirmation_requested",
            engagement,
            actor=actor,
            provider_id=engagement.provider_id,
            professional_id=engagement.professional_id,
            summary=f"Asked {engagement.professional.full_name} to confirm they work here",
        )
    return bool(asked)


def retire_links(engagement_ids: list[int]) -> None:
    """Stop every link still out for these engagements: each expires now, unused."""
    now = utcnow()
    ids = list(dict.fromkeys(engagement_ids))
    for start in range(0, len(ids), BATCH):
        db.session.execute(
            update(Invitation)
            .where(
                among(Invitation.engagement_id, ids[start : start + BATCH]),
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


def can_ask_again(engagement: Engagement) -> bool:
    """Whether the professional can be asked again: not yet confirmed or rejected, and reachable."""
    if engagement.confirmed_at is not None or engagement.rejected_at is not None:
        return False
    return bool(engagement.email) or account_of(engagement.professional_id) is not None


def ask_again(engagement: Engagement, *, actor: Account | None) -> bool:
    """Ask the professional again to confirm an engagement (a lost or expired link).

    The link still out, if any, stops working first; a new one goes to the address the provider
    recorded (and a notice to the account's address, as the first time: see `ask_to_confirm`).
    """
    if not can_ask_again(engagement):
        raise InvalidRecord("This engagement is confirmed, rejected or has no address to ask at")
    retire_links([engagement.id])
    engagement.asked_at = None
    return ask_one(engagement, actor=actor)


# --- Using a link ------------------------------------------------------------------------------

Outcome = Literal["new_account", "set_password", "confirm", "same_address", "claim", "disabled"]
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 - an account moved to a new address by a system admin: no password yet


def find_usable(token: str) -> Invitation | None:
    """The invitation for this token if it can still be used (not expired, not used)."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation


def account_of(professional_id: int) -> Account | None:
    return db.session.scalar(select(Account).where(Account.professional_id == professional_id))


def outcome_for(invitation: Invitation, signed_in: Account | None) -> Outcome:
    """What using this link would do, for whoever is using it.

    - no account yet for the professional: create one with the invited address ("new_account");
    - an account a system admin moved to this address, with no password yet ("set_password");
    - signed in as the professional's own account: confirm the engagement ("confirm");
    - the professional's account uses the invited address: confirm it, then sign in ("same_address");
    - otherwise the link proves an address the account does not use: an identity claim ("claim");
    - the account uses the invited address but a system admin disabled it: nothing ("disabled").
      A claim stays possible: it is how the person an account was wrongly given to gets it back.
    """
    account = account_of(invitation.professional_id)
    if account is None:
        return "new_account"
    if not account.active and same_address(account.email, invitation.email):
        return "disabled"
    if account.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX) and same_address(
        account.email, invitation.email
    ):
        return "set_password"
    if signed_in is not None and signed_in.id == account.id:
        return "confirm"
    if same_address(account.email, invitation.email):
        return "same_address"
    return "claim"


def _use(invitation: Invitation) -> None:
    """Mark the link used, once: a second use (a double click, a race) is refused."""
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidRecord("This link has already been used")


def _accepted(invitation: Invitation, account: Account, what: str) -> None:
    """Audit the link's use, then confirm the engagement it was sent for."""
    audit.record(
        "invitation.accepted",
        invitation,
        actor=account,
        provider_id=invitation.provider_id,
        professional_id=invitation.professional_id,
        summary=f"{invitation.professional.full_name} {what}",
    )
    _confirm_invited_engagement(invitation, account, "their invitation link")


def _confirm_invited_engagement(invitation: Invitation, actor: Account, how: str) -> None:
    from interests.services import identity

    engagement = invitation.engagement
    # A link proves the address one provider recorded for one person: it confirms that provider's
    # engagement of that person, never another's (whatever a corrupted or migrated row says).
    if (
        engagement is not None
        and engagement.provider_id == invitation.provider_id
        and engagement.professional_id == invitation.professional_id
        and engagement.confirmed_at is None
    ):
        identity.confirm(engagement, actor=actor, how=how)


def accept(invitation: Invitation, password: str) -> Account:
    """Create the professional's account with the invited address. The caller commits."""
    if account_of(invitation.professional_id) is not None:
        raise InvalidRecord("This registration number already has an account: sign in to it instead")
    taken = accounts.find_by_email(invitation.email)
    if taken is not None:
        raise InvalidRecord(
            "An account already uses this email address, so this link cannot create another. "
            "Sign in with that account, or ask the provider to record a different address"
        )
    _use(invitation)
    account = accounts.create_account(
        email=invitation.email,
        password=password,
        role="professional",
        professional=invitation.professional,
    )
    db.session.flush()
    _accepted(invitation, account, "used their invitation and set a password")
    return account


def set_password(invitation: Invitation, password: str) -> Account:
    """Set the first password of an account a system admin moved to the invited address."""
    if outcome_for(invitation, None) != "set_password":
        raise InvalidRecord("This link cannot set a password")
    account = account_of(invitation.professional_id)
    assert account is not None
    _use(invitation)
    accounts.set_password(account, password)
    _accepted(invitation, account, "set a password for their moved account")
    return account


def confirm_by_link(invitation: Invitation, signed_in: Account | None) -> None:
    """Confirm the invited engagement: the user is the account holder, or proved its address."""
    outcome = outcome_for(invitation, signed_in)
    if outcome not in ("confirm", "same_address"):
        raise InvalidRecord("This link cannot confirm the engagement for you")
    account = account_of(invitation.professional_id)
    assert account is not None
    _use(invitation)
    # The account holder acts (signed in, or by proving the account's own address): never whoever
    # else happens to be signed in on the browser that opened the link.
    _accepted(invitation, account, "used their invitation to confirm they work here")


def claim_by_link(invitation: Invitation) -> None:
    """The link's address is not the account's: record a claim for a system admin to decide."""
    from interests.services import identity

    if outcome_for(invitation, None) != "claim":
        raise InvalidRecord("This link does not need a check by an administrator")
    _use(invitation)
    identity.raise_claim(invitation)
