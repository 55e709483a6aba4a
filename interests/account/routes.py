"""Your account: any signed-in person sees their sign-in and changes their password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from interests.account.forms import NEW_PASSWORD_HINT, ChangePasswordForm
from interests.extensions import db, limiter
from interests.models import InvalidRecord
from interests.security import continue_session
from interests.services import accounts

bp = Blueprint("account", __name__, url_prefix="/account")


def _change_limit() -> str:
    # Guessing the current password here is as good as guessing it at sign-in: the same limit.
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _only_form_posts() -> bool:
    return request.method != "POST"


@bp.get("")
@login_required
def home() -> Any:
    return render_template("account/home.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_change_limit, exempt_when=_only_form_posts)
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        try:
            accounts.change_password(account, form.current_password.data or "", form.password.data or "")
            db.session.commit()
        except accounts.WrongPassword as exc:
            db.session.rollback()
            form.current_password.errors = [str(exc)]
        except InvalidRecord as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
        else:
            # The new session version ended every session; sign this one in again, so only the others end.
            continue_session(account)
            flash("Your password has been changed. You have been signed out everywhere else", "success")
            return redirect(url_for("account.home"))
    return render_template("account/password.html", form=form, hint=NEW_PASSWORD_HINT)
