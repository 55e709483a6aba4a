"""The forms of a professional's declaration journey: one per page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, StopValidation, ValidationError

from interests import clock
from interests.formfields import (
    CleanText,
    DateInputField,
    DateNotBefore,
    DateNotTooFarAhead,
    MoneyField,
    RequiredRadioField,
)
from interests.rules.vocabulary import CATEGORIES, TYPE_BY_CODE, TYPES, TYPES_WITH_VALUE

# The earliest from-date accepted: older interests are long finished (a typing slip).
EARLIEST_INTEREST_DATE = date(1950, 1, 1)
# A date more than a year ahead is refused as a typing slip (issue 3, "Bad input").
MAX_DAYS_AHEAD = 365  # days

OTHER_PARTY_MAX = 200  # characters: InterestVersion.other_party
RELATIONSHIP_MAX = 200  # characters: InterestVersion.relationship_to_professional
DESCRIPTION_MAX = 2000  # characters
REASON_MAX = 2000  # characters


def _today() -> date:
    return clock.today()


class ProviderChoiceField(SelectMultipleField):
    """Checkboxes of provider ids; an unknown or forged id gets the field's own message."""

    data: list[str] | None

    def __init__(self, *args: Any, message: str, **kwargs: Any) -> None:
        super().__init__(*args, coerce=str, **kwargs)
        self.message = message

    def pre_validate(self, form: Any) -> None:
        allowed = {str(choice.value) for choice in self.choices or []}
        self.data = [value for value in self.data or [] if value]
        if not self.data or any(value not in allowed for value in self.data):
            raise StopValidation(self.message)

    @property
    def provider_ids(self) -> list[int]:
        return [int(value) for value in self.data or []]


class InterestForm(FlaskForm):
    category = RequiredRadioField(
        "Category of interest",
        choices=[SelectChoice(term.code, term.label) for term in CATEGORIES],
        message="Select the category of interest",
    )
    relationship = StringField(
        "Whose interest is it?",
        validators=[CleanText(RELATIONSHIP_MAX, subject="Whose interest it is")],
    )
    interest_type = RequiredRadioField(
        "Type of interest",
        choices=[SelectChoice(term.code, term.label) for term in TYPES],
        message="Select the type of interest",
    )
    other_party = StringField(
        "Name of the other party",
        validators=[
            CleanText(
                OTHER_PARTY_MAX,
                subject="Name of the other party",
                required_message="Enter the name of the company, organisation or person",
            )
        ],
    )
    description = TextAreaField(
        "Description",
        validators=[
            CleanText(
                DESCRIPTION_MAX,
                multiline=True,
                subject="Description",
                required_message="Enter a description of the interest",
            )
        ],
    )
    value = MoneyField("Value in pounds", subject="Value")
    date_from = DateInputField(
        "Date from",
        validators=[
            DateNotBefore(EARLIEST_INTEREST_DATE),
            DateNotTooFarAhead(MAX_DAYS_AHEAD, today=_today),
        ],
    )
    ongoing = RequiredRadioField(
        "Is this interest still going on?",
        choices=[
            SelectChoice("yes", "Yes, it is ongoing"),
            SelectChoice("no", "No, it has ended or will end on a known date"),
        ],
        message="Select yes if this interest is still going on",
    )
    date_to = DateInputField(
        "Date to",
        required=False,
        validators=[DateNotTooFarAhead(MAX_DAYS_AHEAD, today=_today)],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        # Rules that depend on another answer, checked once each field is valid on its own.
        chosen_type = self.interest_type.data or ""
        if chosen_type in TYPES_WITH_VALUE and self.value.data is None and not self.value.errors:
            label = TYPE_BY_CODE[chosen_type].label.lower()
            self.value.errors.append(f"Enter the value of the {label} in pounds, like 1,250 or 1,250.50")
        if self.category.data == "indirect" and not self.relationship.data and not self.relationship.errors:
            self.relationship.errors.append(
                "Enter whose interest it is, for example my wife or my business partner"
            )
        if self.category.data != "indirect":
            # Only asked for (and shown) for indirect interests.
            self.relationship.errors = []
            self.relationship.data = ""
        if self.ongoing.data != "no":
            # The to-date is only asked for (and shown) when the interest has ended.
            self.date_to.errors = []
            self.date_to.data = None
        elif not self.date_to.errors:
            if self.date_to.data is None:
                self.date_to.mark_error("Enter date to, or select yes if the interest is still going on")
            elif self.date_from.data is not None and self.date_to.data < self.date_from.data:
                self.date_to.mark_error("Date to must be the same as or after date from")
        return not self.errors

    @property
    def ends_on(self) -> date | None:
        return self.date_to.data if self.ongoing.data == "no" else None


class EndInterestForm(FlaskForm):
    date_to = DateInputField(
        "Date the interest ended",
        subject="Date to",
        validators=[DateNotTooFarAhead(MAX_DAYS_AHEAD, today=_today)],
    )

    def __init__(self, *args: Any, starts_on: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts_on = starts_on

    def validate_date_to(self, field: DateInputField) -> None:
        if field.data is not None and field.data < self.starts_on:
            day = self.starts_on
            raise ValidationError(
                f"Date to must be the same as or after {day.day} {day:%B %Y}, when it started"
            )


class WithholdForm(FlaskForm):
    providers = ProviderChoiceField(
        "Where should it be withheld?",
        message="Select where you want this entry withheld",
    )
    reason = TextAreaField(
        "Why should it be withheld?",
        validators=[
            CleanText(
                REASON_MAX,
                multiline=True,
                subject="Reason",
                required_message="Enter why this entry should be withheld from publication",
            )
        ],
    )


class SendForm(FlaskForm):
    """Check and send: where to, and the statement. `shown` lists the versions on the page."""

    providers = ProviderChoiceField(
        "Where do you want to send it?",
        message="Select where to send your declaration",
    )
    confirm = BooleanField(
        "I confirm this declaration",
        validators=[DataRequired("Confirm the declaration statement to send your declaration")],
    )
    shown = HiddenField()

    @property
    def shown_version_ids(self) -> list[int] | None:
        parts = [p for p in (self.shown.data or "").split(",") if p]
        if len(parts) > 10_000 or not all(p.isascii() and p.isdigit() and len(p) < 12 for p in parts):
            return None
        return [int(p) for p in parts]


class NilReturnForm(FlaskForm):
    providers = ProviderChoiceField(
        "Where do you want to send it?",
        message="Select where to send your nil return",
    )
    confirm = BooleanField(
        "I have no interests to declare",
        validators=[DataRequired("Confirm that you have no interests to declare")],
    )
