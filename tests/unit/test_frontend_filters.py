"""The filters that turn dates, times and amounts into the plain English patients read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from interests.frontend import govuk_date, govuk_datetime, money, money_pounds, pluralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 4, 1), "1 April 2025"),
        (date(2025, 12, 25), "25 December 2025"),
        (datetime(2025, 4, 1, 9, 30), "1 April 2025"),
        # 11:30pm UTC on 30 June is already 1 July in the UK (BST).
        (datetime(2025, 6, 30, 23, 30, tzinfo=UTC), "1 July 2025"),
        # In winter UK time is UTC: the date does not move.
        (datetime(2025, 1, 31, 23, 30, tzinfo=UTC), "31 January 2025"),
        (None, ""),
    ],
)
def test_govuk_date_writes_day_month_name_and_year(value: date | datetime | None, expected: str) -> None:
    assert govuk_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # British Summer Time: UTC+1.
        (datetime(2025, 4, 1, 13, 5, tzinfo=UTC), "1 April 2025 at 2:05pm"),
        # Greenwich Mean Time: UTC+0.
        (datetime(2025, 1, 15, 14, 5, tzinfo=UTC), "15 January 2025 at 2:05pm"),
        # Naive datetimes are UTC, as stored in the database.
        (datetime(2025, 7, 1, 8, 0), "1 July 2025 at 9:00am"),
        (datetime(2025, 1, 1, 0, 0), "1 January 2025 at 12:00am"),
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "1 January 2025 at 12:00pm"),
        # Clocks go forward at 1am UTC on 30 March 2025, back at 1am UTC on 26 October 2025.
        (datetime(2025, 3, 30, 0, 59, tzinfo=UTC), "30 March 2025 at 12:59am"),
        (datetime(2025, 3, 30, 1, 0, tzinfo=UTC), "30 March 2025 at 2:00am"),
        (datetime(2025, 10, 26, 0, 59, tzinfo=UTC), "26 October 2025 at 1:59am"),
        (datetime(2025, 10, 26, 1, 0, tzinfo=UTC), "26 October 2025 at 1:00am"),
        # Another zone is converted to UK time too.
        (datetime(2025, 4, 1, 9, 5, tzinfo=timezone(timedelta(hours=-4))), "1 April 2025 at 2:05pm"),
        (None, ""),
    ],
)
def test_govuk_datetime_shows_uk_time_in_12_hour_clock(value: datetime | None, expected: str) -> None:
    assert govuk_datetime(value) == expected


@pytest.mark.parametrize(
    ("pence", "expected"),
    [
        (125000, "£1,250"),
        (125050, "£1,250.50"),
        (125005, "£1,250.05"),
        (0, "£0"),
        (5, "£0.05"),
        (600, "£6"),
        (123456789, "£1,234,567.89"),
        (-500, "-£5"),
        (None, ""),
    ],
)
def test_money_shows_pence_only_when_there_are_some(pence: int | None, expected: str) -> None:
    assert money(pence) == expected


@pytest.mark.parametrize(
    ("pounds", "expected"),
    [
        (Decimal("1250"), "£1,250"),
        (Decimal("1250.00"), "£1,250"),
        (Decimal("1250.5"), "£1,250.50"),
        (Decimal("75.995"), "£76"),
        (Decimal("0.005"), "£0.01"),
        (Decimal("25"), "£25"),
        (50, "£50"),
        (None, ""),
    ],
)
def test_money_pounds_rounds_to_the_penny(pounds: Decimal | int | None, expected: str) -> None:
    assert money_pounds(pounds) == expected


@pytest.mark.parametrize("wrong", [12.5, Decimal("12.50"), "1250", True])
def test_money_refuses_anything_but_whole_pence(wrong: object) -> None:
    with pytest.raises(TypeError):
        money(wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize("wrong", [12.5, "1250", False])
def test_money_pounds_refuses_floats_and_strings(wrong: object) -> None:
    with pytest.raises(TypeError):
        money_pounds(wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 entries"), (1, "1 entry"), (2, "2 entries"), (1250, "1,250 entries")],
)
def test_pluralise_chooses_the_word_for_the_count(count: int, expected: str) -> None:
    assert pluralise(count, "entry", "entries") == expected
