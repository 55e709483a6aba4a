"""The overview's filters: read from the query string (GET), so every view can be bookmarked."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from interests.rules.compliance import Rating
from interests.rules.vocabulary import PROVIDER_KINDS, REGIONS
from interests.services.compliance import MAX_SEARCH_LENGTH, RATING_ORDER

EARLIEST_AS_OF = date(2000, 1, 1)  # no register existed before this; older dates are typos


def parse_as_of(text: str, today: date) -> tuple[date, str | None]:
    """The date asked for, or today and an instruction saying what was wrong.

    Future dates are refused, not clamped: a figure "as of" a day that has not happened yet would
    look like a forecast, and silently showing today's would mislabel the page.
    """
    text = (text or "").strip()
    if not text:
        return today, None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return today, "Enter the date as year-month-day, for example 2025-04-01"
    if day > today:
        return today, "The date must be today or in the past"
    if day < EARLIEST_AS_OF:
        return today, "The date must be on or after 1 January 2000"
    return day, None


class OverviewFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form: it changes nothing

    as_of = StringField("Date", validators=[Optional(), Length(max=10, message="Enter a real date")])
    region = SelectField(
        "Region",
        choices=[SelectChoice("", "All regions")] + [SelectChoice(term.code, term.label) for term in REGIONS],
        validate_choice=False,
    )
    kind = SelectField(
        "Kind of provider",
        choices=[SelectChoice("", "All kinds")]
        + [SelectChoice(term.code, term.label) for term in PROVIDER_KINDS],
        validate_choice=False,
    )
    rating = SelectField(
        "Rating",
        choices=[SelectChoice("", "All ratings")]
        + [SelectChoice(rating.value, rating.label) for rating in RATING_ORDER],
        validate_choice=False,
    )
    q = SearchField(
        "Provider name, CQC provider ID or ODS code",
        validators=[
            Length(max=MAX_SEARCH_LENGTH, message=f"Search must be {MAX_SEARCH_LENGTH} characters or fewer")
        ],
    )

    def _check_choice(self, field: SelectField, message: str) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:  # type: ignore[union-attr]
            raise ValidationError(message)

    def validate_region(self, field: SelectField) -> None:
        self._check_choice(field, "Select a region from the list")

    def validate_kind(self, field: SelectField) -> None:
        self._check_choice(field, "Select a kind of provider from the list")

    def validate_rating(self, field: SelectField) -> None:
        self._check_choice(field, "Select a rating from the list")


RATING_VALUES = frozenset(rating.value for rating in Rating)
