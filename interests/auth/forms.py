from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


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
