"""The shared NHS.UK-style fields: date input, money and clean text (interests/formfields.py)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from interests.formfields import (
    CleanText,
    DateInFuture,
    DateInPast,
    DateInputField,
    DateNotBefore,
    DateNotTooFarAhead,
    MoneyField,
    RequiredRadioField,
    control_character_in,
)

TODAY = date(2026, 11, 23)


def today() -> date:
    return TODAY


class DateForm(Form):
    date_from = DateInputField("Date from", validators=[DateInPast(today=today, allow_today=False)])
    review_on = DateInputField("Review date", required=False, validators=[DateInFuture(today=today)])
    start = DateInputField(
        "Start date",
        required=False,
        validators=[DateNotBefore(date(1950, 1, 1)), DateNotTooFarAhead(365, today=today)],
    )


def date_errors(data: dict[str, str]) -> dict[str, list[str]]:
    base = {"date_from-day": "1", "date_from-month": "4", "date_from-year": "2025"}
    form = DateForm(MultiDict({**base, **data}))
    form.validate()
    return form.errors


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date_from-day": "", "date_from-month": "", "date_from-year": ""}, "date_from", "Enter date from"),
        ({"date_from-month": ""}, "date_from", "Date from must include a month"),
        ({"date_from-day": ""}, "date_from", "Date from must include a day"),
        ({"date_from-year": ""}, "date_from", "Date from must include a year"),
        (
            {"date_from-day": "", "date_from-month": ""},
            "date_from",
            "Date from must include a day and a month",
        ),
        (
            {"date_from-day": "29", "date_from-month": "2", "date_from-year": "2025"},
            "date_from",
            "Date from must be a real date",
        ),
        ({"date_from-day": "0"}, "date_from", "Date from must be a real date"),
        ({"date_from-month": "april"}, "date_from", "Date from must be a real date"),
        ({"date_from-day": "１"}, "date_from", "Date from must be a real date"),  # a full-width digit
        ({"date_from-day": "-1"}, "date_from", "Date from must be a real date"),
        ({"date_from-year": "20255"}, "date_from", "Year must include 4 numbers"),
        ({"date_from-year": "1066"}, "date_from", "Date from must be a real date"),
        (
            {"date_from-day": "23", "date_from-month": "11", "date_from-year": "2026"},
            "date_from",
            "Date from must be in the past",
        ),
        (
            {"review_on-day": "23", "review_on-month": "11", "review_on-year": "2026"},
            "review_on",
            "Review date must be in the future",
        ),
        ({"review_on-day": "1"}, "review_on", "Review date must include a month and a year"),
        (
            {"start-day": "31", "start-month": "12", "start-year": "1949"},
            "start",
            "Start date must be the same as or after 1 January 1950",
        ),
        (
            {"start-day": "24", "start-month": "11", "start-year": "2027"},
            "start",
            "Start date must be the same as or before 23 November 2027",
        ),
    ],
)
def test_date_input_gives_the_nhs_pattern_message(data: dict[str, str], field: str, message: str) -> None:
    assert date_errors(data) == {field: [message]}


def test_date_input_accepts_a_real_date_with_spaces_and_leading_zeros() -> None:
    form = DateForm(MultiDict({"date_from-day": " 01 ", "date_from-month": "04", "date_from-year": "2025"}))
    assert form.validate()
    assert form.date_from.data == date(2025, 4, 1)
    assert form.review_on.data is None  # optional and left empty


def test_date_input_highlights_only_the_missing_part_and_keeps_what_was_typed() -> None:
    form = DateForm(MultiDict({"date_from-day": "12", "date_from-month": "", "date_from-year": "2024"}))
    form.validate()
    assert form.date_from.error_parts == {"month"}
    assert form.date_from.parts == {"day": "12", "month": "", "year": "2024"}


def test_date_input_filled_from_an_object_shows_its_parts() -> None:
    class Thing:
        date_from = date(2024, 3, 9)
        review_on = None
        start = None

    form = DateForm(obj=Thing())
    assert form.date_from.parts == {"day": "9", "month": "3", "year": "2024"}
    assert form.validate()


def test_date_input_typed_text_is_capped_so_a_huge_post_is_not_echoed_back() -> None:
    form = DateForm(
        MultiDict({"date_from-day": "9" * 100_000, "date_from-month": "1", "date_from-year": "2024"})
    )
    assert not form.validate()
    assert len(form.date_from.parts["day"]) == 20


class MoneyForm(Form):
    value = MoneyField("Value")


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1250", 125000),
        ("1,250.50", 125050),
        ("£1,250", 125000),
        ("£ 1,250.5", 125050),
        ("0", 0),
        ("0.01", 1),
        ("10000000", 1_000_000_000),
        ("", None),
        ("   ", None),
    ],
)
def test_money_accepts_amounts_as_people_type_them(typed: str, pence: int | None) -> None:
    form = MoneyForm(MultiDict({"value": typed}))
    assert form.validate(), form.errors
    assert form.value.data == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "Value must be £0 or more"),
        ("-£5", "Value must be £0 or more"),
        ("1.234", "Value must have no more than 2 numbers after the decimal point"),
        ("10000000.01", "Value must be £10,000,000 or less"),
        ("1e6", "Value must be an amount of money, like 1,250 or 1,250.50"),
        ("NaN", "Value must be an amount of money, like 1,250 or 1,250.50"),
        ("Infinity", "Value must be an amount of money, like 1,250 or 1,250.50"),
        ("12..5", "Value must be an amount of money, like 1,250 or 1,250.50"),
        ("$50", "Value must be an amount of money, like 1,250 or 1,250.50"),
        ("٣٠", "Value must be an amount of money, like 1,250 or 1,250.50"),  # Arabic-Indic digits
        ("9" * 5000, "Value must be £10,000,000 or less"),
    ],
)
def test_money_refuses_what_is_not_a_sensible_amount(typed: str, message: str) -> None:
    form = MoneyForm(MultiDict({"value": typed}))
    assert not form.validate()
    assert form.value.errors == [message]
    assert form.value.data is None
    assert form.value._value() == typed[:100]


def test_money_shows_a_stored_amount_without_the_pound_sign() -> None:
    assert MoneyForm(data={"value": 125050}).value._value() == "1,250.50"
    assert MoneyForm(data={"value": 125000}).value._value() == "1,250"


class TextForm(Form):
    name = StringField("Name", validators=[CleanText(20, required_message="Enter a name")])
    notes = TextAreaField("Description", validators=[CleanText(2000, multiline=True)])


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": ""}, {"name": ["Enter a name"]}),
        ({"name": " \t "}, {"name": ["Enter a name"]}),
        ({"name": "x" * 21}, {"name": ["Name must be 20 characters or fewer"]}),
        ({"name": "a\nb"}, {"name": ["Name must be on one line"]}),
        ({"name": "a\tb"}, {"name": ["Name must not include hidden characters such as control codes"]}),
        ({"name": "ok", "notes": "y" * 2001}, {"notes": ["Description must be 2,000 characters or fewer"]}),
        (
            {"name": "ok", "notes": "bell\x07"},
            {"notes": ["Description must not include hidden characters such as control codes"]},
        ),
        (
            {"name": "ok", "notes": "nul\x00"},
            {"notes": ["Description must not include hidden characters such as control codes"]},
        ),
        (
            {"name": "ok", "notes": "\u202eevil"},
            {"notes": ["Description must not include hidden characters such as control codes"]},
        ),
        (
            {"name": "ok", "notes": "\ud800"},
            {"notes": ["Description must not include hidden characters such as control codes"]},
        ),
    ],
)
def test_clean_text_refuses_with_a_specific_message(
    data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    form = TextForm(MultiDict(data))
    assert not form.validate()
    assert form.errors == errors


def test_clean_text_tidies_what_it_accepts_and_keeps_html_as_typed() -> None:
    form = TextForm(MultiDict({"name": "  <b>Ann</b> ", "notes": "line one\r\nline two\ttabbed\r\n"}))
    assert form.validate()
    assert form.name.data == "<b>Ann</b>"
    assert form.notes.data == "line one\nline two\ttabbed"


def test_clean_text_counts_characters_after_combining_accents() -> None:
    decomposed = "e\u0301" * 20  # 40 code points, 20 characters once composed (NFC)
    form = TextForm(MultiDict({"name": decomposed}))
    assert form.validate()
    assert form.name.data == "\u00e9" * 20


def test_control_character_in_allows_emoji_and_accents() -> None:
    assert control_character_in("Zoë 👩🏽‍⚕️ Ørsted", multiline=False) is None
    assert control_character_in("a\x7fb", multiline=False) == "\x7f"


def _refused_by_category(char: str, multiline: bool) -> bool:
    """The rule as the docstring of interests/rules/text.py states it, character by character."""
    if multiline and char in "\n\t":
        return False
    return (
        unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn")
        or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    )


@pytest.mark.parametrize("multiline", [False, True])
def test_control_character_in_refuses_exactly_the_rules_characters_among_printable_text(
    multiline: bool,
) -> None:
    # Its quick check of printable text must agree with the rule for every kind of character: the
    # controls, spaces and format characters, the surrogates, private-use planes and their edges.
    ranges = [(0, 0x3400), (0xD7F0, 0xE010), (0xF8F0, 0x10010), (0xEFFF0, 0xF0010), (0x10FFF0, 0x110000)]
    for start, end in ranges:
        for code in range(start, end):
            char = chr(code)
            found = control_character_in(f"ok {char} ok", multiline=multiline)
            assert (found == char) is _refused_by_category(char, multiline), hex(code)
            assert found in (None, char), hex(code)


class ChoiceForm(Form):
    colour = RequiredRadioField(
        "Colour",
        choices=[SelectChoice("red", "Red"), SelectChoice("blue", "Blue")],
        message="Select a colour",
    )


@pytest.mark.parametrize("typed", [None, "", "green", "red "])
def test_required_radio_refuses_nothing_or_a_forged_choice(typed: str | None) -> None:
    form = ChoiceForm(MultiDict({} if typed is None else {"colour": typed}))
    assert not form.validate()
    assert form.errors == {"colour": ["Select a colour"]}
