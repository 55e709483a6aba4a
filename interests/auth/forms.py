from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from interests.rules.codes import authenticator_code_problem, recovery_code_problem


def _password_field() -> PasswordField:
    return PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password"),
            Length(max=1000, message="Password must be 1,000 characters or fewer"),
        ],
    )


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )
    password = _password_field()
    next = HiddenField()


class ConfirmPasswordForm(FlaskForm):
    password = _password_field()
    next = HiddenField()


class SignOutForm(FlaskForm):
    pass


class AuthenticatorCodeForm(FlaskForm):
    """A 6-digit code from an authenticator app: at sign-in, and to confirm it is you."""

    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired("Enter the code from your authenticator app")],
    )
    next = HiddenField()

    def validate_code(self, field: Any) -> None:
        problem = authenticator_code_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)


class RecoveryCodeForm(FlaskForm):
    code = StringField("Recovery code", validators=[DataRequired("Enter one of your recovery codes")])

    def validate_code(self, field: Any) -> None:
        problem = recovery_code_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)
