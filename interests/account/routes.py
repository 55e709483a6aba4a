"""Your account: any signed-in person sees their sign-in, changes their password and sets up a second
factor (a code from an authenticator app, with recovery codes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from interests.account.forms import (
    NEW_PASSWORD_HINT,
    ChangePasswordForm,
    ConfirmForm,
    TurnOnSecondFactorForm,
)
from interests.extensions import limiter
from interests.models import InvalidRecord
from interests.security import continue_session, fresh_sign_in_required
from interests.services import accounts, second_factor
from interests.unit_of_work import discard

bp = Blueprint("account", __name__, url_prefix="/account")


def _change_limit() -> str:
    # Guessing the current password here is as good as guessing it at sign-in: the same limit.
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _only_form_posts() -> bool:
    return request.method != "POST"


@bp.get("")
@login_required
def home() -> Any:
    account = current_user._get_current_object()
    left = second_factor.recovery_codes_left(account) if account.has_second_factor else 0
    return render_template("account/home.html", codes_left=left, required=second_factor.is_required(account))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_change_limit, exempt_when=_only_form_posts)
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        try:
            accounts.change_password(account, form.current_password.data or "", form.password.data or "")
        except accounts.WrongPassword as exc:  # the failure counted towards the lockout is kept
            form.current_password.errors = [str(exc)]
        except InvalidRecord as exc:
            discard()
            form.password.errors = [str(exc)]
        else:
            # The new session version ended every session; sign this one in again, so only the others end.
            continue_session(account)
            flash("Your password has been changed. You have been signed out everywhere else", "success")
            return redirect(url_for("account.home"))
    return render_template("account/password.html", form=form, hint=NEW_PASSWORD_HINT)


# --- The second factor (changes need the password, or a code, within the last 15 minutes) --------------


@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
@fresh_sign_in_required()
@limiter.limit(_change_limit, exempt_when=_only_form_posts)
def set_up_second_factor() -> Any:
    account = current_user._get_current_object()
    if account.has_second_factor:
        return redirect(url_for("account.home"))
    form = TurnOnSecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.turn_on(account, form.code.data or "")
        except InvalidRecord as exc:
            discard()
            form.code.errors = [str(exc)]
        else:
            # Shown once, in this response: the codes are never stored but as hashes, nor redirected with.
            return render_template("account/recovery_codes.html", codes=codes, turned_on=True)
    setup = second_factor.start_setup(account)
    return render_template(
        "account/second_factor_setup.html",
        form=form,
        setup=setup,
        required=second_factor.is_required(account),
    )


@bp.route("/second-factor/recovery-codes", methods=["GET", "POST"])
@login_required
@fresh_sign_in_required()
def new_recovery_codes() -> Any:
    account = current_user._get_current_object()
    if not account.has_second_factor:
        return redirect(url_for("account.home"))
    form = ConfirmForm()
    if form.validate_on_submit():
        codes = second_factor.replace_recovery_codes(account)
        return render_template("account/recovery_codes.html", codes=codes, turned_on=False)
    return render_template(
        "account/new_recovery_codes.html", form=form, codes_left=second_factor.recovery_codes_left(account)
    )


@bp.route("/second-factor/turn-off", methods=["GET", "POST"])
@login_required
@fresh_sign_in_required()
def turn_off_second_factor() -> Any:
    account = current_user._get_current_object()
    if not account.has_second_factor:
        return redirect(url_for("account.home"))
    form = ConfirmForm()
    if form.validate_on_submit():
        second_factor.turn_off(account)
        flash("Your second factor is off. Signing in now needs only your password", "success")
        return redirect(url_for("account.home"))
    return render_template(
        "account/turn_off_second_factor.html", form=form, required=second_factor.is_required(account)
    )
