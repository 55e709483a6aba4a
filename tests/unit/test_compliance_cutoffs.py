"""The cut-off dates the compliance SQL compares with are exactly the rules' calendar-month anniversary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from interests.rules.compliance import DECLARE_WITHIN_DAYS, anniversary_of
from interests.services.compliance import Cutoffs, first_declaration_date_counting_on

ONE_DAY = timedelta(days=1)
GRACE = timedelta(days=DECLARE_WITHIN_DAYS)


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_anniversary_never_moves_backwards_so_one_comparison_is_enough() -> None:
    days = every_day(date(2019, 1, 1), date(2031, 12, 31))
    assert all(anniversary_of(a) <= anniversary_of(b) for a, b in zip(days, days[1:], strict=False))


def test_declared_from_is_the_first_declaration_date_still_counting_on_every_day_of_four_years() -> None:
    for as_of in every_day(date(2023, 1, 1), date(2026, 12, 31)):
        cutoffs = Cutoffs.for_date(as_of)
        assert (
            anniversary_of(cutoffs.declared_from) > as_of >= anniversary_of(cutoffs.declared_from - ONE_DAY)
        )
        # "Due" after a lapse: the anniversary passed less than 28 days ago.
        assert (
            anniversary_of(cutoffs.due_from) + GRACE
            > as_of
            >= anniversary_of(cutoffs.due_from - ONE_DAY) + GRACE
        )
        assert cutoffs.started_after + GRACE == as_of


@pytest.mark.parametrize(
    ("as_of", "declared_from"),
    [
        # A declaration on 29 February 2024 counts until 27 February 2025 (anniversary 28 February).
        (date(2025, 2, 27), date(2024, 2, 28)),
        (date(2025, 2, 28), date(2024, 3, 1)),
        (date(2025, 3, 1), date(2024, 3, 2)),
        # In a leap year, 29 February 2024 itself: the 28 February 2023 declaration has lapsed.
        (date(2024, 2, 29), date(2023, 3, 1)),
        (date(2024, 2, 28), date(2023, 3, 1)),
        (date(2024, 3, 1), date(2023, 3, 2)),
        (date(2025, 6, 1), date(2024, 6, 2)),
    ],
)
def test_declared_from_around_leap_days(as_of: date, declared_from: date) -> None:
    assert first_declaration_date_counting_on(as_of) == declared_from
