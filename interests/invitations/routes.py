"""A professional uses a one-time link sent to the address a provider recorded.

What the link does depends on who uses it (`invitations.outcome_for`): it creates the account of a
professional who has none, confirms the engagement for the account's holder, or - when the
registration number already has an account with another address - records a claim for a system
admin. A GET never changes anything (mail scanners open links); every change is a POST.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from interests.models import Account, InvalidRecord
from interests.security import start_session
from interests.services import invitations
from interests.services.accounts import MIN_PASSWORD_LENGTH
from interests.unit_of_work import discard

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "Create a password",
        validators=[
            DataRequired("Enter a password"),
            Length(
                min=MIN_PASSWORD_LENGTH, message=f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
            ),
            Length(max=1000, message="Password must be 1,000 characters or fewer"),
        ],
    )
    confirm = PasswordField("Type the password again", validators=[DataRequired("Type the password again")])

    def validate_confirm(self, field: Any) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ConfirmForm(FlaskForm):
    """A button: the change happens on POST only."""


def _signed_in() -> Account | None:
    if current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


@bp.route("/<any_text:token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    invitation = invitations.find_usable(token)
    if invitation is None:
        return render_template("invitations/invalid.html"), 404
    outcome = invitations.outcome_for(invitation, _signed_in())
    if outcome == "disabled":
        return render_template("invitations/invalid.html"), 404
    provider_name = invitation.provider.name if invitation.provider else "The provider"
    if outcome in ("new_account", "set_password"):
        form: FlaskForm = SetPasswordForm()
        if form.validate_on_submit():
            password = form.password.data or ""  # type: ignore[attr-defined]
            try:
                if outcome == "new_account":
                    account = invitations.accept(invitation, password)
                else:
                    account = invitations.set_password(invitation, password)
            except InvalidRecord as exc:
                discard()
                form.password.errors = [str(exc)]  # type: ignore[attr-defined]
            except IntegrityError:  # another link made this person's account a moment ago
                discard()
                form.password.errors = [  # type: ignore[attr-defined]
                    "This registration number already has an account: sign in to it instead"
                ]
            else:
                start_session(account)
                flash(f"Your account is ready, and {provider_name} will receive your declarations", "success")
                return redirect(url_for("declare.home"))
        return render_template("invitations/accept.html", form=form, invitation=invitation, outcome=outcome)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if outcome == "claim":
                invitations.claim_by_link(invitation)
            else:
                invitations.confirm_by_link(invitation, _signed_in())
        except (InvalidRecord, IntegrityError):  # used already, or at the same moment
            discard()
            return render_template("invitations/invalid.html"), 404
        if outcome == "claim":
            return render_template("invitations/claimed.html", invitation=invitation)
        if outcome == "confirm":
            flash(f"Thank you: {provider_name} will receive your declarations", "success")
            return redirect(url_for("declare.home"))
        return render_template("invitations/confirmed.html", invitation=invitation)
    return render_template(
        "invitations/confirm.html",
        form=form,
        invitation=invitation,
        outcome=outcome,
        provider_name=provider_name,
    )
