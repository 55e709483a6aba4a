"""The forms for choosing a password: changing it when signed in, and by an emailed link.

The password policy itself (length, guessability, the person's own name) is applied by the
accounts service, which knows whose password it is; these forms check what is typed.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from interests.rules.codes import authenticator_code_problem
from interests.rules.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

_TOO_LONG = "Password must be 1,000 characters or fewer"
NEW_PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password; "
    "do not use your name or a password you use somewhere else."
)


# Made in page order: WTForms orders a form's fields (and so the error summary) by creation.
_current_password = PasswordField(
    "Current password",
    validators=[
        DataRequired("Enter your current password"),
        Length(max=MAX_PASSWORD_LENGTH, message=_TOO_LONG),
    ],
)
_new_password = PasswordField(
    "New password",
    validators=[DataRequired("Enter a new password"), Length(max=MAX_PASSWORD_LENGTH, message=_TOO_LONG)],
)
_confirm = PasswordField(
    "Type the new password again", validators=[DataRequired("Type the new password again")]
)


class NewPasswordForm(FlaskForm):
    password = _new_password
    confirm = _confirm

    def validate_confirm(self, field: Any) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ChangePasswordForm(NewPasswordForm):
    current_password = _current_password


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )


class TurnOnSecondFactorForm(FlaskForm):
    code = StringField(
        "Enter the code your app shows",
        validators=[DataRequired("Enter the code from your authenticator app")],
    )

    def validate_code(self, field: Any) -> None:
        problem = authenticator_code_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)


class ConfirmForm(FlaskForm):
    """A button alone (turning the second factor off, new recovery codes): the CSRF token is the form."""
