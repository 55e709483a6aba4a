"""System admins' forms."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from interests.services import security_log
from interests.services.identity import DECISION_REASON_MAX_LENGTH

EARLIEST_YEAR = 2000  # no register (and no log) existed before this; older dates are typos
LATEST_YEAR = 2999  # later is a typo (and 9999-12-31 has no next day to end a range on)


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
