"""The forms of a provider admin's area: one per page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, StopValidation, ValidationError

from interests import clock
from interests.formfields import (
    CleanText,
    DateInputField,
    DateNotBefore,
    DateNotTooFarAhead,
    RequiredRadioField,
)
from interests.rules.regulators import REGULATORS, registration_number_problem
from interests.rules.vocabulary import ENGAGEMENT_TYPES
from interests.services.staff import STATUS_LABELS
from interests.services.staff.checking import EMAIL_PATTERN

EARLIEST_ENGAGEMENT = date(1950, 1, 1)  # an earlier start is a typing slip
ENGAGEMENT_DAYS_AHEAD = 366 * 2  # days: a start or end more than two years ahead is a typing slip
ROLE_MAX = 150  # characters: Engagement.role
NAME_MAX = 100  # characters: Professional.given_name / family_name
ACTION_MAX = 2000  # characters
REASON_MAX = 2000  # characters
REPLY_MAX = 5000  # characters
WITHHOLD_REVIEW_DAYS_AHEAD = 366 * 3  # days: review within three years


def choices(pairs: Any) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _today() -> date:
    return clock.today()


class EmailCheck:
    """An optional email address in the right shape."""

    def __init__(self, subject: str = "Email address") -> None:
        self.subject = subject

    def __call__(self, form: Any, field: Any) -> None:
        value = (field.data or "").strip()
        field.data = value
        if not value:
            return
        if len(value) > 320:
            raise StopValidation(f"{self.subject} must be 320 characters or fewer")
        if not EMAIL_PATTERN.fullmatch(value):
            raise StopValidation(
                f"Enter an {self.subject.lower()} in the correct format, like name@example.org"
            )


class StaffFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField("Name or registration number")
    status = SelectField(
        "Status", choices=choices([("", "Any status"), *STATUS_LABELS.items()]), validate_choice=False
    )
    engagement_type = SelectField(
        "Engagement type",
        choices=choices([("", "Any type"), *((t.code, t.label) for t in ENGAGEMENT_TYPES)]),
        validate_choice=False,
    )
    department = SelectField("Department", choices=choices([("", "Any department")]), validate_choice=False)
    decision_maker = SelectField(
        "Decision-making staff",
        choices=choices(
            [("", "Everyone"), ("yes", "Decision-making staff"), ("no", "Not decision-making staff")]
        ),
        validate_choice=False,
    )


class _EngagementFields(FlaskForm):
    engagement_type = RequiredRadioField(
        "How do they work here?",
        message="Select how they work here",
        choices=choices([(t.code, t.label) for t in ENGAGEMENT_TYPES]),
    )
    role = StringField("Role", validators=[CleanText(ROLE_MAX, required_message="Enter their role")])
    department = StringField("Department (optional)", validators=[CleanText(ROLE_MAX, subject="Department")])
    start_date = DateInputField(
        "Start date",
        validators=[
            DateNotBefore(EARLIEST_ENGAGEMENT),
            DateNotTooFarAhead(ENGAGEMENT_DAYS_AHEAD, today=_today),
        ],
    )
    end_date = DateInputField(
        "End date (optional)",
        subject="End date",
        required=False,
        validators=[
            DateNotBefore(EARLIEST_ENGAGEMENT),
            DateNotTooFarAhead(ENGAGEMENT_DAYS_AHEAD, today=_today),
        ],
    )
    decision_maker = RequiredRadioField(
        "Are they decision-making staff?",
        message="Select yes if they are decision-making staff",
        choices=choices([("yes", "Yes"), ("no", "No")]),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if (
            valid
            and self.end_date.data
            and self.start_date.data
            and self.end_date.data < self.start_date.data
        ):
            self.end_date.mark_error("End date must be the same as or after the start date")
            return False
        return valid


class AddEngagementForm(_EngagementFields):
    given_name = StringField(
        "Given name", validators=[CleanText(NAME_MAX, required_message="Enter their given name")]
    )
    family_name = StringField(
        "Family name", validators=[CleanText(NAME_MAX, required_message="Enter their family name")]
    )
    regulator = SelectField(
        "Regulator",
        choices=choices(
            [("", "Choose a regulator"), *((r.code, f"{r.name} ({r.code})") for r in REGULATORS)]
        ),
        validate_choice=False,
    )
    registration_number = StringField("Registration number")
    email = EmailField("Email address (optional)", validators=[EmailCheck()])

    def validate_regulator(self, field: Any) -> None:
        if field.data not in {r.code for r in REGULATORS}:
            raise ValidationError("Select their regulator")

    def validate_registration_number(self, field: Any) -> None:
        field.data = (field.data or "").strip()[:40]
        if self.regulator.data not in {r.code for r in REGULATORS}:
            if not field.data:
                raise ValidationError("Enter their registration number")
            return
        problem = registration_number_problem(self.regulator.data, field.data)
        if problem:
            raise ValidationError(problem)


class ChangeEngagementForm(_EngagementFields):
    pass


class EndEngagementForm(FlaskForm):
    end_date = DateInputField(
        "When did (or will) they stop working here?",
        subject="End date",
        validators=[
            DateNotBefore(EARLIEST_ENGAGEMENT),
            DateNotTooFarAhead(ENGAGEMENT_DAYS_AHEAD, today=_today),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField("Upload the staff list (CSV)")

    def validate_file(self, field: Any) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError("Select a CSV file")


class ActionForm(FlaskForm):
    action = TextAreaField(
        "Action taken to manage this interest",
        validators=[
            CleanText(ACTION_MAX, required_message="Enter the action taken", multiline=True, subject="Action")
        ],
    )


class DecisionForm(FlaskForm):
    decision = RequiredRadioField(
        "Your decision",
        message="Select whether to withhold the entry",
        choices=choices([("approve", "Withhold the entry"), ("refuse", "Refuse: publish the entry")]),
    )
    reason = TextAreaField(
        "Reason for your decision",
        validators=[
            CleanText(
                REASON_MAX,
                required_message="Enter the reason for your decision",
                multiline=True,
                subject="Reason",
            )
        ],
    )
    review_on = DateInputField(
        "Review date (if you withhold the entry)",
        subject="Review date",
        required=False,
        validators=[DateNotTooFarAhead(WITHHOLD_REVIEW_DAYS_AHEAD, today=_today)],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "approve" and not self.review_on.errors:
            if self.review_on.data is None:
                self.review_on.mark_error("Enter a review date")
                return False
            if self.review_on.data <= _today():
                self.review_on.mark_error("Review date must be in the future")
                return False
        return valid


class PublicationForm(FlaskForm):
    has_website = RequiredRadioField(
        "Does your organisation have a website?",
        message="Select yes if your organisation has a website",
        choices=choices([("yes", "Yes"), ("no", "No: patients read the printed register on site")]),
    )
    website_url = StringField("Website address", validators=[Optional()])
    contact_name = StringField(
        "Contact for patients' questions (optional)", validators=[CleanText(200, subject="Contact")]
    )
    contact_email = EmailField("Contact email (optional)", validators=[EmailCheck("Contact email")])
    contact_phone = StringField(
        "Contact phone (optional)", validators=[CleanText(40, subject="Contact phone")]
    )

    def validate_website_url(self, field: Any) -> None:
        value = (field.data or "").strip()
        field.data = value
        if self.has_website.data != "yes":
            field.data = value or None
            return
        if not value:
            raise ValidationError("Enter your website address")
        if len(value) > 500:
            raise ValidationError("Website address must be 500 characters or fewer")
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValidationError(
                "Enter a website address in the correct format, like https://www.example.nhs.uk"
            )


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        "Your reply",
        validators=[
            CleanText(REPLY_MAX, required_message="Enter your reply", multiline=True, subject="Reply")
        ],
    )
