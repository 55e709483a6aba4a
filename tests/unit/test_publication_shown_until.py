"""The last day an ended interest or engagement is on the register: what `search refresh` and the
search results' "fresh until" day rely on. Checked against the rules themselves, day by day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from interests.rules.publication import (
    engagement_keeps_on_register,
    engagement_shown_until,
    interest_is_shown,
    interest_shown_until,
)

ONE_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("ended", "last_day"),
    [
        (date(2026, 5, 29), date(2026, 11, 29)),
        (date(2026, 8, 31), date(2027, 2, 28)),  # no 31 February: the last day of the month
        (date(2027, 2, 28), date(2027, 8, 31)),  # 29-31 August all look back to 28 February
        (date(2027, 8, 29), date(2028, 2, 29)),  # a leap year
    ],
)
def test_interest_is_published_until_6_months_after_it_ended_and_not_a_day_longer(
    ended: date, last_day: date
) -> None:
    assert interest_shown_until(ended) == last_day
    assert interest_is_shown(ended, last_day) and not interest_is_shown(ended, last_day + ONE_DAY)


def test_every_end_date_over_four_years_agrees_with_the_rules() -> None:
    for offset in range(4 * 366):
        ended = date(2025, 1, 1) + timedelta(days=offset)
        last = interest_shown_until(ended)
        assert interest_is_shown(ended, last) and not interest_is_shown(ended, last + ONE_DAY), ended
        last = engagement_shown_until(ended)
        started = ended - timedelta(days=30)
        assert engagement_keeps_on_register(started, ended, last), ended
        assert not engagement_keeps_on_register(started, ended, last + ONE_DAY), ended
