"""Accounts: creating them, signing in and out, revoking sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Table, case, func, literal, or_, select, update

from interests.extensions import db
from interests.models import Account, InvalidRecord, PasswordReset, Professional, Provider, utcnow
from interests.models.base import UTCDateTime

# The password policy (ASVS 5.0 V6.2) is interests/rules/passwords.py; MIN_PASSWORD_LENGTH is re-exported.
from interests.rules.passwords import MIN_PASSWORD_LENGTH as MIN_PASSWORD_LENGTH
from interests.rules.passwords import password_problem, personal_parts
from interests.security import hash_password, password_needs_rehash, verify_password
from interests.services import audit, outbox, security_log
from interests.services.outbox import absolute_url, send_email


class WrongPassword(InvalidRecord):
    """The current password given to change it is not the account's."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Account | None:
    if "\x00" in email:
        return None  # no address holds one, and PostgreSQL refuses it in a query
    return db.session.scalar(select(Account).where(func.lower(Account.email) == normalise_email(email)))


def create_account(
    *,
    email: str,
    password: str,
    role: str,
    providers: list[Provider] | None = None,
    professional: Professional | None = None,
    full_name: str | None = None,
    actor: Account | None = None,
) -> Account:
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise InvalidRecord("Enter an email address in the correct format, like name@example.org")
    check_new_password(
        password, email=email, full_name=full_name or (professional.full_name if professional else None)
    )
    if find_by_email(email) is not None:
        raise InvalidRecord(f"An account with the email {email} already exists")
    if role == "provider_admin" and not providers:
        raise InvalidRecord("A provider admin must be given at least one provider")
    if role != "provider_admin" and providers:
        raise InvalidRecord("Only a provider admin can be given providers")
    if professional is not None:
        taken = db.session.scalar(select(Account.id).where(Account.professional_id == professional.id))
        if taken is not None:
            raise InvalidRecord("That professional already has an account")
    account = Account(
        email=email,
        password_hash=hash_password(password),
        role=role,
        professional=professional,
        full_name=full_name or (professional.full_name if professional else None),
        providers=list(providers or []),
    )
    db.session.add(account)
    audit.record(
        "account.created",
        account,
        actor=actor,
        summary=f"Account {email} created with role {role}",
        professional_id=professional.id if professional else None,
        data={"role": role, "providers": [p.slug for p in providers or []]},
    )
    return account


def check_new_password(password: str, *, email: str, full_name: str | None) -> None:
    """Refuse a password the policy refuses (interests/rules/passwords.py), saying why."""
    problem = password_problem(password, personal_parts(full_name, email))
    if problem is not None:
        raise InvalidRecord(problem)


def set_password(account: Account, password: str) -> None:
    """A new password: every earlier session of the account, and every reset link out, stops working."""
    check_new_password(password, email=account.email, full_name=account.full_name)
    account.password_hash = hash_password(password)
    account.session_version += 1
    retire_reset_links(account)


def retire_reset_links(account: Account) -> None:
    """Every reset link sent to the account and not yet used stops working, for good."""
    if account.id is not None:
        db.session.execute(
            update(PasswordReset)
            .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
            .values(used_at=utcnow())
        )


def tell_password_changed(account: Account) -> None:
    """Email the account's owner that its password changed: if it was not them, they can act."""
    send_email(
        kind="password_changed",
        to=account.email,
        subject="Your password was changed",
        body=(
            "The password of your account on the register of declared interests was changed "
            f"({utcnow():%d %B %Y at %H:%M} UTC). Every other sign-in to the account has ended.\n\n"
            "If you did not change it, choose a new password now and tell the person who runs "
            f"the register where you work:\n\n{absolute_url('password_reset.request_link')}\n"
        ),
        professional_id=account.professional_id,
    )


def change_password(account: Account, current_password: str, new_password: str) -> None:
    """The holder changes the account's password; other sessions end (the caller signs this one in again).

    A wrong current password counts towards the lockout as at sign-in (the caller keeps that count
    when it refuses the change: see interests/account/routes.py): whoever holds a stolen session
    gets no more guesses here than at the sign-in page.
    While the account is locked even the right password changes nothing.
    """
    matches = verify_password(account.password_hash, current_password)
    now = utcnow()
    locked = account.locked_until is not None and account.locked_until > now
    if not matches and not locked:
        locked = _count_failure(account, now)
    if locked:
        minutes = current_app.config["LOCKOUT_MINUTES"]
        raise WrongPassword(
            f"Your account is locked for {minutes} minutes after too many wrong passwords; "
            "we have emailed you"
        )
    if not matches:
        raise WrongPassword("Your current password is not correct")
    if current_password == new_password:
        raise InvalidRecord("Enter a new password that is different from your current one")
    set_password(account, new_password)
    audit.record(
        "account.password_changed",
        account,
        actor=account,
        summary=f"{account.email} changed their password",
        professional_id=account.professional_id,
    )
    security_log.record(security_log.PASSWORD_CHANGED, account=account)
    tell_password_changed(account)


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: the account signed in to, or None; and whether the account
    named is locked (then even its right password is refused)."""

    account: Account | None
    locked: bool = False
    # The password was right, but the account has a second factor: not signed in until its code is.
    needs_second_factor: bool = False


def attempt_sign_in(email: str, password: str) -> SignIn:
    """Check the credentials, counting a failure against the account (OWASP ASVS 5.0 V6.3.1).

    The password is checked before anything else, so an unknown, disabled or locked account takes
    as long as a known one. A failure is counted on the account: the request's unit of work keeps
    it, as the sign-in page answers with its error (status 200).
    """
    account = find_by_email(email)
    password_matches = verify_password(account.password_hash if account else None, password)
    if account is None or not account.active:
        return SignIn(None)
    now = utcnow()
    if is_locked(account, now):
        return SignIn(None, locked=True)
    if not password_matches:
        locked = _count_failure(account, now)
        return SignIn(None, locked=locked)
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if account.has_second_factor:
        # The failures are not forgotten yet: someone who knows the password must not get ten more
        # guesses at the code each time they enter it again. Its code finishes the sign-in.
        return SignIn(account, needs_second_factor=True)
    signed_in(account, now)
    return SignIn(account)


def waiting_for_second_factor(account_id: int, session_version: int) -> Account | None:
    """The account a sign-in is waiting on, if it still has a second factor, is active and has not
    ended its sessions since the password was entered (a changed password, say)."""
    account = db.session.get(Account, account_id)
    if (
        account is None
        or not account.active
        or account.session_version != session_version
        or not account.has_second_factor
    ):
        return None
    return account


def signed_in(account: Account, now: datetime) -> None:
    """A complete sign-in: the count of failures starts again (the caller commits)."""
    account.last_signed_in_at = now
    account.failed_sign_ins = 0
    account.first_failed_at = None
    account.locked_until = None


def is_locked(account: Account, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def count_failed_code(account: Account, now: datetime) -> bool:
    """A wrong second-factor code counts towards the same lockout as a wrong password (ASVS V6.3.1).

    True if the account is now locked. The caller commits.
    """
    return _count_failure(account, now, what="code")


def authenticate(email: str, password: str) -> Account | None:
    """The account for these credentials, or None. Takes the same time whether or not it exists."""
    return attempt_sign_in(email, password).account


def _count_failure(account: Account, now: datetime, what: str = "password") -> bool:
    """Count one failed sign-in; lock the account at LOCKOUT_ATTEMPTS. True if it is now locked.

    One UPDATE adds one in the database (never read, add, write back), so failures arriving at the
    same moment on several servers are all counted. Failures older than the window are forgotten:
    the count starts again at the first failure after it.
    """
    config = current_app.config
    table: Table = Account.__table__  # type: ignore[assignment]
    window_start = now - timedelta(minutes=config["LOCKOUT_WINDOW_MINUTES"])
    stale = or_(table.c.first_failed_at.is_(None), table.c.first_failed_at <= window_start)
    failures = db.session.execute(
        update(table)
        .where(table.c.id == account.id)
        .values(
            failed_sign_ins=case((stale, 1), else_=table.c.failed_sign_ins + 1),
            first_failed_at=case((stale, literal(now, UTCDateTime())), else_=table.c.first_failed_at),
        )
        .returning(table.c.failed_sign_ins)
    ).scalar_one()
    if failures < config["LOCKOUT_ATTEMPTS"]:
        db.session.expire(account)
        return False
    locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
    # Only the request that moves the account from unlocked to locked sees a row changed: the
    # owner gets one email per lock however many attempts arrive together.
    newly_locked = db.session.execute(
        update(table)
        .where(table.c.id == account.id, or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(locked_until=locked_until, failed_sign_ins=0, first_failed_at=None)
        .returning(table.c.id)
    ).first()
    db.session.expire(account)
    if newly_locked is not None:
        _tell_owner_of_lock(account, failures, config["LOCKOUT_MINUTES"], what)
    return True


def _tell_owner_of_lock(account: Account, failures: int, minutes: int, what: str = "password") -> None:
    if what == "code":
        # The last failure was a code, after the right password: the password is no secret any more.
        happened = (
            f"Someone entered the wrong password or the wrong code from your authenticator app for your "
            f"account ({account.email}) {failures} times in a short time, so nobody can sign in to it "
            f"for the next {minutes} minutes.\n\n"
            "The last attempt had your password right. If this was not you, someone knows your "
            "password: choose a new one now, and tell your organisation's IT security team. "
        )
    else:
        happened = (
            f"Someone entered the wrong password for your account ({account.email}) {failures} times "
            f"in a short time, so nobody can sign in to it for the next {minutes} minutes.\n\n"
            "If this was you, wait and try again. If it was not, someone may be guessing your password: "
            "make sure it is not one you use anywhere else, and tell your organisation's IT security "
            "team. "
        )
    outbox.send_email(
        kind="account_locked",
        to=account.email,
        subject="Your account was locked after too many failed sign-ins",
        body=(
            f"{happened}You can choose a new password here, and then sign in at once:\n\n"
            f"{absolute_url('password_reset.request_link')}\n"
        ),
        professional_id=account.professional_id,
    )
    audit.record(
        "account.locked",
        account,
        actor=None,
        summary=f"Account {account.email} locked for {minutes} minutes after {failures} failed sign-ins",
        professional_id=account.professional_id,
    )
    security_log.record(
        security_log.ACCOUNT_LOCKED,
        account=account,
        detail=f"{failures} failed sign-ins; locked {minutes} minutes",
    )


def revoke_sessions(account: Account) -> None:
    """Make every session cookie issued so far for this account stop working."""
    account.session_version += 1
