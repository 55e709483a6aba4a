"""The second factor (OWASP ASVS 5.0 V6.5, V6.6): codes from an authenticator app, and recovery codes.

An account sets one up at /account: it is given a TOTP secret (RFC 6238, 30-second steps, 6 digits,
SHA-1: what every authenticator app reads from a QR code) and turns it on by entering a code from
it; it then gets RECOVERY_CODE_COUNT single-use recovery codes, shown once. From then on a sign-in
needs the password and then a code (interests/auth/routes.py).

- A code is accepted for the step it was made in and one step either side (clock drift), and only
  for a step later than the last one accepted for the account, so each code works once (V6.6.3).
  One conditional UPDATE claims the step: two requests with the same code cannot both pass.
- Recovery codes have over 112 bits of entropy each, so the database keeps their SHA-256 hash
  (V6.5.2); one is spent by one conditional UPDATE, so it works once however many requests race.
- The TOTP secret must be read back to check codes, so it cannot be hashed: it is kept sealed
  (encrypted and authenticated with SECOND_FACTOR_KEYS, interests/services/sealing.py, V11.1), so a
  copy of the database or a backup does not give anyone the codes. This module alone unseals it.
  A secret no key opens (its key was dropped from SECOND_FACTOR_KEYS, or the row was altered) is
  refused with `SecretUnreadable`: never a sign-in, never an error page; a setup never finished is
  simply started again with a new secret.

Services add and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import Table, bindparam, delete, func, or_, select, update

from interests.extensions import db
from interests.models import Account, InvalidRecord, RecoveryCode, utcnow
from interests.rules.codes import (
    DIGITS,
    RECOVERY_ALPHABET,
    RECOVERY_CODE_LENGTH,
    RECOVERY_GROUP,
    authenticator_code_problem,
    recovery_code_key,
    recovery_code_problem,
    shown_in_groups,
    squeezed,
)
from interests.services import audit, sealing, security_log
from interests.services.outbox import absolute_url, send_email

logger = logging.getLogger(__name__)

STEP_SECONDS = 30  # RFC 6238's default, and the only step authenticator apps all support
DRIFT_STEPS = 1  # a code from the step before or after is accepted (pyotp's valid_window=1)
RECOVERY_CODE_COUNT = 10
SECRET_GROUP = 4  # the setup key, shown in groups of four for reading and typing
ISSUER = "Register of declared interests"


class WrongCode(InvalidRecord):
    """A code that is not the account's (wrong, already used, or too old)."""


class SecretUnreadable(InvalidRecord):
    """The account's sealed secret opens with none of SECOND_FACTOR_KEYS: no code can be checked."""


UNREADABLE = (
    "Codes from your authenticator app cannot be checked at the moment. Sign in with a recovery "
    "code, or ask the person who runs the register where you work to remove your second factor"
)


def is_required(account: Account) -> bool:
    """Whether this account must have a second factor before it can do anything (production only)."""
    config = current_app.config
    return config["INTERESTS_ENV"] == "production" and account.role in config["MFA_REQUIRED_ROLES"]


def grouped_secret(secret: str) -> str:
    return shown_in_groups(secret, SECRET_GROUP, " ")


# --- Setting up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    secret: str
    uri: str  # otpauth://totp/... as the QR code holds it
    qr_data_uri: str  # an SVG image as a data: URI (the CSP allows data: images)

    @property
    def grouped_secret(self) -> str:
        return grouped_secret(self.secret)


def start_setup(account: Account) -> Setup:
    """The secret to set up (the same one until it is turned on, so reloading the page is harmless)."""
    if account.has_second_factor:
        raise InvalidRecord("Your account already has a second factor")
    secret = _readable_secret(account)
    if secret is None:  # none yet, or one no key opens any more: nothing depends on it yet
        secret = pyotp.random_base32()  # 32 base32 characters: 160 bits (RFC 4226)
        account.totp_secret = sealing.seal(secret)
        account.totp_last_step = None
        db.session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    return Setup(secret, uri, qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def _readable_secret(account: Account) -> str | None:
    """The secret being set up, or None if there is none or no key opens it."""
    if not account.totp_secret:
        return None
    try:
        return sealing.unseal(account.totp_secret)
    except sealing.Unsealable:
        return None


def turn_on(account: Account, code: str, now: datetime | None = None) -> list[str]:
    """Turn the second factor on once a code from the app shows it was set up; the recovery codes."""
    if account.has_second_factor:
        raise InvalidRecord("Your account already has a second factor")
    if _readable_secret(account) is None:
        raise InvalidRecord("Start setting up your second factor again: scan the new QR code below")
    now = now or utcnow()
    if not _claim_step(account, code, now):
        raise WrongCode("The code is not right. Enter the code your authenticator app shows now")
    account.totp_enabled_at = now
    codes = _new_recovery_codes(account, now)
    _changed(account, "account.second_factor_on", f"{account.email} turned on a second factor", "Turned on")
    _tell_owner(
        account,
        kind="second_factor_on",
        subject="A second factor was turned on for your account",
        what=(
            "A second factor (a code from an authenticator app) was turned on for your account. From now "
            "on, signing in needs your password and a code from the app."
        ),
    )
    return codes


def forget(account: Account) -> None:
    """Forget the account's second factor: its secret and every recovery code."""
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    db.session.flush()


def tell_owner_removed(account: Account) -> None:
    """Email the owner that a system admin removed their second factor."""
    _tell_owner(
        account,
        kind="second_factor_removed",
        subject="The second factor was removed from your account",
        what=(
            "A system admin of the register removed the second factor (a code from an authenticator "
            "app) from your account, at your request or because it could no longer be used. Sign in "
            "with your password; you may be asked to set up a new one."
        ),
    )


def turn_off(account: Account) -> None:
    """Turn the second factor off: the secret and every recovery code are forgotten."""
    if not account.has_second_factor and not account.totp_secret:
        raise InvalidRecord("Your account does not have a second factor")
    was_on = account.has_second_factor
    forget(account)
    if not was_on:
        return  # only a setup never finished: nothing to tell anyone
    _changed(
        account, "account.second_factor_off", f"{account.email} turned off their second factor", "Turned off"
    )
    _tell_owner(
        account,
        kind="second_factor_off",
        subject="The second factor was turned off for your account",
        what=(
            "The second factor (a code from an authenticator app) was turned off for your account. "
            "Signing in now needs only your password."
        ),
    )


def replace_recovery_codes(account: Account, now: datetime | None = None) -> list[str]:
    """A new set of recovery codes; every earlier one stops working."""
    if not account.has_second_factor:
        raise InvalidRecord("Your account does not have a second factor")
    codes = _new_recovery_codes(account, now or utcnow())
    _changed(
        account,
        "account.recovery_codes_replaced",
        f"{account.email} made a new set of recovery codes",
        "New recovery codes",
    )
    return codes


def codes_left_message(left: int) -> str:
    if left == 0:
        return (
            "You have used your last recovery code. Make a new set of recovery codes now, from your account"
        )
    return (
        f"You signed in with a recovery code. It will not work again: you have {left} "
        f"recovery code{'' if left == 1 else 's'} left"
    )


def recovery_codes_left(account: Account) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _new_recovery_codes(account: Account, now: datetime) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    for code in codes:
        db.session.add(RecoveryCode(account_id=account.id, code_hash=_hash(code), created_at=now))
    db.session.flush()
    return [_shown(code) for code in codes]


def _shown(code: str) -> str:
    return shown_in_groups(code, RECOVERY_GROUP, "-")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# --- Checking codes --------------------------------------------------------------------------------


def check_authenticator_code(account: Account, typed: str, now: datetime | None = None) -> bool:
    """Whether `typed` is a code the account's app makes now, never used before; using it spends it.

    `SecretUnreadable` if the account's secret opens with none of the keys (no code can pass).
    """
    if not account.has_second_factor:
        return False
    return _claim_step(account, typed, now or utcnow())


def use_recovery_code(account: Account, typed: str, now: datetime | None = None) -> int | None:
    """Spend one of the account's recovery codes: how many are left, or None if it is not one of them.

    The owner is emailed, so a code used by someone else does not go unnoticed.
    """
    if not account.has_second_factor or recovery_code_problem(typed) is not None:
        return None
    now = now or utcnow()
    table: Table = RecoveryCode.__table__  # type: ignore[assignment]
    spent = db.session.execute(
        update(table)
        .where(
            table.c.account_id == account.id,
            table.c.code_hash == _hash(recovery_code_key(typed)),
            table.c.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(table.c.id)
    ).first()
    if spent is None:
        return None
    left = recovery_codes_left(account)
    _tell_owner(
        account,
        kind="recovery_code_used",
        subject="A recovery code was used to sign in to your account",
        what=(
            f"One of your recovery codes was used to sign in to your account. It will not work again. "
            f"You have {left} recovery code{'' if left == 1 else 's'} left: you can make a new set at "
            f"{absolute_url('account.home')}."
        ),
    )
    return left


def _claim_step(account: Account, typed: str, now: datetime) -> bool:
    """Accept a code made for a step within DRIFT_STEPS of now and later than the last one accepted."""
    if authenticator_code_problem(typed) is not None or not account.totp_secret:
        return False
    try:
        secret = sealing.unseal(account.totp_secret)
    except sealing.Unsealable:
        logger.error(
            "The second-factor secret of account %s opens with none of SECOND_FACTOR_KEYS: list the key "
            "it was sealed with (see docs/deploy.md)",
            account.id,
        )
        raise SecretUnreadable(UNREADABLE) from None
    code = squeezed(typed)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    matched = [
        step
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]
    if not matched:
        return False
    step = max(matched)
    table: Table = Account.__table__  # type: ignore[assignment]
    claimed = db.session.execute(
        update(table)
        .where(
            table.c.id == account.id,
            or_(table.c.totp_last_step.is_(None), table.c.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(table.c.id)
    ).first()
    db.session.expire(account, ["totp_last_step"])
    return claimed is not None


# --- Rotating the keys ---------------------------------------------------------------------------

RESEAL_BATCH = 500  # accounts read and written at a time by `reseal_all`


class UnreadableSecrets(Exception):
    """Some accounts' secrets open with none of the keys; the message names them (no secret)."""


def reseal_all(batch: int = RESEAL_BATCH) -> int:
    """Seal every account's secret again with the first of SECOND_FACTOR_KEYS: how many were.

    Batches of `batch` accounts, in the caller's one transaction: if any secret opens with none of
    the keys, `UnreadableSecrets` is raised before the caller commits, so nothing changes. Each row is
    written only if it still holds the token read, so a secret set up meanwhile is never overwritten.
    """
    table: Table = Account.__table__  # type: ignore[assignment]
    resealed, unreadable, last_id = 0, [], 0
    while True:
        rows = db.session.execute(
            select(table.c.id, table.c.email, table.c.totp_secret)
            .where(table.c.totp_secret.is_not(None), table.c.id > last_id)
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        changes = []
        for row in rows:
            try:
                changes.append(
                    {"row_id": row.id, "old": row.totp_secret, "new": sealing.reseal(row.totp_secret)}
                )
            except sealing.Unsealable:
                unreadable.append(row.email)
        if changes:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"), table.c.totp_secret == bindparam("old"))
                .values(totp_secret=bindparam("new")),
                changes,
            )
            resealed += len(changes)
    if unreadable:
        shown = ", ".join(unreadable[:10]) + (
            f" and {len(unreadable) - 10:,} more" if len(unreadable) > 10 else ""
        )
        some = (
            "secret of 1 account opens"
            if len(unreadable) == 1
            else f"secrets of {len(unreadable):,} accounts open"
        )
        raise UnreadableSecrets(
            f"The second-factor {some} with none of SECOND_FACTOR_KEYS ({shown}): list the key they "
            "were sealed with, or remove those accounts' second factor at /admin, and rotate again. "
            "Nothing was changed."
        )
    db.session.expire_all()
    return resealed


def _changed(account: Account, action: str, summary: str, detail: str) -> None:
    """The holder changed their second factor: audited, and in the security log."""
    audit.record(action, account, actor=account, summary=summary, professional_id=account.professional_id)
    security_log.record(security_log.SECOND_FACTOR_CHANGED, account=account, detail=detail)


def _tell_owner(account: Account, *, kind: str, subject: str, what: str) -> None:
    send_email(
        kind=kind,
        to=account.email,
        subject=subject,
        body=(
            f"{what}\n\nWhen: {utcnow():%d %B %Y at %H:%M} UTC.\n\n"
            "If this was not you, someone else can sign in to your account: choose a new password now "
            "and tell the person who runs the register where you work:\n\n"
            f"{absolute_url('password_reset.request_link')}\n"
        ),
        professional_id=account.professional_id,
    )
