"""The inspectors' provider page queries agree with the rules, engagement by engagement, and the
12-month chart read from snapshots equals the one worked out live (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from interests.demo import seed
from interests.extensions import db
from interests.models import Declaration, Engagement, Provider
from interests.rules.compliance import DeclarationStatus, engagement_status, is_in_scope
from interests.services import compliance
from interests.services.compliance import OverviewQuery
from tests import factories

TODAY = date(2026, 6, 1)
MISSING = DeclarationStatus.MISSING
OVERDUE = DeclarationStatus.OVERDUE
# Today, a leap day and the day after, a year back, and a date before most people started.
DATES = (TODAY, date(2024, 2, 29), date(2024, 3, 1), date(2025, 6, 1), TODAY - timedelta(days=1500))


def reference_people(as_of: date) -> dict[int, dict[int, tuple[str, DeclarationStatus, date, str]]]:
    """provider id -> professional id -> (type, status, start, role) of the engagement that counts
    (active on `as_of`, started first, then lowest id), worked out in Python from every row."""
    last: dict[tuple[int, int], date] = {}
    for declaration in db.session.scalars(select(Declaration)):
        if declaration.declared_on <= as_of:
            key = (declaration.provider_id, declaration.professional_id)
            last[key] = max(last.get(key, declaration.declared_on), declaration.declared_on)
    result: dict[int, dict[int, tuple[str, DeclarationStatus, date, str]]] = defaultdict(dict)
    for engagement in db.session.scalars(select(Engagement).order_by(Engagement.start_date, Engagement.id)):
        people = result[engagement.provider_id]
        if not is_in_scope(as_of, engagement.start_date, engagement.end_date):
            continue
        if engagement.professional_id in people:
            continue
        status = engagement_status(
            as_of, engagement.start_date, last.get((engagement.provider_id, engagement.professional_id))
        )
        people[engagement.professional_id] = (
            engagement.engagement_type,
            status,
            engagement.start_date,
            engagement.role or "",
        )
    return result


def reference_lists(
    people: dict[int, tuple[str, DeclarationStatus, date, str]],
) -> dict[tuple[str, DeclarationStatus], list[tuple[int, str, date]]]:
    """(type, status) -> [(professional id, role, start)] in start order, then professional id."""
    lists: dict[tuple[str, DeclarationStatus], list[tuple[int, str, date]]] = defaultdict(list)
    for professional_id, (engagement_type, status, start, role) in sorted(
        people.items(), key=lambda item: (item[1][2], item[0])
    ):
        if status in (MISSING, OVERDUE):
            lists[(engagement_type, status)].append((professional_id, role, start))
    return lists


def add_awkward_people(provider: Provider) -> None:
    """People at the edges: two engagements (the later one a different type), the same start date
    twice, a lapsed declaration with a new engagement, one who left, one who just started."""
    twice = factories.make_professional()
    factories.make_engagement(twice, provider, start_date=date(2023, 5, 1), engagement_type="employee")
    factories.make_engagement(
        twice, provider, start_date=date(2021, 5, 1), engagement_type="bank", role="Bank"
    )
    same_day = factories.make_professional()
    factories.make_engagement(
        same_day, provider, start_date=date(2022, 1, 3), engagement_type="locum", role="A"
    )
    factories.make_engagement(
        same_day, provider, start_date=date(2022, 1, 3), engagement_type="bank", role="B"
    )
    lapsed = factories.make_professional()
    factories.make_engagement(lapsed, provider, start_date=date(2020, 1, 1), end_date=date(2024, 1, 1))
    factories.make_engagement(
        lapsed, provider, start_date=TODAY - timedelta(days=10), engagement_type="locum"
    )
    factories.make_declaration(lapsed, provider, declared_on=date(2022, 6, 1))
    overdue = factories.make_professional()
    factories.make_engagement(overdue, provider, start_date=date(2020, 1, 1), engagement_type="contractor")
    factories.make_declaration(overdue, provider, declared_on=date(2024, 2, 29))
    gone = factories.make_professional()
    factories.make_engagement(gone, provider, start_date=date(2020, 1, 1), end_date=TODAY - timedelta(days=1))
    newcomer = factories.make_professional()
    factories.make_engagement(newcomer, provider, start_date=TODAY - timedelta(days=27))


@pytest.fixture
def seeded(app_ctx: Flask) -> list[Provider]:
    seed(providers=4, professionals=120, seed=11, password="demo-password-for-tests", today=TODAY)
    providers = list(db.session.scalars(select(Provider).order_by(Provider.id)))
    add_awkward_people(providers[0])
    db.session.commit()
    return providers


@pytest.mark.alldb
def test_provider_page_figures_and_lists_equal_the_overview_and_the_rules(seeded: list[Provider]) -> None:
    for as_of in DATES:
        expected = reference_people(as_of)
        query = OverviewQuery(as_of=as_of)
        for provider in seeded:
            summary = compliance.provider_summary(provider, query)
            # The same row the overview's live aggregate gives (figures, withheld, published, rating).
            assert summary.row == compliance.provider_row(provider, query), (as_of, provider.slug)
            people = expected.get(provider.id, {})
            totals: dict[tuple[str, DeclarationStatus], int] = defaultdict(int)
            for engagement_type, status, _, _ in people.values():
                totals[(engagement_type, status)] += 1
            assert summary.group_totals == dict(totals), (as_of, provider.slug)

            wanted = reference_lists(people)
            for limit in (2, 50):
                lists = compliance.people_needing_attention(
                    provider, as_of, limit=limit, group_totals=summary.group_totals
                )
                # Counted again when the totals are not passed in: the same lists.
                assert lists == compliance.people_needing_attention(provider, as_of, limit=limit)
                for (engagement_type, status), entry in lists.items():
                    listed = [(p.professional_id, p.role, p.start_date) for p in entry.people]
                    assert listed == wanted.get((engagement_type, status), [])[:limit], (
                        as_of,
                        provider.slug,
                        engagement_type,
                        status,
                    )
                    assert entry.total == len(wanted.get((engagement_type, status), []))
                    for person in entry.people:
                        assert person.engagement_type == engagement_type
            # Page by page, each list comes out whole and in the same order.
            for (engagement_type, status), everyone in wanted.items():
                paged: list[int] = []
                for number in range(1, len(everyone) // 3 + 2):
                    page = compliance.people_page(provider, as_of, engagement_type, status, number, 3)
                    paged.extend(person.professional_id for person in page)
                assert paged == [professional_id for professional_id, _, _ in everyone]
    # The data exercises both lists and more than one type, or this test would prove little.
    lists = reference_lists(reference_people(TODAY)[seeded[0].id])
    assert {status for _, status in lists} == {MISSING, OVERDUE}
    assert len({engagement_type for engagement_type, _ in lists}) >= 2


@pytest.mark.alldb
def test_provider_chart_live_equals_the_rules_and_from_snapshots_equals_live(seeded: list[Provider]) -> None:
    days = compliance.month_ends(TODAY)
    by_day = {day: reference_people(day) for day in days}
    live = {provider.id: compliance.trend(provider, TODAY) for provider in seeded}
    for provider in seeded:
        assert [point.day for point in live[provider.id]] == days
        for point in live[provider.id]:
            people = by_day[point.day].get(provider.id, {})
            declared = sum(1 for _, status, _, _ in people.values() if status is DeclarationStatus.DECLARED)
            assert (point.in_scope, point.declared) == (len(people), declared), (provider.slug, point.day)
        # The page passes in its own live figures for the last day: the same point.
        row = compliance.provider_summary(provider, OverviewQuery(as_of=TODAY)).row
        latest = compliance.MonthPoint(TODAY, row.figures.in_scope, row.figures.declared)
        assert compliance.trend(provider, TODAY, latest=latest) == live[provider.id]
    assert any(point.declared for point in live[seeded[0].id])
    # Snapshots of every month end (and of every other day for half of them): read, and equal.
    for day in days[::2]:
        compliance.take_snapshot(day)
    db.session.commit()
    for provider in seeded:
        assert compliance.trend(provider, TODAY) == live[provider.id]
    for day in days[1::2]:
        compliance.take_snapshot(day)
    db.session.commit()
    for provider in seeded:
        assert compliance.trend(provider, TODAY) == live[provider.id]
