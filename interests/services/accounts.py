"""Accounts: creating them, signing in and out, revoking sessions."""

from __future__ import annotations

from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Account, InvalidRecord, Professional, Provider, utcnow
from interests.security import hash_password, password_needs_rehash, verify_password
from interests.services import audit

MIN_PASSWORD_LENGTH = 12  # NCSC and OWASP ASVS 5.0 V6.2.1: at least 12 characters


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRecord(f"The password must be {MIN_PASSWORD_LENGTH} characters or more")
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


def set_password(account: Account, password: str) -> None:
    """A new password: every earlier session of the account stops working."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRecord(f"The password must be {MIN_PASSWORD_LENGTH} characters or more")
    account.password_hash = hash_password(password)
    account.session_version += 1


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
