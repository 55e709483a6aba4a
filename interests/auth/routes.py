from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from interests.auth.forms import ConfirmPasswordForm, SignInForm, SignOutForm
from interests.extensions import db, limiter
from interests.security import password_confirmed, safe_next_path, start_session
from interests.services import accounts, security_log

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
        if result.account is not None:
            start_session(result.account)
            security_log.record(security_log.SIGN_IN, account=result.account)
            db.session.commit()
            return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[result.account.role])
        security_log.record(
            security_log.SIGN_IN_FAILED,
            email=form.email.data,
            detail="Account locked" if result.locked else "",
        )
        db.session.commit()
        form.email.errors = list(form.email.errors) + [WRONG_CREDENTIALS]
        if result.locked:  # about the account, not a field: shown in the summary, after the above
            form.form_errors.append(LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"]))
    return render_template("auth/sign_in.html", form=form)


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
