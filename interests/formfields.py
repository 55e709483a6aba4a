"""Form fields and validators shared by every form in the service, in NHS.UK patterns.

- `DateInputField`: the NHS.UK date input (three boxes, day / month / year), posted as
  ``<name>-day``, ``<name>-month`` and ``<name>-year``. Messages follow the NHS.UK date input
  pattern (service-manual.nhs.uk/design-system/components/date-input): "Enter date from",
  "Date from must include a month", "Date from must be a real date", "Date from must be in the
  past". Render it with ``templates/macros/app_date.html``.
- `MoneyField`: an amount of money in pounds, typed as people type it ("1250", "1,250.50",
  "£1,250"), kept as whole pence (int).
- `CleanText`: a validator for free text that tidies it (Unicode NFC, Windows line endings,
  surrounding spaces) and refuses control characters and text over its limit
  ("Description must be 2,000 characters or fewer").

Every message names the field by its `subject` ("Date from", "Value"), which defaults to the
field's label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup
from wtforms import Field, RadioField, StringField
from wtforms.form import BaseForm
from wtforms.validators import StopValidation, ValidationError

from interests.rules.text import control_character_in as control_character_in

# The earliest year a date in this service can have: anything earlier is a typing slip.
EARLIEST_YEAR = 1900
# The most a value in this service can be, in pence: £10 million. More is a typing slip.
DEFAULT_MAX_PENCE = 1_000_000_000


def _subject(field: Field) -> str:
    return getattr(field, "subject", None) or field.label.text


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- Dates ------------------------------------------------------------------------------------


class DateInputField(Field):
    """A date typed into three boxes. `data` is a `date`, or None when nothing valid was typed.

    `parts` keeps what was typed (day, month, year) so the boxes are filled again after an error,
    and `error_parts` says which boxes to highlight. With `required=False` all three may be left
    empty (data None); partly-filled is always an error.
    """

    PARTS = ("day", "month", "year")
    data: date | None
    raw_data: list[str] | None  # type: ignore[assignment]

    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[Callable[..., Any]] | None = None,
        *,
        subject: str | None = None,
        required: bool = True,
        required_message: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.subject = subject or self.label.text
        # NHS.UK pattern: "Enter [whatever it is]", lower case after "Enter".
        self.required = required
        self.required_message = required_message or f"Enter {self.subject[0].lower()}{self.subject[1:]}"
        self.parts: dict[str, str] = dict.fromkeys(self.PARTS, "")
        self.error_parts: set[str] = set()

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        self.parts = dict.fromkeys(self.PARTS, "")
        self.error_parts = set()
        if formdata is not None and any(f"{self.name}-{part}" in formdata for part in self.PARTS):
            for part in self.PARTS:
                raw = formdata.get(f"{self.name}-{part}", "")
                # A generous cap: what was typed is shown again, never stored.
                self.parts[part] = str(raw)[:20].strip()
            self.data = None
            self.raw_data = [self.parts[p] for p in self.PARTS]
            return
        self.raw_data = None
        if isinstance(data, date):
            self.data = data
            self.parts = {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
        else:
            self.data = None

    def _value(self) -> str:
        return ""

    def pre_validate(self, form: BaseForm) -> None:
        if self.raw_data is None:
            # The form was built from an object or not posted: nothing to parse.
            if self.data is None and self.required:
                self.error_parts = set(self.PARTS)
                raise StopValidation(self.required_message)
            return
        filled = [part for part in self.PARTS if self.parts[part]]
        if not filled:
            if self.required:
                self.error_parts = set(self.PARTS)
                raise StopValidation(self.required_message)
            self.data = None
            return
        missing = [part for part in self.PARTS if not self.parts[part]]
        if missing:
            self.error_parts = set(missing)
            if len(missing) == 1:
                raise StopValidation(f"{self.subject} must include a {missing[0]}")
            raise StopValidation(f"{self.subject} must include a {missing[0]} and a {missing[1]}")
        numbers = {part: self.parts[part] for part in self.PARTS}
        if not all(value.isascii() and value.isdigit() for value in numbers.values()):
            self.error_parts = {p for p, v in numbers.items() if not (v.isascii() and v.isdigit())}
            raise StopValidation(f"{self.subject} must be a real date")
        if len(numbers["year"]) != 4:
            self.error_parts = {"year"}
            raise StopValidation("Year must include 4 numbers")
        try:
            parsed = date(int(numbers["year"]), int(numbers["month"]), int(numbers["day"]))
        except (ValueError, OverflowError):
            self.error_parts = set(self.PARTS)
            raise StopValidation(f"{self.subject} must be a real date") from None
        if parsed.year < EARLIEST_YEAR:
            self.error_parts = {"year"}
            raise StopValidation(f"{self.subject} must be a real date")
        self.data = parsed

    def mark_error(self, message: str, parts: Sequence[str] = PARTS) -> None:
        """Add an error found by the form (comparing two dates), highlighting all three boxes."""
        self.errors = [*self.errors, message]  # type: ignore[has-type]
        self.error_parts = set(parts)

    def __call__(self, **kwargs: Any) -> Markup:  # pragma: no cover - rendered by the macro
        raise NotImplementedError("Render a DateInputField with macros/app_date.html")


class _DateRule:
    """Base for date validators: skips an empty optional date, highlights all three boxes."""

    def __call__(self, form: BaseForm, field: DateInputField) -> None:
        if field.data is None:
            return
        message = self.problem(field.data, _subject(field))
        if message:
            field.error_parts = set(DateInputField.PARTS)
            raise ValidationError(message)

    def problem(self, value: date, subject: str) -> str | None:
        raise NotImplementedError


class DateInPast(_DateRule):
    """Before today: "Date from must be in the past" (with `allow_today`, today is accepted)."""

    def __init__(self, *, allow_today: bool = True, today: Callable[[], date] = date.today) -> None:
        self.allow_today = allow_today
        self.today = today

    def problem(self, value: date, subject: str) -> str | None:
        today = self.today()
        if value > today or (value == today and not self.allow_today):
            if self.allow_today:
                return f"{subject} must be today or in the past"
            return f"{subject} must be in the past"
        return None


class DateInFuture(_DateRule):
    """After today: "Review date must be in the future"."""

    def __init__(self, *, today: Callable[[], date] = date.today) -> None:
        self.today = today

    def problem(self, value: date, subject: str) -> str | None:
        if value <= self.today():
            return f"{subject} must be in the future"
        return None


class DateNotTooFarAhead(_DateRule):
    """No more than `days` after today (default a year): a later date is a typing slip."""

    def __init__(self, days: int = 365, *, today: Callable[[], date] = date.today) -> None:
        self.days = days
        self.today = today

    def problem(self, value: date, subject: str) -> str | None:
        latest = self.today() + timedelta(days=self.days)
        if value > latest:
            return f"{subject} must be the same as or before {_long_date(latest)}"
        return None


class DateNotBefore(_DateRule):
    """On or after a fixed date: "Date from must be the same as or after 1 January 1950"."""

    def __init__(self, earliest: date) -> None:
        self.earliest = earliest

    def problem(self, value: date, subject: str) -> str | None:
        if value < self.earliest:
            return f"{subject} must be the same as or after {_long_date(self.earliest)}"
        return None


# --- Money ------------------------------------------------------------------------------------

_MONEY_PATTERN = re.compile(r"-?\d+(\.\d*)?")


class MoneyField(StringField):
    """An amount in pounds as people type it: "1250", "1,250.50", "£1,250", "£ 1250.5".

    `data` is whole pence (int), or None when left empty. What was typed is shown again after an
    error. Errors: not a number, negative, more than 2 decimal places, more than `max_pence`.
    """

    data: int | None  # type: ignore[assignment]

    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[Callable[..., Any]] | None = None,
        *,
        subject: str | None = None,
        max_pence: int = DEFAULT_MAX_PENCE,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.subject = subject or self.label.text
        self.max_pence = max_pence
        self.typed = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        self.typed = str(valuelist[0])[:100] if valuelist else ""

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None
        self.typed = "" if self.data is None else _pence_as_typed(self.data)

    def _value(self) -> str:
        return self.typed

    def pre_validate(self, form: BaseForm) -> None:
        text = self.typed.strip()
        if not text:
            self.data = None
            return
        cleaned = text.replace(",", "").replace(" ", "")
        if cleaned.startswith("-£"):
            cleaned = "-" + cleaned[2:]
        cleaned = cleaned.removeprefix("£")
        if not cleaned.isascii() or not _MONEY_PATTERN.fullmatch(cleaned):
            raise StopValidation(f"{self.subject} must be an amount of money, like 1,250 or 1,250.50")
        try:
            pounds = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise StopValidation(
                f"{self.subject} must be an amount of money, like 1,250 or 1,250.50"
            ) from None
        if pounds < 0:
            raise StopValidation(f"{self.subject} must be £0 or more")
        if "." in cleaned and len(cleaned.split(".", 1)[1]) > 2:
            raise StopValidation(f"{self.subject} must have no more than 2 numbers after the decimal point")
        pence = int(pounds * 100)
        if pence > self.max_pence:
            raise StopValidation(
                f"{self.subject} must be {_pence_as_typed(self.max_pence, symbol=True)} or less"
            )
        self.data = pence


def _pence_as_typed(pence: int, *, symbol: bool = False) -> str:
    pounds, pennies = divmod(pence, 100)
    text = f"{pounds:,}" if not pennies else f"{pounds:,}.{pennies:02d}"
    return f"£{text}" if symbol else text


# --- Text -------------------------------------------------------------------------------------


class CleanText:
    """Tidy free text and refuse what cannot be published.

    The text is normalised (Unicode NFC, line endings to "\\n", spaces trimmed at either end)
    and written back to `field.data`. Then: required → "Enter ..."; control characters →
    "Description must not include special characters such as tabs or control codes"; over
    `max_length` characters → "Description must be 2,000 characters or fewer". Single-line text
    (`multiline=False`) also refuses line breaks. HTML is allowed: it is stored as typed and
    shown escaped.
    """

    def __init__(
        self,
        max_length: int,
        *,
        required_message: str | None = None,
        multiline: bool = False,
        subject: str | None = None,
    ) -> None:
        self.max_length = max_length
        self.required_message = required_message
        self.multiline = multiline
        self.subject = subject
        self.field_flags = {"required": True} if required_message else {}

    def __call__(self, form: BaseForm, field: Field) -> None:
        subject = self.subject or _subject(field)
        text = field.data if isinstance(field.data, str) else ""
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        field.data = text
        if not text:
            if self.required_message:
                raise StopValidation(self.required_message)
            field.data = ""
            raise StopValidation()  # optional and empty: no further checks, no error
        bad = control_character_in(text, multiline=self.multiline)
        if bad is not None:
            if bad == "\n":
                raise StopValidation(f"{subject} must be on one line")
            raise StopValidation(f"{subject} must not include hidden characters such as control codes")
        if len(text) > self.max_length:
            raise StopValidation(f"{subject} must be {self.max_length:,} characters or fewer")


# --- Choices ----------------------------------------------------------------------------------


class RequiredRadioField(RadioField):
    """Radios that must be answered with one of their choices; anything else (nothing, or a
    forged value) gets the same plain-English message: "Select the type of interest"."""

    data: str | None

    def __init__(self, label: str | None = None, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message
        self.flags.required = True

    def pre_validate(self, form: BaseForm) -> None:
        if self.data is None or str(self.data) not in {str(choice.value) for choice in self.choices or []}:
            self.data = None
            raise StopValidation(self.message)
