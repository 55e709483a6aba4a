"""Forgotten passwords: a one-time link by email from the sign-in page (services/password_resets.py).

Its own blueprint beside auth's sign-in, so the sign-in view stays as it is. The link's page
shows the form on GET and changes nothing; the password is set by the POST, once. A link that
does not work - forged, expired, used, or its account disabled - is a 404 page saying so.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from interests.account.forms import NEW_PASSWORD_HINT, NewPasswordForm, ResetRequestForm
from interests.extensions import limiter
from interests.models import InvalidRecord
from interests.services import accounts, password_resets
from interests.unit_of_work import discard

bp = Blueprint("password_reset", __name__, url_prefix="/sign-in/reset")


def _reset_request_limit() -> str:
    return str(current_app.config["PASSWORD_RESET_RATE_LIMIT"])


def _only_form_posts() -> bool:
    return request.method != "POST"


def _address_typed() -> str:
    """The limit's key for the address asked about, so one inbox cannot be flooded from many clients."""
    return "reset:" + accounts.normalise_email(request.form.get("email", ""))[:320]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_reset_request_limit, exempt_when=_only_form_posts)
@limiter.limit(_reset_request_limit, key_func=_address_typed, exempt_when=_only_form_posts)
def request_link() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_resets.request_reset(form.email.data or "")
        # The same answer whether or not an account uses the address.
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/<any_text:token>", methods=["GET", "POST"])
def choose_password(token: str) -> Any:
    if password_resets.find_usable(token) is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_resets.reset_password(token, form.password.data or "")
        except InvalidRecord as exc:
            discard()
            form.password.errors = [str(exc)]
        except password_resets.ResetLinkUnusable:  # used at the same moment by another request
            discard()
            return render_template("auth/reset_invalid.html"), 404
        else:
            flash("Your password has been changed. Sign in with your new password", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form, hint=NEW_PASSWORD_HINT)
