"""Compliance rules: each professional's status with a provider, a provider's figures and rating."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interests.rules.compliance import (
    DECLARE_WITHIN_DAYS,
    DeclarationStatus,
    ProviderFigures,
    Rating,
    TypeFigures,
    anniversary_of,
    engagement_status,
    figures_from_statuses,
    is_in_scope,
    next_due_on,
    rate,
)
from interests.rules.months import add_months
from interests.rules.vocabulary import ENGAGEMENT_TYPES

DECLARED = DeclarationStatus.DECLARED
DUE = DeclarationStatus.DUE
OVERDUE = DeclarationStatus.OVERDUE
MISSING = DeclarationStatus.MISSING

LONG_AGO = date(2020, 1, 1)
STARTED = date(2025, 1, 1)
DECLARED_ON = date(2024, 3, 15)  # anniversary 15 March 2025; anniversary + 28 days is 12 April 2025
LEAP_DAY = date(2024, 2, 29)  # anniversary 28 February 2025


def days_after(day: date, days: int) -> date:
    return day + timedelta(days=days)


@pytest.mark.parametrize(
    ("as_of", "engaged_since", "last_declared_on", "expected"),
    [
        # Never declared: due for the first 27 days, missing from day 28.
        pytest.param(STARTED, STARTED, None, DUE, id="never-declared-first-day-due"),
        pytest.param(days_after(STARTED, 27), STARTED, None, DUE, id="never-declared-day-27-due"),
        pytest.param(days_after(STARTED, 28), STARTED, None, MISSING, id="never-declared-day-28-missing"),
        pytest.param(days_after(STARTED, 29), STARTED, None, MISSING, id="never-declared-day-29-missing"),
        pytest.param(date(2025, 6, 1), LONG_AGO, None, MISSING, id="never-declared-years-ago-missing"),
        # Declared: counts until the day before its anniversary.
        pytest.param(DECLARED_ON, LONG_AGO, DECLARED_ON, DECLARED, id="declared-today-declared"),
        pytest.param(date(2025, 3, 14), LONG_AGO, DECLARED_ON, DECLARED, id="declared-12-months-less-a-day"),
        pytest.param(date(2025, 3, 15), LONG_AGO, DECLARED_ON, DUE, id="declared-exactly-12-months-due"),
        pytest.param(date(2025, 3, 16), LONG_AGO, DECLARED_ON, DUE, id="declared-12-months-and-a-day-due"),
        pytest.param(date(2025, 4, 11), LONG_AGO, DECLARED_ON, DUE, id="lapsed-27-days-due"),
        pytest.param(date(2025, 4, 12), LONG_AGO, DECLARED_ON, OVERDUE, id="lapsed-exactly-28-days-overdue"),
        pytest.param(date(2025, 4, 13), LONG_AGO, DECLARED_ON, OVERDUE, id="lapsed-29-days-overdue"),
        pytest.param(date(2027, 1, 1), LONG_AGO, DECLARED_ON, OVERDUE, id="lapsed-years-ago-overdue"),
        # Leap day: 29 February 2024 + 12 months is 28 February 2025.
        pytest.param(date(2025, 2, 27), LONG_AGO, LEAP_DAY, DECLARED, id="leap-day-declared-27-feb-declared"),
        pytest.param(date(2025, 2, 28), LONG_AGO, LEAP_DAY, DUE, id="leap-day-declared-28-feb-due"),
        pytest.param(date(2025, 3, 1), LONG_AGO, LEAP_DAY, DUE, id="leap-day-declared-1-mar-due"),
        pytest.param(date(2025, 3, 27), LONG_AGO, LEAP_DAY, DUE, id="leap-day-lapsed-27-days-due"),
        pytest.param(date(2025, 3, 28), LONG_AGO, LEAP_DAY, OVERDUE, id="leap-day-lapsed-28-days-overdue"),
        # A declaration sent on appointment, before the engagement starts, counts.
        pytest.param(date(2025, 3, 1), date(2025, 2, 1), date(2025, 1, 20), DECLARED, id="pre-start-ok"),
        # Re-engaged less than 28 days ago after an old declaration lapsed: still inside a window.
        pytest.param(days_after(STARTED, 27), STARTED, date(2022, 6, 1), DUE, id="rejoined-day-27-due"),
        pytest.param(days_after(STARTED, 28), STARTED, date(2022, 6, 1), OVERDUE, id="rejoined-day-28-late"),
        # A declaration dated after as_of did not exist yet: ignored.
        pytest.param(days_after(STARTED, 5), STARTED, date(2025, 3, 1), DUE, id="future-ignored-due"),
        pytest.param(date(2025, 6, 1), LONG_AGO, date(2025, 6, 2), MISSING, id="future-ignored-missing"),
    ],
)
def test_engagement_status(
    as_of: date, engaged_since: date, last_declared_on: date | None, expected: DeclarationStatus
) -> None:
    assert engagement_status(as_of, engaged_since, last_declared_on) is expected


def test_professional_at_two_providers_is_declared_only_where_they_sent_it() -> None:
    # The caller passes each provider's own last declaration date.
    as_of = date(2025, 6, 1)
    last_declared_by_provider = {"st-elsewhere": date(2025, 5, 1), "riverside-clinic": None}
    statuses = {
        provider: engagement_status(as_of, LONG_AGO, last_declared_on)
        for provider, last_declared_on in last_declared_by_provider.items()
    }
    assert statuses == {"st-elsewhere": DECLARED, "riverside-clinic": MISSING}


@pytest.mark.parametrize(
    ("as_of", "start", "end", "expected"),
    [
        pytest.param(date(2025, 6, 10), date(2024, 1, 1), date(2025, 6, 9), False, id="ended-yesterday-out"),
        pytest.param(date(2025, 6, 10), date(2024, 1, 1), date(2025, 6, 10), True, id="ending-today-in"),
        pytest.param(date(2025, 6, 10), date(2024, 1, 1), None, True, id="no-end-date-in"),
        pytest.param(date(2025, 6, 10), date(2025, 6, 10), None, True, id="starting-today-in"),
        pytest.param(date(2025, 6, 10), date(2025, 6, 11), None, False, id="starting-tomorrow-out"),
    ],
)
def test_is_in_scope(as_of: date, start: date, end: date | None, expected: bool) -> None:
    assert is_in_scope(as_of, start, end) is expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2024, 3, 15), 12, date(2025, 3, 15), id="plain-year"),
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="leap-day-to-28-feb"),
        pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="leap-day-to-leap-day"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="month-end-clamped"),
        pytest.param(date(2024, 12, 31), 1, date(2025, 1, 31), id="across-year-end"),
        pytest.param(date(2025, 3, 31), -1, date(2025, 2, 28), id="backwards"),
        pytest.param(date(2025, 1, 15), -13, date(2023, 12, 15), id="backwards-over-a-year"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("engaged_since", "last_declared_on", "expected"),
    [
        pytest.param(STARTED, None, date(2025, 1, 29), id="never-declared-start-plus-28-days"),
        pytest.param(LONG_AGO, DECLARED_ON, date(2025, 3, 15), id="declared-anniversary"),
        pytest.param(LONG_AGO, LEAP_DAY, date(2025, 2, 28), id="leap-day-anniversary"),
    ],
)
def test_next_due_on(engaged_since: date, last_declared_on: date | None, expected: date) -> None:
    assert next_due_on(engaged_since, last_declared_on) == expected


def test_next_due_on_is_the_first_day_the_status_is_no_longer_clean() -> None:
    assert engagement_status(date(2025, 1, 28), STARTED, None) is DUE
    assert engagement_status(next_due_on(STARTED, None), STARTED, None) is MISSING
    assert engagement_status(date(2025, 3, 14), LONG_AGO, DECLARED_ON) is DECLARED
    assert engagement_status(next_due_on(LONG_AGO, DECLARED_ON), LONG_AGO, DECLARED_ON) is DUE


def figures(declared: int, in_scope: int, published: bool = True) -> ProviderFigures:
    return ProviderFigures(
        in_scope=in_scope,
        declared=declared,
        due=0,
        overdue=0,
        missing=in_scope - declared,
        register_last_published=datetime(2025, 5, 1, 9, 0) if published else None,
    )


@pytest.mark.parametrize(
    ("provider_figures", "expected"),
    [
        pytest.param(figures(950, 1000), Rating.MEETS_EXPECTATIONS, id="95.0-percent-published-meets"),
        pytest.param(figures(19, 20), Rating.MEETS_EXPECTATIONS, id="19-of-20-is-exactly-95-meets"),
        pytest.param(figures(1000, 1000), Rating.MEETS_EXPECTATIONS, id="100-percent-published-meets"),
        pytest.param(figures(949, 1000), Rating.REQUIRES_IMPROVEMENT, id="94.9-percent-published-ri"),
        pytest.param(figures(950, 1000, False), Rating.REQUIRES_IMPROVEMENT, id="95.0-not-published-ri"),
        pytest.param(figures(1000, 1000, False), Rating.REQUIRES_IMPROVEMENT, id="100-not-published-ri"),
        pytest.param(figures(750, 1000), Rating.REQUIRES_IMPROVEMENT, id="75.0-percent-ri"),
        pytest.param(figures(750, 1000, False), Rating.REQUIRES_IMPROVEMENT, id="75.0-not-published-ri"),
        pytest.param(figures(749, 1000), Rating.INADEQUATE, id="74.9-percent-inadequate"),
        pytest.param(figures(749, 1000, False), Rating.INADEQUATE, id="74.9-not-published-inadequate"),
        pytest.param(figures(0, 10), Rating.INADEQUATE, id="nobody-declared-inadequate"),
        pytest.param(figures(0, 0), Rating.NO_STAFF, id="nobody-in-scope-no-staff"),
        pytest.param(figures(0, 0, False), Rating.NO_STAFF, id="nobody-in-scope-unpublished-no-staff"),
    ],
)
def test_rate_with_default_thresholds(provider_figures: ProviderFigures, expected: Rating) -> None:
    assert rate(provider_figures) is expected


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        pytest.param(90, Rating.MEETS_EXPECTATIONS, id="at-custom-meets"),
        pytest.param(89, Rating.REQUIRES_IMPROVEMENT, id="below-custom-meets"),
        pytest.param(50, Rating.REQUIRES_IMPROVEMENT, id="at-custom-ri"),
        pytest.param(49, Rating.INADEQUATE, id="below-custom-ri"),
    ],
)
def test_rate_uses_the_thresholds_it_is_given(declared: int, expected: Rating) -> None:
    assert rate(figures(declared, 100), meets_percent=90, requires_improvement_percent=50) is expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(datetime(2025, 5, 31, 9, 0), Rating.MEETS_EXPECTATIONS, id="published-30-days-meets"),
        pytest.param(datetime(2025, 5, 31, 9, 1), Rating.REQUIRES_IMPROVEMENT, id="published-too-old-ri"),
    ],
)
def test_rate_can_require_a_recent_publication(as_of: datetime, expected: Rating) -> None:
    assert rate(figures(100, 100), published_within_days=30, as_of=as_of) is expected


def test_rate_refuses_thresholds_in_the_wrong_order() -> None:
    with pytest.raises(ValueError, match="Thresholds"):
        rate(figures(1, 1), meets_percent=70, requires_improvement_percent=80)


def test_rate_needs_a_date_to_check_how_recent_the_register_is() -> None:
    with pytest.raises(ValueError, match="as_of"):
        rate(figures(1, 1), published_within_days=30)


def test_figures_from_statuses_adds_up_each_engagement() -> None:
    published = datetime(2025, 5, 1, 9, 0)
    rows = [
        ("employee", DECLARED),
        ("employee", DECLARED),
        ("employee", DUE),
        ("bank", DECLARED),
        ("bank", OVERDUE),
        ("locum", MISSING),
        ("locum", MISSING),
        ("practising_privileges", DECLARED),
    ]
    result = figures_from_statuses(rows, withheld=3, register_last_published=published)
    assert (result.in_scope, result.declared, result.due, result.overdue, result.missing) == (8, 4, 1, 1, 2)
    assert result.withheld == 3
    assert result.register_last_published == published
    assert result.percent_declared == 50.0
    assert list(result.by_type) == [term.code for term in ENGAGEMENT_TYPES]
    assert result.by_type == {
        "employee": TypeFigures(in_scope=3, declared=2),
        "bank": TypeFigures(in_scope=2, declared=1),
        "locum": TypeFigures(in_scope=2, declared=0),
        "practising_privileges": TypeFigures(in_scope=1, declared=1),
        "contractor": TypeFigures(in_scope=0, declared=0),
    }
    assert result.percent_declared_by_type == {
        "employee": pytest.approx(200 / 3),
        "bank": 50.0,
        "locum": 0.0,
        "practising_privileges": 100.0,
        "contractor": None,
    }


def test_figures_from_no_statuses_show_nobody_in_scope() -> None:
    result = figures_from_statuses([])
    assert result.in_scope == 0
    assert result.percent_declared is None
    assert set(result.percent_declared_by_type.values()) == {None}
    assert rate(result) is Rating.NO_STAFF


def test_figures_from_statuses_accepts_status_strings_from_the_database() -> None:
    result = figures_from_statuses([("contractor", "declared"), ("contractor", "missing")])
    assert (result.declared, result.missing) == (1, 1)


def test_figures_from_statuses_refuses_an_unknown_engagement_type() -> None:
    with pytest.raises(ValueError, match="Unknown engagement type"):
        figures_from_statuses([("volunteer", DECLARED)])


def test_provider_figures_refuse_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="must equal in_scope"):
        ProviderFigures(in_scope=3, declared=1, due=1, overdue=0, missing=0)


@pytest.mark.parametrize("term", [*DeclarationStatus, *Rating], ids=str)
def test_every_status_and_rating_is_explained_in_plain_english(term: DeclarationStatus | Rating) -> None:
    assert term.label
    assert term.explanation.endswith(".")


def test_declared_explanation_names_the_12_month_rule() -> None:
    assert DECLARED.label == "Declared"
    assert DECLARED.explanation == "Sent a declaration or nil return to this provider in the last 12 months."


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(as_of=dates, engaged_since=dates, last_declared_on=st.none() | dates)
def test_status_is_always_exactly_one_and_follows_the_rules(
    as_of: date, engaged_since: date, last_declared_on: date | None
) -> None:
    status = engagement_status(as_of, engaged_since, last_declared_on)
    assert [s for s in DeclarationStatus if s is status] == [status]
    declared_by_as_of = last_declared_on is not None and last_declared_on <= as_of
    if not declared_by_as_of:
        assert status in (DUE, MISSING)
    else:
        assert last_declared_on is not None
        assert status is not MISSING
        assert (status is DECLARED) == (as_of < anniversary_of(last_declared_on))
    if status is DUE:
        in_window = as_of < engaged_since + timedelta(days=DECLARE_WITHIN_DAYS)
        if declared_by_as_of:
            assert last_declared_on is not None
            anniversary = anniversary_of(last_declared_on)
            in_window = in_window or as_of < anniversary + timedelta(days=DECLARE_WITHIN_DAYS)
        assert in_window


@given(day=dates)
def test_a_declaration_covers_between_365_and_366_days(day: date) -> None:
    assert (anniversary_of(day) - day).days in (365, 366)
