"""Who a professional is across providers: confirming engagements, and claims on one identity.

Product card, "Identity and consent across providers". A declaration goes only to providers whose
engagement the professional confirmed; two addresses claiming one registration number are never
merged or transferred silently - a system admin decides, and both addresses are told.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import Account, Engagement, IdentityClaim, InvalidRecord, Invitation, utcnow
from interests.rules.text import control_character_in
from interests.services import audit
from interests.services.outbox import absolute_url, send_email

DECISION_REASON_MAX_LENGTH = 2000  # characters


class IdentityProblem(ValueError):
    """A request the professional or admin can correct; the message says how."""


# --- A professional's engagements --------------------------------------------------------------


def awaiting_confirmation(professional_id: int, on: date) -> list[Engagement]:
    """Engagements providers say this professional has (not ended before ``on``), not yet answered."""
    return list(
        db.session.scalars(
            select(Engagement)
            .where(
                Engagement.professional_id == professional_id,
                Engagement.confirmed_at.is_(None),
                Engagement.rejected_at.is_(None),
                or_(Engagement.end_date.is_(None), Engagement.end_date >= on),
            )
            .options(selectinload(Engagement.provider))
            .order_by(Engagement.start_date, Engagement.id)
        )
    )


def engagement_of(professional_id: int, engagement_id: int) -> Engagement | None:
    return db.session.scalar(
        select(Engagement).where(
            Engagement.id == engagement_id, Engagement.professional_id == professional_id
        )
    )


def can_confirm_from_account(engagement: Engagement, account: Account) -> bool:
    """From /declare, the account holder may confirm an engagement whose provider recorded no
    address, or the account's own. Another address needs its link (proof of that address too):
    otherwise whoever holds the account could take on every provider's record of the person."""
    from interests.services.invitations import same_address

    return not engagement.email or same_address(engagement.email, account.email)


def confirm(engagement: Engagement, *, actor: Account, how: str = "their account") -> None:
    if engagement.confirmed_at is not None:
        return
    engagement.rejected_at = None
    engagement.confirmed_at = utcnow()
    audit.record(
        "engagement.confirmed",
        engagement,
        actor=actor,
        provider_id=engagement.provider_id,
        professional_id=engagement.professional_id,
        summary=f"{engagement.professional.full_name} confirmed they work here (by {how})",
    )


def confirm_from_account(engagement: Engagement, account: Account) -> None:
    if account.professional_id != engagement.professional_id:
        raise IdentityProblem("This is not one of your engagements")
    if not can_confirm_from_account(engagement, account):
        raise IdentityProblem(
            f"{engagement.provider.name} recorded a different email address for you. Use the link we "
            "sent to that address, while signed in, to confirm that you work there"
        )
    confirm(engagement, actor=account)


def reject_from_account(engagement: Engagement, account: Account) -> None:
    """The professional says they do not work there: nothing they send goes to that provider."""
    if account.professional_id != engagement.professional_id:
        raise IdentityProblem("This is not one of your engagements")
    if engagement.confirmed_at is not None:
        raise IdentityProblem(
            f"You have confirmed that you work at {engagement.provider.name}: ask them to end your "
            "engagement if you have left"
        )
    engagement.rejected_at = utcnow()
    audit.record(
        "engagement.rejected",
        engagement,
        actor=account,
        provider_id=engagement.provider_id,
        professional_id=engagement.professional_id,
        summary=f"{engagement.professional.full_name} said they do not work here",
    )


# --- Identity claims ---------------------------------------------------------------------------


def raise_claim(invitation: Invitation) -> IdentityClaim:
    """Somebody proved the address a provider recorded, but the account uses another one."""
    account = db.session.scalar(select(Account).where(Account.professional_id == invitation.professional_id))
    if account is None:
        raise InvalidRecord("There is no account to claim")
    claim = IdentityClaim(
        professional_id=invitation.professional_id,
        account_id=account.id,
        invitation_id=invitation.id,
        engagement_id=invitation.engagement_id,
        provider_id=invitation.provider_id,
        email=invitation.email,
        account_email=account.email,
        status="pending",
    )
    db.session.add(claim)
    db.session.flush()
    professional = invitation.professional
    provider_name = invitation.provider.name if invitation.provider else "A provider"
    audit.record(
        "identity.claimed",
        claim,
        actor=None,
        provider_id=invitation.provider_id,
        professional_id=professional.id,
        summary=(
            f"An address {provider_name} recorded claimed {professional.regulator} "
            f"{professional.registration_number}, which has an account with another address"
        ),
    )
    number = f"{professional.regulator} {professional.registration_number}"
    send_email(
        kind="identity_claim",
        to=account.email,
        subject="Somebody has asked to use your registration number",
        body=(
            f"Dear {professional.full_name},\n\n"
            f"{provider_name} recorded another email address for the professional registered as "
            f"{number}, and somebody using that address has asked to be recognised as you.\n\n"
            "Nothing has changed: your account, your interests and your declarations are as they "
            "were. A system administrator will check the claim and tell you what they decide.\n\n"
            "If you know about this, you need do nothing. If you do not, reply to the administrator "
            "when they contact you.\n"
        ),
        provider_id=None,  # the account's address is no provider's to see
        professional_id=professional.id,
    )
    send_email(
        kind="identity_claim",
        to=invitation.email,
        subject="Your request will be checked by an administrator",
        body=(
            f"Dear {professional.full_name},\n\n"
            f"The registration number {number} already has an account with another email address, "
            "so this address cannot be linked to it straight away. A system administrator will check "
            "and tell you, and the account's address, what they decide.\n"
        ),
        provider_id=None,  # the account's address is no provider's to see
        professional_id=professional.id,
    )
    return claim


def claims_page(status: str = "pending", limit: int = 100) -> list[IdentityClaim]:
    return list(
        db.session.scalars(
            select(IdentityClaim)
            .where(IdentityClaim.status == status)
            .options(selectinload(IdentityClaim.professional), selectinload(IdentityClaim.provider))
            .order_by(IdentityClaim.created_at, IdentityClaim.id)
            .limit(limit)
        )
    )


def pending_claim_count() -> int:
    return db.session.scalar(select(func.count()).where(IdentityClaim.status == "pending")) or 0


def claim(claim_id: int) -> IdentityClaim | None:
    return db.session.get(IdentityClaim, claim_id)


def decide_claim(claim: IdentityClaim, *, transfer: bool, reason: str, actor: Account) -> None:
    """Refuse the claim, or move the account to the claimant's address (a new password by link).

    Either way both addresses are told. A transfer ends every session of the account at once, makes
    its password unusable and sends the claimant a one-time link to set a new one.
    """
    from interests.services.invitations import (
        INVITATION_VALID_DAYS,
        UNUSABLE_PASSWORD_PREFIX,
        account_of,
        token_hash,
    )

    if claim.status != "pending":
        raise IdentityProblem("This claim has already been decided")
    reason = reason.strip()
    if not reason:
        raise IdentityProblem("Enter the reason for your decision")
    if len(reason) > DECISION_REASON_MAX_LENGTH:
        raise IdentityProblem(f"The reason must be {DECISION_REASON_MAX_LENGTH:,} characters or fewer")
    if control_character_in(reason, multiline=True):
        raise IdentityProblem("The reason must not include hidden characters such as control codes")
    account = account_of(claim.professional_id)
    if account is None or account.id != claim.account_id:
        raise IdentityProblem("The account has changed since this claim was made: it cannot be decided here")
    professional = claim.professional
    number = f"{professional.regulator} {professional.registration_number}"
    now = utcnow()
    claim.decided_at = now
    claim.decided_by_account_id = actor.id
    claim.decision_reason = reason
    old_address = account.email
    link_text = ""
    if transfer:
        from interests.services.accounts import find_by_email
        from interests.services.invitations import same_address

        if not same_address(account.email, claim.account_email):
            # The page showed the address the account had when the claim was made: moving the account
            # now would take it from someone this claim never named (and who was never told of it).
            raise IdentityProblem(
                "The account's address has changed since this claim was made, so it cannot be moved "
                "on this claim: refuse it, and the claimant can ask their provider for a new link"
            )
        other = find_by_email(claim.email)
        if other is not None and other.id != account.id:
            raise IdentityProblem(
                "Another account already uses the claimant's address: it cannot be moved there"
            )
        claim.status = "transferred"
        account.email = claim.email
        account.password_hash = UNUSABLE_PASSWORD_PREFIX + "moved"  # unusable until the claimant sets one
        account.session_version += 1
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            professional_id=claim.professional_id,
            provider_id=claim.provider_id,
            engagement_id=claim.engagement_id,
            email=claim.email,
            token_hash=token_hash(token),
            expires_at=now + timedelta(days=INVITATION_VALID_DAYS),
            created_by_account_id=actor.id,
        )
        db.session.add(invitation)
        link_text = (
            f"Use this link to set a password. It works once, within {INVITATION_VALID_DAYS} days:\n\n"
            f"{absolute_url('invitations.accept', token=token)}\n"
        )
    else:
        claim.status = "rejected"
    audit.record(
        f"identity.claim_{claim.status}",
        claim,
        actor=actor,
        provider_id=claim.provider_id,
        professional_id=claim.professional_id,
        summary=(
            f"{'Moved' if transfer else 'Kept'} the account of {number} "
            f"{'to the claimant' if transfer else 'with its address; claim refused'}"
        ),
        data={"reason": reason},
    )
    outcome_old = (
        "the account now belongs to the other address, and this address can no longer sign in"
        if transfer
        else "the claim was refused: your account is unchanged"
    )
    outcome_new = (
        "the account is now yours. " + link_text
        if transfer
        else "the claim was refused: this address is not linked to the registration number"
    )
    for to, outcome in ((old_address, outcome_old), (claim.email, outcome_new)):
        send_email(
            kind="identity_claim_decided",
            to=to,
            subject=f"A decision about the account for {number}",
            body=(
                f"Dear {professional.full_name},\n\nA system administrator has decided the claim on "
                f"the account for {number}: {outcome}\n\nTheir reason: {reason}\n"
            ),
            provider_id=None,  # the account's address is no provider's to see
            professional_id=claim.professional_id,
        )
