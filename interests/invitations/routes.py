"""A professional uses their one-time link: they choose a password and are signed in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from interests.extensions import db
from interests.models import InvalidRecord
from interests.services import invitations
from interests.services.accounts import MIN_PASSWORD_LENGTH

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


@bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    invitation = invitations.find_usable(token)
    if invitation is None:
        return render_template("invitations/invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            account = invitations.accept(invitation, form.password.data or "")
            db.session.commit()
        except InvalidRecord as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
        else:
            login_user(account)
            return redirect("/declare")
    return render_template("invitations/accept.html", form=form, invitation=invitation)
