from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from interests.auth.forms import (
    AuthenticatorCodeForm,
    ConfirmPasswordForm,
    RecoveryCodeForm,
    SignInForm,
    SignOutForm,
)
from interests.extensions import limiter
from interests.models import Account, utcnow
from interests.security import (
    begin_pending_sign_in,
    password_confirmed,
    pending_sign_in,
    safe_next_path,
    start_session,
)
from interests.services import accounts, second_factor, security_log

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    "professional": "/declare",
    "provider_admin": "/manage",
    "inspector": "/inspect",
    "system_admin": "/admin",
}


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _only_form_posts() -> bool:
    return request.method != "POST"


WRONG_CREDENTIALS = "Enter a correct email address and password"
# Saying the account is locked tells whoever made the failures that the address has an account.
# We say it all the same: a real user otherwise retries a right password for 15 minutes thinking
# it wrong, or resets it for nothing. Finding an account this way costs 10 wrong passwords per
# address tried (at most 300 an hour from one client), locks that person out and emails them, so
# it is slow and loud; and the answer is the same for the right password as for a wrong one, so
# the lock never confirms a guess. Unknown and disabled addresses are never "locked".
LOCKED = (
    "This account is locked for {minutes} minutes after too many failed sign-ins; we have emailed its owner"
)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
def sign_in() -> Any:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[current_user.role])
    if form.validate_on_submit():
        result = accounts.attempt_sign_in(form.email.data or "", form.password.data or "")
        if result.needs_second_factor and result.account is not None:
            begin_pending_sign_in(result.account, form.next.data)
            return redirect(url_for("auth.second_factor_code"))
        if result.account is not None:
            start_session(result.account)
            security_log.record(security_log.SIGN_IN, account=result.account)
            return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[result.account.role])
        security_log.record(
            security_log.SIGN_IN_FAILED,
            email=form.email.data,
            detail="Account locked" if result.locked else "",
        )
        form.email.errors = list(form.email.errors) + [WRONG_CREDENTIALS]
        if result.locked:  # about the account, not a field: shown in the summary, after the above
            form.form_errors.append(LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"]))
    return render_template("auth/sign_in.html", form=form)


# --- The second step of signing in, for an account with a second factor -----------------------------

WRONG_CODE = "The code is not right. Enter the code your authenticator app shows now"
WRONG_RECOVERY_CODE = "That recovery code is not right, or it has been used. Enter another one"
START_AGAIN = "Your sign-in was not finished in time. Sign in again"


def _pending_account() -> tuple[Account, str] | None:
    """The account waiting for its code, and where to go after; None if there is none (any more)."""
    pending = pending_sign_in()
    if pending is None:
        return None
    account_id, version, next_path = pending
    account = accounts.waiting_for_second_factor(account_id, version)
    return None if account is None else (account, next_path)


def _start_again() -> Any:
    flash(START_AGAIN, "info")
    return redirect(url_for("auth.sign_in"))


def _finish_sign_in(account: Account, next_path: str, how: str) -> Any:
    accounts.signed_in(account, utcnow())
    start_session(account)
    security_log.record(security_log.SIGN_IN, account=account, detail=how)
    return redirect(safe_next_path(next_path) or HOME_BY_ROLE[account.role])


def _refuse_code(account: Account, form: Any, message: str, detail: str) -> None:
    """A wrong code counts towards the account's lockout, as a wrong password does."""
    locked = accounts.count_failed_code(account, utcnow())
    security_log.record(
        security_log.SIGN_IN_FAILED,
        account=account,
        email=account.email,
        detail=f"{detail}; account locked" if locked else detail,
    )
    form.code.errors = list(form.code.errors) + [message]
    if locked:
        form.form_errors.append(LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"]))


def _refuse_unreadable(account: Account, form: Any, problem: second_factor.SecretUnreadable) -> None:
    """No key opens the account's secret: no code can pass. Logged, not counted towards the
    lockout (nobody guessed wrong); the person is told to use a recovery code."""
    security_log.record(
        security_log.SIGN_IN_FAILED,
        account=account,
        email=account.email,
        detail="Second factor cannot be checked: no key opens its secret",
    )
    form.form_errors.append(str(problem))


def _locked(account: Account, form: Any) -> bool:
    if not accounts.is_locked(account, utcnow()):
        return False
    # The right code is refused too: a lock that a right guess could end would not be a lock.
    security_log.record(
        security_log.SIGN_IN_FAILED, account=account, email=account.email, detail="Account locked"
    )
    form.form_errors.append(LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"]))
    return True


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
def second_factor_code() -> Any:
    pending = _pending_account()
    if pending is None:
        return _start_again()
    account, next_path = pending
    form = AuthenticatorCodeForm()
    if form.validate_on_submit() and not _locked(account, form):
        try:
            if second_factor.check_authenticator_code(account, form.code.data or ""):
                return _finish_sign_in(account, next_path, "With a code from an authenticator app")
            _refuse_code(account, form, WRONG_CODE, "Wrong code")
        except second_factor.SecretUnreadable as problem:
            _refuse_unreadable(account, form, problem)
    return render_template("auth/second_factor.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
def recovery_code() -> Any:
    pending = _pending_account()
    if pending is None:
        return _start_again()
    account, next_path = pending
    form = RecoveryCodeForm()
    if form.validate_on_submit() and not _locked(account, form):
        left = second_factor.use_recovery_code(account, form.code.data or "")
        if left is not None:
            response = _finish_sign_in(account, next_path, f"With a recovery code ({left} left)")
            flash(second_factor.codes_left_message(left), "info")
            return response
        _refuse_code(account, form, WRONG_RECOVERY_CODE, "Wrong recovery code")
    return render_template("auth/recovery_code.html", form=form)


@bp.route("/sign-in/confirm", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
@login_required
def confirm_password() -> Any:
    """Enter the password again before something sensitive (security.fresh_sign_in_required)."""
    form = ConfirmPasswordForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
    if form.validate_on_submit():
        result = accounts.attempt_sign_in(current_user.email, form.password.data or "")
        if result.account is not None and result.account.id == current_user.id:
            password_confirmed()
            return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[current_user.role])
        form.password.errors = list(form.password.errors) + (
            [LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"])]
            if result.locked
            else ["Enter your password correctly"]
        )
    return render_template("auth/confirm_password.html", form=form)


@bp.route("/sign-in/confirm/code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
@login_required
def confirm_code() -> Any:
    """Confirm it is you with a code from your authenticator app rather than the password."""
    account = current_user._get_current_object()
    if not account.has_second_factor:
        return redirect(url_for("auth.confirm_password", next=request.args.get("next")))
    form = AuthenticatorCodeForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
    if form.validate_on_submit() and not _locked(account, form):
        try:
            if second_factor.check_authenticator_code(account, form.code.data or ""):
                password_confirmed()
                return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[account.role])
            _refuse_code(account, form, WRONG_CODE, "Wrong code (confirming it is them)")
        except second_factor.SecretUnreadable as problem:
            _refuse_unreadable(account, form, problem)
    return render_template("auth/confirm_code.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out() -> Any:
    form = SignOutForm()
    if form.validate_on_submit():
        security_log.record(security_log.SIGN_OUT, account=current_user._get_current_object())
        accounts.revoke_sessions(current_user._get_current_object())
        logout_user()
        flash("You have signed out", "info")
    return redirect(url_for("public.start"))
