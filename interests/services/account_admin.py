"""System admins run accounts: find them, disable and re-enable them, unlock them, change a role or
a provider admin's providers, and ask a professional again to confirm an engagement.

OWASP ASVS 5.0 L2: every action here writes an audit event (who, what and why) and a security log
event (`ADMIN_ACTION`) in the caller's transaction, so both are kept exactly when the change is.
Functions add and flush; the route commits once.

Guards, whoever asks: an admin cannot disable or change the role of their own account, and the last
active system admin cannot be disabled or given another role (nobody would be left to run
accounts). A professional's account belongs to the professional (it is linked to their
registration): its role is never changed here, and no account becomes a professional's here (only
the professional's own invitation link makes one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from interests.extensions import db
from interests.models import (
    Account,
    AuditEvent,
    Engagement,
    InvalidRecord,
    Provider,
    SecurityEvent,
    utcnow,
)
from interests.rules.text import control_character_in, without_controls
from interests.rules.vocabulary import ROLE_BY_CODE
from interests.services import accounts, audit, invitations, second_factor, security_log
from interests.services.paging import Page, page_of

REASON_MAX_LENGTH = 500  # characters: a sentence or two; the security log keeps DETAIL_MAX_LENGTH
RECENT_LIMIT = 10  # entries of each kind on an account's page; the full story is in the logs
SEARCH_MAX_LENGTH = 320  # the longest email address

ACTIVE = "active"
DISABLED = "disabled"
LOCKED = "locked"
STATUS_LABELS: dict[str, str] = {ACTIVE: "Active", DISABLED: "Disabled", LOCKED: "Locked"}
# The roles a system admin may give here: an account becomes a professional's only through that
# professional's own invitation link (it must be linked to their registration).
ASSIGNABLE_ROLES = ("provider_admin", "inspector", "system_admin")


class AccountAdminProblem(InvalidRecord):
    """What a system admin asked for cannot be done; the message says why, in plain English."""


def status_of(account: Account) -> str:
    if not account.active:
        return DISABLED
    if account.locked_until is not None and account.locked_until > utcnow():
        return LOCKED
    return ACTIVE


# --- Finding accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFilter:
    text: str = ""  # part of the email address or the name
    role: str = ""
    status: str = ""


def accounts_page(query: AccountFilter, page: int, per_page: int) -> Page:
    """One page of the accounts matching `query`, by email address."""
    statement = select(Account)
    wanted = without_controls(query.text.strip().lower()[:SEARCH_MAX_LENGTH])
    if wanted:
        statement = statement.where(
            or_(
                func.lower(Account.email).contains(wanted, autoescape=True),
                func.lower(Account.full_name).contains(wanted, autoescape=True),
            )
        )
    if query.role in ROLE_BY_CODE:
        statement = statement.where(Account.role == query.role)
    now = utcnow()
    locked = Account.locked_until.is_not(None) & (Account.locked_until > now)
    if query.status == DISABLED:
        statement = statement.where(Account.active.is_(False))
    elif query.status == LOCKED:
        statement = statement.where(Account.active.is_(True), locked)
    elif query.status == ACTIVE:
        statement = statement.where(Account.active.is_(True), ~locked)
    return page_of(
        statement.options(selectinload(Account.providers)).order_by(Account.email, Account.id), page, per_page
    )


def account(account_id: int) -> Account | None:
    return db.session.get(Account, account_id)


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_email: str | None


def recent_audit(target: Account, limit: int = RECENT_LIMIT) -> list[AuditRow]:
    """The latest audit events about this account (its creation, locks, admins' actions)."""
    actor = aliased(Account)
    rows = db.session.execute(
        select(AuditEvent, actor.email)
        .outerjoin(actor, actor.id == AuditEvent.account_id)
        .where(AuditEvent.entity_type == Account.__tablename__, AuditEvent.entity_id == target.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [AuditRow(event, email) for event, email in rows]


def recent_security_events(target: Account, limit: int = RECENT_LIMIT) -> list[security_log.EventRow]:
    """The latest security events of this account (its sign-ins, failures, locks)."""
    events = db.session.scalars(
        select(SecurityEvent)
        .where(SecurityEvent.account_id == target.id)
        .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
        .limit(limit)
    )
    return [security_log.EventRow(event, target.email) for event in events]


def engagements_to_ask_again(target: Account) -> list[Engagement]:
    """A professional's engagements that providers added and the professional has not yet confirmed."""
    if target.professional_id is None:
        return []
    found = db.session.scalars(
        select(Engagement)
        .where(
            Engagement.professional_id == target.professional_id,
            Engagement.confirmed_at.is_(None),
            Engagement.rejected_at.is_(None),
        )
        .options(selectinload(Engagement.provider))
        .order_by(Engagement.created_at, Engagement.id)
    )
    return [engagement for engagement in found if invitations.can_ask_again(engagement)]


def engagement_to_ask_again(target: Account, engagement_id: int) -> Engagement | None:
    """One of `engagements_to_ask_again`, or None (another person's, confirmed, or made up)."""
    return next((e for e in engagements_to_ask_again(target) if e.id == engagement_id), None)


def find_provider(text: str) -> Provider | None:
    """The provider with this short name (slug) or exactly this name, ignoring case."""
    wanted = " ".join(text.split()).lower()
    if not wanted or control_character_in(wanted, multiline=False):
        return None  # no provider's name holds one (and PostgreSQL refuses a NUL in a query)
    return db.session.scalar(
        select(Provider)
        .where(or_(func.lower(Provider.slug) == wanted, func.lower(Provider.name) == wanted))
        .order_by(Provider.id)
        .limit(1)
    )


# --- Actions -------------------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise AccountAdminProblem("Enter why you are doing this")
    if len(reason) > REASON_MAX_LENGTH:
        raise AccountAdminProblem(f"Your reason must be {REASON_MAX_LENGTH:,} characters or fewer")
    if control_character_in(reason, multiline=False):
        raise AccountAdminProblem("Your reason must not include hidden characters such as control codes")
    return reason


def _record(
    action: str,
    target: Account,
    *,
    actor: Account,
    what: str,
    reason: str,
    data: dict[str, Any] | None = None,
    provider_id: int | None = None,
) -> None:
    """The audit event (who, what and why) about the account, and the security log's admin action."""
    audit.record(
        action,
        target,
        actor=actor,
        summary=f"{actor.email} {what}. Reason: {reason}",
        provider_id=provider_id,
        professional_id=target.professional_id,
        data={"account_id": target.id, "reason": reason, **(data or {})},
    )
    security_log.record(
        security_log.ADMIN_ACTION,
        account=actor,
        detail=f"Account {target.id}: {what}. Reason: {reason}",
    )
    db.session.flush()


def _not_yourself(target: Account, actor: Account, doing: str) -> None:
    if target.id == actor.id:
        raise AccountAdminProblem(f"You cannot {doing} your own account: ask another system admin")


def _not_the_last_system_admin(target: Account, doing: str) -> None:
    """Refuse when no other active system admin would be left.

    Two admins disabling (or demoting) each other at the same moment cannot both succeed: the rows
    of every active system admin are written (unchanged) before they are counted, which takes the
    write lock until the caller commits - PostgreSQL's row locks, and SQLite's one writer (where
    SELECT ... FOR UPDATE locks nothing, and a read alone let both requests count two admins). The
    second request waits, then counts what the first one left.
    """
    if target.role != "system_admin" or not target.active:
        return
    active_admins = (Account.role == "system_admin") & Account.active.is_(True)
    db.session.execute(
        update(Account)
        .where(active_admins)
        .values(session_version=Account.session_version)
        .execution_options(synchronize_session=False)
    )
    admins = db.session.scalars(select(Account.id).where(active_admins).with_for_update()).all()
    if not [admin for admin in admins if admin != target.id]:
        raise AccountAdminProblem(f"You cannot {doing} the last active system admin")


def _end_sessions(target: Account) -> None:
    # Checked on every request (interests/security.py, load_account): the next one is signed out.
    target.session_version += 1


def disable(target: Account, *, reason: str, actor: Account) -> None:
    """Disable the account: nobody can sign in to it, and every session and reset link of it ends."""
    reason = _clean_reason(reason)
    _not_yourself(target, actor, "disable")
    if not target.active:
        raise AccountAdminProblem("This account is already disabled")
    _not_the_last_system_admin(target, "disable")
    target.active = False
    _end_sessions(target)
    # A link sent before is for before: enabled again later, the account is not opened by it.
    accounts.retire_reset_links(target)
    _record("account.disabled", target, actor=actor, what=f"disabled {target.email}", reason=reason)


def enable(target: Account, *, reason: str, actor: Account) -> None:
    """Enable a disabled account: its owner can sign in again with their password."""
    reason = _clean_reason(reason)
    if target.active:
        raise AccountAdminProblem("This account is not disabled")
    target.active = True
    _record("account.enabled", target, actor=actor, what=f"enabled {target.email}", reason=reason)


def remove_second_factor(target: Account, *, reason: str, actor: Account) -> None:
    """Remove the second factor of someone who lost their authenticator and recovery codes: they
    sign in with their password alone (and, where it is required, set up a new one). Every session
    of the account ends, and its owner is told by email."""
    reason = _clean_reason(reason)
    _not_yourself(target, actor, "remove the second factor of")
    if not target.has_second_factor:
        raise AccountAdminProblem("This account does not have a second factor")
    second_factor.forget(target)
    _end_sessions(target)
    _record(
        "account.second_factor_removed",
        target,
        actor=actor,
        what=f"removed the second factor of {target.email}",
        reason=reason,
    )
    security_log.record(
        security_log.SECOND_FACTOR_CHANGED, account=target, detail=f"Removed by system admin {actor.id}"
    )
    second_factor.tell_owner_removed(target)


def unlock(target: Account, *, reason: str, actor: Account) -> None:
    """Let a locked account sign in again now, and forget its failed sign-ins."""
    reason = _clean_reason(reason)
    if status_of(target) != LOCKED and not target.failed_sign_ins:
        raise AccountAdminProblem("This account is not locked")
    target.locked_until = None
    target.failed_sign_ins = 0
    target.first_failed_at = None
    _record("account.unlocked", target, actor=actor, what=f"unlocked {target.email}", reason=reason)


def change_role(
    target: Account, role: str, *, reason: str, actor: Account, provider: Provider | None = None
) -> None:
    """Give the account another role; every session of it ends at once.

    A new provider admin needs a provider (`provider`, unless they keep one); an account leaving
    that role loses its providers.
    """
    reason = _clean_reason(reason)
    if target.professional_id is not None or target.role == "professional":
        raise AccountAdminProblem(
            "This is a professional's own account, linked to their registration: its role cannot be "
            "changed. If they need another role, make them a separate account with another address"
        )
    if role not in ASSIGNABLE_ROLES:
        raise AccountAdminProblem("Select a role from the list")
    _not_yourself(target, actor, "change the role of")
    if role == target.role:
        raise AccountAdminProblem(f"This account is already a {ROLE_BY_CODE[role].label.lower()}")
    _not_the_last_system_admin(target, "change the role of")
    before = target.role
    removed = [p.slug for p in target.providers]
    if role == "provider_admin":
        if provider is None:
            raise AccountAdminProblem("Enter the provider this provider admin will run")
        target.providers = [provider]
        removed = []
    else:
        target.providers = []
    target.role = role
    _end_sessions(target)
    what = (
        f"changed the role of {target.email} from {ROLE_BY_CODE[before].label} to {ROLE_BY_CODE[role].label}"
    )
    if provider is not None and role == "provider_admin":
        what += f", running {provider.name}"
    _record(
        "account.role_changed",
        target,
        actor=actor,
        what=what,
        reason=reason,
        data={
            "from": before,
            "to": role,
            "providers_added": [provider.slug] if provider is not None and role == "provider_admin" else [],
            "providers_removed": removed,
        },
    )


def add_provider(target: Account, provider: Provider, *, reason: str, actor: Account) -> None:
    """Let a provider admin run one more provider."""
    reason = _clean_reason(reason)
    if target.role != "provider_admin":
        raise AccountAdminProblem("Only a provider admin runs providers: change the role first")
    if any(p.id == provider.id for p in target.providers):
        raise AccountAdminProblem(f"This account already runs {provider.name}")
    target.providers.append(provider)
    _record(
        "account.provider_added",
        target,
        actor=actor,
        what=f"let {target.email} run {provider.name}",
        reason=reason,
        data={"provider": provider.slug},
        provider_id=provider.id,
    )


def remove_provider(target: Account, provider: Provider, *, reason: str, actor: Account) -> None:
    """Stop a provider admin running a provider (from their next request: access is read each time)."""
    reason = _clean_reason(reason)
    if not any(p.id == provider.id for p in target.providers):
        raise AccountAdminProblem(f"This account does not run {provider.name}")
    if len(target.providers) == 1:
        raise AccountAdminProblem(
            "A provider admin must run at least one provider: add another first, or change their role"
        )
    target.providers = [p for p in target.providers if p.id != provider.id]
    _record(
        "account.provider_removed",
        target,
        actor=actor,
        what=f"stopped {target.email} running {provider.name}",
        reason=reason,
        data={"provider": provider.slug},
        provider_id=provider.id,
    )


def ask_again(target: Account, engagement: Engagement, *, reason: str, actor: Account) -> None:
    """Send a professional a new link for an engagement they have not confirmed; the old one stops.

    The link goes to the address the provider recorded, exactly as the provider's own invitation
    did (`invitations.ask_again`): a system admin never chooses the address.
    """
    reason = _clean_reason(reason)
    if engagement.professional_id != target.professional_id or not invitations.can_ask_again(engagement):
        raise AccountAdminProblem("This engagement cannot be asked about again")
    if not invitations.ask_again(engagement, actor=actor):
        raise AccountAdminProblem("There is no address to send a new link to")
    _record(
        "engagement.invitation_resent",
        target,
        actor=actor,
        what=f"asked {target.email} again to confirm they work at {engagement.provider.name}",
        reason=reason,
        data={"engagement_id": engagement.id},
        provider_id=engagement.provider_id,
    )
