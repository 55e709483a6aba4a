"""Which engagement counts, as spans of days (`counted_spans`), equals asking day by day."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from interests.rules.compliance import CountedSpan, Engaged, counted_spans, is_in_scope

BASE = date(2025, 1, 1)
TYPES = ("employee", "bank", "locum")


def counted_on(engagements: list[Engaged], day: date) -> Engaged | None:
    """The rules day by day: the earliest started of those in scope, then the lowest id."""
    in_scope = [e for e in engagements if is_in_scope(day, e.start, e.end)]
    return min(in_scope, key=lambda e: (e.start, e.id)) if in_scope else None


def span_on(spans: list[CountedSpan], day: date) -> Engaged | None:
    holding = [s for s in spans if s.counts_from <= day and (s.counts_until is None or s.counts_until >= day)]
    assert len(holding) <= 1, f"{day}: spans overlap"
    return holding[0].engagement if holding else None


@st.composite
def engagements(draw: st.DrawFn) -> list[Engaged]:
    found = []
    for number in range(draw(st.integers(min_value=0, max_value=4))):
        start = BASE + timedelta(days=draw(st.integers(min_value=0, max_value=60)))
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=40)))
        end = None if length is None else start + timedelta(days=length)
        found.append(Engaged(number + 1, draw(st.sampled_from(TYPES)), start, end))
    return found


@settings(max_examples=300)
@given(engagements())
def test_the_span_holding_each_day_is_the_engagement_that_counts_that_day(mine: list[Engaged]) -> None:
    spans = counted_spans(mine)
    for offset in range(-2, 110):
        day = BASE + timedelta(days=offset)
        assert span_on(spans, day) == counted_on(mine, day), day
    # In date order, and a new span only where a different engagement starts counting.
    for before, after in zip(spans, spans[1:], strict=False):
        assert before.counts_until is not None and before.counts_until < after.counts_from
        assert before.engagement != after.engagement or after.counts_from > before.counts_until + timedelta(
            days=1
        )


def test_an_ended_engagement_then_a_new_one_and_a_later_second_one_make_three_spans() -> None:
    left = Engaged(1, "employee", date(2023, 1, 1), date(2024, 12, 31))
    back = Engaged(2, "bank", date(2025, 3, 1), None)
    later = Engaged(3, "locum", date(2026, 1, 1), None)
    assert counted_spans([left, back, later]) == [
        CountedSpan(date(2023, 1, 1), date(2024, 12, 31), left),
        CountedSpan(date(2025, 3, 1), None, back),
    ]
    earlier_start = Engaged(4, "locum", date(2024, 6, 1), date(2025, 6, 30))
    assert counted_spans([back, earlier_start]) == [
        CountedSpan(date(2024, 6, 1), date(2025, 6, 30), earlier_start),
        CountedSpan(date(2025, 7, 1), None, back),
    ]
