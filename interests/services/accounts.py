"""Accounts: creating them, signing in and out, revoking sessions."""

from __future__ import annotations

from sqlalchemy import func, select, update

from interests.extensions import db
from interests.models import Account, InvalidRecord, PasswordReset, Professional, Provider, utcnow

# The password policy (ASVS 5.0 V6.2) is interests/rules/passwords.py; MIN_PASSWORD_LENGTH is re-exported.
from interests.rules.passwords import MIN_PASSWORD_LENGTH as MIN_PASSWORD_LENGTH
from interests.rules.passwords import password_problem, personal_parts
from interests.security import hash_password, password_needs_rehash, verify_password
from interests.services import audit
from interests.services.outbox import absolute_url, send_email


class WrongPassword(InvalidRecord):
    """The current password given to change it is not the account's."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Account | None:
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
    """The holder changes the account's password; other sessions end (the caller signs this one in again)."""
    if not verify_password(account.password_hash, current_password):
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
    tell_password_changed(account)


def authenticate(email: str, password: str) -> Account | None:
    """The account for these credentials, or None. Takes the same time whether or not it exists."""
    account = find_by_email(email)
    if not verify_password(account.password_hash if account else None, password):
        return None
    if account is None or not account.active:
        return None
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.last_signed_in_at = utcnow()
    db.session.commit()
    return account


def revoke_sessions(account: Account) -> None:
    """Make every session cookie issued so far for this account stop working."""
    account.session_version += 1
    db.session.commit()
