"""System admins' forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from interests.rules.vocabulary import ROLE_BY_CODE, ROLES
from interests.services import account_admin, security_log
from interests.services.account_admin import REASON_MAX_LENGTH, SEARCH_MAX_LENGTH
from interests.services.disclosure.importing import year_problem
from interests.services.identity import DECISION_REASON_MAX_LENGTH

EARLIEST_YEAR = 2000  # no register (and no log) existed before this; older dates are typos
LATEST_YEAR = 2999  # later is a typo (and 9999-12-31 has no next day to end a range on)
PROVIDER_NAME_MAX_LENGTH = 200  # Provider.name's column


class ClaimDecisionForm(FlaskForm):
    decision = RadioField(
        "What have you decided?",
        choices=[
            SelectChoice("reject", "Keep the account with its address and refuse the claim"),
            SelectChoice("transfer", "Move the account to the claimant's address"),
        ],
        validators=[DataRequired("Select what you have decided")],
    )
    reason = TextAreaField(
        "Your reason",
        validators=[
            DataRequired("Enter the reason for your decision"),
            Length(
                max=DECISION_REASON_MAX_LENGTH,
                message=f"The reason must be {DECISION_REASON_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )


def parse_day(text: str | None) -> tuple[date | None, str | None]:
    """A year-month-day date typed in a filter, or None and what was wrong with it."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return None, "Enter a real date as year-month-day, for example 2026-04-01"
    return day, None


class SecurityEventFilterForm(FlaskForm):
    """The security log's filters: read from the query string, so a view can be bookmarked."""

    class Meta:
        csrf = False  # a GET search form: it changes nothing

    kind = SelectField(
        "What happened",
        choices=[SelectChoice("", "Anything")]
        + [SelectChoice(code, label) for code, label in security_log.KIND_LABELS.items()],
        validate_choice=False,
    )
    email = StringField(
        "Email address (or part of one)",
        validators=[Length(max=320, message="The email address must be 320 characters or fewer")],
    )
    address = StringField(
        "IP address (or its start)",
        validators=[Length(max=45, message="The IP address must be 45 characters or fewer")],
    )
    since = StringField("From", validators=[Length(max=10, message="Enter a real date")])
    until = StringField("To", validators=[Length(max=10, message="Enter a real date")])

    def validate_kind(self, field: SelectField) -> None:
        if field.data and field.data not in security_log.KIND_LABELS:
            raise ValidationError("Select what happened from the list")

    def validate_since(self, field: StringField) -> None:
        _, problem = parse_day(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_until(self, field: StringField) -> None:
        day, problem = parse_day(field.data)
        if problem:
            raise ValidationError(problem)
        since, _ = parse_day(self.since.data)
        if day is not None and since is not None and day < since:
            raise ValidationError("The 'to' date must be on or after the 'from' date")


# --- Accounts --------------------------------------------------------------------------------------


class AccountFilterForm(FlaskForm):
    """Finding accounts: read from the query string, so a search can be bookmarked."""

    class Meta:
        csrf = False  # a GET search form: it changes nothing

    q = StringField(
        "Email address or name (or part of one)",
        validators=[Length(max=SEARCH_MAX_LENGTH, message="Enter 320 characters or fewer")],
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "Any role")] + [SelectChoice(role.code, role.label) for role in ROLES],
        validate_choice=False,
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(code, label) for code, label in account_admin.STATUS_LABELS.items()],
        validate_choice=False,
    )

    def validate_role(self, field: SelectField) -> None:
        if field.data and field.data not in ROLE_BY_CODE:
            raise ValidationError("Select a role from the list")

    def validate_status(self, field: SelectField) -> None:
        if field.data and field.data not in account_admin.STATUS_LABELS:
            raise ValidationError("Select a status from the list")


def _reason_field() -> TextAreaField:
    return TextAreaField(
        "Why are you doing this?",
        validators=[
            DataRequired("Enter why you are doing this"),
            Length(
                max=REASON_MAX_LENGTH,
                message=f"Your reason must be {REASON_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )


class AccountActionForm(FlaskForm):
    """Disable, enable or unlock an account: only the reason is asked for."""

    reason = _reason_field()


class RoleForm(FlaskForm):
    role = RadioField(
        "New role",
        choices=[SelectChoice(code, ROLE_BY_CODE[code].label) for code in account_admin.ASSIGNABLE_ROLES],
        validators=[DataRequired("Select the new role")],
    )
    provider = StringField(
        "Provider they will run",
        validators=[Length(max=PROVIDER_NAME_MAX_LENGTH, message="Enter 200 characters or fewer")],
    )
    reason = _reason_field()


class AddProviderForm(FlaskForm):
    provider = StringField(
        "Provider",
        validators=[
            DataRequired("Enter the name or short name of the provider"),
            Length(max=PROVIDER_NAME_MAX_LENGTH, message="Enter 200 characters or fewer"),
        ],
    )
    reason = _reason_field()


class DisclosureImportForm(FlaskForm):
    """A Disclosure UK file and the year its payments were made in."""

    year = StringField("Year the payments were made")
    file = FileField("Upload the Disclosure UK file (.xlsx or .csv)")

    def __init__(self, *args: Any, this_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.this_year = this_year

    def validate_year(self, field: Any) -> None:
        text = (field.data or "").strip()
        if not text:
            raise ValidationError("Enter the year the payments were made, for example 2024")
        if not text.isdigit() or len(text) != 4:
            raise ValidationError("Enter the year as 4 digits, for example 2024")
        problem = year_problem(int(text), self.this_year)
        if problem:
            raise ValidationError(problem)

    def validate_file(self, field: Any) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError("Select the Disclosure UK file")
        if not storage.filename.lower().endswith((".xlsx", ".csv")):
            raise ValidationError("The file must be an Excel workbook (.xlsx) or a CSV file (.csv)")
