"""Choosing a new password by a one-time link, asked for from the sign-in page by email address.

Whoever asks is told the same thing whether or not an account uses the address (so the form
does not say who has an account), and the work done is nearly the same: a token is made and
hashed either way; only an account's reset is stored and emailed. A disabled account gets no
email. The database keeps the token's SHA-256 hash only; a link works once, for
RESET_VALID_FOR, and at most RESETS_PER_HOUR are sent to one account in an hour (so the form
cannot be used to flood somebody's inbox; the route's rate limit slows one client down too).
Using a link sets the password, ends every session of the account, retires the account's other
links and tells the owner by email.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from interests.extensions import db
from interests.models import Account, PasswordReset, utcnow
from interests.services import accounts, audit, security_log
from interests.services.invitations import token_hash
from interests.services.outbox import absolute_url, send_email

RESET_VALID_FOR = timedelta(hours=1)  # OWASP ASVS 5.0 V6.4: a recovery secret is short-lived
RESETS_PER_HOUR = 3  # reset emails to one account in an hour, counted in the database


class ResetLinkUnusable(Exception):
    """The link is forged, expired, used already, or its account is disabled."""


def request_reset(email: str) -> None:
    """Email a reset link if an active account uses this address (and has not had too many lately)."""
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)
    account = accounts.find_by_email(email)
    security_log.record(security_log.PASSWORD_RESET_REQUESTED, account=account, email=email)
    if account is None or not account.active:
        return
    now = utcnow()
    recent = db.session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.account_id == account.id, PasswordReset.created_at > now - RESET_VALID_FOR)
    )
    if (recent or 0) >= RESETS_PER_HOUR:
        return
    db.session.add(
        PasswordReset(
            account_id=account.id, token_hash=digest, created_at=now, expires_at=now + RESET_VALID_FOR
        )
    )
    link = absolute_url("password_reset.choose_password", token=token)
    minutes = int(RESET_VALID_FOR.total_seconds() // 60)
    send_email(
        kind="password_reset",
        to=account.email,
        subject="Choose a new password",
        body=(
            "Somebody - we hope you - asked to choose a new password for your account on the "
            f"register of declared interests. Use this link to choose one. It works once, within "
            f"{minutes} minutes:\n\n{link}\n\n"
            "If you did not ask, you can ignore this email: your password has not changed.\n"
        ),
        professional_id=account.professional_id,
    )
    audit.record(
        "account.password_reset_requested",
        account,
        actor=None,
        summary=f"A link to choose a new password was sent to {account.email}",
        professional_id=account.professional_id,
    )


def find_usable(token: str) -> PasswordReset | None:
    """The reset this token opens, if it is unused, unexpired and its account is active."""
    if not token or len(token) > 200:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or not reset.account.active:
        return None
    return reset


def reset_password(token: str, password: str) -> Account:
    """Set the account's password by this link, once.

    Raises InvalidRecord when the policy refuses the password (the link still works), and
    ResetLinkUnusable when the link does not work (or was used a moment ago, in another request).
    """
    reset = find_usable(token)
    if reset is None:
        raise ResetLinkUnusable
    account = reset.account
    accounts.check_new_password(password, email=account.email, full_name=account.full_name)
    # Claim the link in the database, so two requests with it at the same moment set one password.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ResetLinkUnusable
    accounts.set_password(account, password)
    # Proving control of the address ends a lock someone else's guessing caused (ASVS V6.3: the
    # lock slows guessing the old password; it should not keep the owner out once they choose a new
    # one), and the count of failures starts again.
    account.locked_until = None
    account.failed_sign_ins = 0
    account.first_failed_at = None
    audit.record(
        "account.password_reset",
        account,
        actor=account,
        summary=f"{account.email} chose a new password by an emailed link",
        professional_id=account.professional_id,
    )
    security_log.record(security_log.PASSWORD_RESET, account=account)
    accounts.tell_password_changed(account)
    return account
