from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from interests.auth.forms import SignInForm, SignOutForm
from interests.extensions import db, limiter
from interests.security import safe_next_path
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


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, exempt_when=_only_form_posts)
def sign_in() -> Any:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[current_user.role])
    if form.validate_on_submit():
        account = accounts.authenticate(form.email.data or "", form.password.data or "")
        if account is not None:
            login_user(account)
            security_log.record(security_log.SIGN_IN, account=account)
            db.session.commit()
            return redirect(safe_next_path(form.next.data) or HOME_BY_ROLE[account.role])
        security_log.record(security_log.SIGN_IN_FAILED, email=form.email.data)
        db.session.commit()
        form.email.errors = list(form.email.errors) + [
            "Enter a correct email address and password",
        ]
    return render_template("auth/sign_in.html", form=form)


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
