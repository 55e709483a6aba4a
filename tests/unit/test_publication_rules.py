"""interests.rules.publication: what may be published, as tables of cases."""

from __future__ import annotations

from datetime import date

import pytest

from interests.rules import publication as rules
from interests.rules.months import add_months

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 23), 6, date(2026, 5, 23)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),  # shorter month: its last day
        (date(2028, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 15), 6, date(2025, 9, 15)),  # across a year
    ],
)
def test_months_before_keeps_the_day_or_the_months_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, -months) == expected


@pytest.mark.parametrize(
    ("date_to", "shown"),
    [
        (None, True),
        (date(2026, 11, 22), True),
        (date(2026, 5, 23), True),  # exactly 6 months ago: still shown
        (date(2026, 5, 22), False),  # a day more: gone
        (date(2020, 1, 1), False),
    ],
)
def test_an_ended_interest_is_shown_for_six_months(date_to: date | None, shown: bool) -> None:
    assert rules.interest_is_shown(date_to, TODAY) is shown


@pytest.mark.parametrize(
    ("start", "end", "on_register"),
    [
        (date(2020, 1, 1), None, True),
        (date(2027, 1, 1), None, False),  # not started yet
        (date(2020, 1, 1), date(2026, 6, 1), True),  # ended less than 6 months ago
        (date(2020, 1, 1), date(2026, 5, 1), False),
    ],
)
def test_engagement_keeps_professional_on_register(start: date, end: date | None, on_register: bool) -> None:
    assert rules.engagement_keeps_on_register(start, end, TODAY) is on_register


@pytest.mark.parametrize(
    ("statuses", "hidden"),
    [
        (set(), False),
        ({"refused"}, False),
        ({"pending"}, True),
        ({"approved"}, True),
        ({"refused", "pending"}, True),
    ],
)
def test_pending_or_approved_withholding_hides_an_entry(statuses: set[str], hidden: bool) -> None:
    assert rules.withholding_hides(statuses) is hidden


def test_management_action_is_shown_only_once_recorded() -> None:
    assert rules.action_is_shown("Not involved in procurement", TODAY)
    assert not rules.action_is_shown("Draft note", None)
    assert not rules.action_is_shown("  ", TODAY)


def test_latest_declaration_is_the_latest_date_then_signature_then_id() -> None:
    keys = [
        rules.latest_declaration_key(date(2026, 1, 1), 5, 1),
        rules.latest_declaration_key(date(2026, 2, 1), 1, 2),
        rules.latest_declaration_key(date(2026, 2, 1), 2, 3),
    ]
    assert max(keys) == keys[2]
