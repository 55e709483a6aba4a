"""The staff page's status, computed in SQL, agrees with the rules (interests.rules.compliance)
person by person, on the boundaries the rules define."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from interests.extensions import db
from interests.rules.compliance import engagement_status
from interests.services import compliance, staff
from tests import factories

TODAY = date(2026, 3, 1)

# (days since the engagement started, days since the last declaration or None)
CASES = [
    (0, None),
    (27, None),
    (28, None),
    (400, None),
    (400, 10),
    (400, 364),
    (400, 366),
    (400, 393),
    (400, 394),
    (400, 800),
    (10, 800),  # re-engaged recently, an old lapsed declaration: due
]


@pytest.mark.alldb
def test_staff_page_status_matches_the_rules(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    expected: dict[int, str] = {}
    for started_days, declared_days in CASES:
        professional = factories.make_professional()
        engagement = factories.make_engagement(
            professional, provider, start_date=TODAY - timedelta(days=started_days)
        )
        last = None
        if declared_days is not None:
            last = TODAY - timedelta(days=declared_days)
            factories.make_declaration(professional, provider, declared_on=last)
        expected[engagement.id] = engagement_status(TODAY, engagement.start_date, last).value
    future = factories.make_engagement(
        factories.make_professional(), provider, start_date=TODAY + timedelta(days=5)
    )
    ended = factories.make_engagement(
        factories.make_professional(),
        provider,
        start_date=TODAY - timedelta(days=90),
        end_date=TODAY - timedelta(days=1),
    )
    db.session.commit()
    page = staff.staff_page(provider, staff.StaffFilters(), TODAY, 1, 100)
    got = {row.engagement_id: row.status for row in page.items}
    assert {k: got[k] for k in expected} == expected
    assert got[future.id] == staff.NOT_STARTED
    assert ended.id not in got
    ended_page = staff.staff_page(provider, staff.StaffFilters(status=staff.ENDED), TODAY, 1, 100)
    assert [row.engagement_id for row in ended_page.items] == [ended.id]
    for status in ("declared", "due", "overdue", "missing"):
        filtered = staff.staff_page(provider, staff.StaffFilters(status=status), TODAY, 1, 100)
        assert sorted(r.engagement_id for r in filtered.items) == sorted(
            k for k, v in expected.items() if v == status
        )
        assert filtered.total == len(filtered.items)
    counts = staff.status_counts(provider, TODAY)
    assert counts["not_started"] == 1 and sum(counts.values()) == len(CASES) + 1


@pytest.mark.alldb
def test_staff_page_last_declared_is_the_latest_declaration_to_this_provider(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    elsewhere = factories.make_provider()
    renewed = factories.make_professional()
    lapsed = factories.make_professional()
    only_elsewhere = factories.make_professional()
    for professional in (renewed, lapsed, only_elsewhere):
        factories.make_engagement(professional, provider, start_date=TODAY - timedelta(days=900))
        factories.make_engagement(professional, elsewhere, start_date=TODAY - timedelta(days=900))
    factories.make_declaration(renewed, provider, declared_on=TODAY - timedelta(days=400))
    factories.make_declaration(renewed, provider, declared_on=TODAY - timedelta(days=20))
    factories.make_declaration(renewed, elsewhere, declared_on=TODAY)
    factories.make_declaration(lapsed, provider, declared_on=TODAY - timedelta(days=500))
    factories.make_declaration(lapsed, elsewhere, declared_on=TODAY - timedelta(days=5))
    factories.make_declaration(only_elsewhere, elsewhere, declared_on=TODAY - timedelta(days=5))
    db.session.commit()
    rows = {
        row.professional_id: row
        for row in staff.staff_page(provider, staff.StaffFilters(), TODAY, 1, 10).items
    }
    assert (rows[renewed.id].last_declared_on, rows[renewed.id].status) == (
        TODAY - timedelta(days=20),
        "declared",
    )
    assert (rows[lapsed.id].last_declared_on, rows[lapsed.id].status) == (
        TODAY - timedelta(days=500),
        "overdue",
    )
    assert (rows[only_elsewhere.id].last_declared_on, rows[only_elsewhere.id].status) == (None, "missing")
    declared = staff.staff_page(provider, staff.StaffFilters(status="declared"), TODAY, 1, 10).items
    assert [(row.professional_id, row.last_declared_on) for row in declared] == [
        (renewed.id, TODAY - timedelta(days=20))
    ]


@pytest.mark.alldb
def test_staff_page_and_inspectors_figures_give_each_person_the_same_status(app_ctx: Flask) -> None:
    """Both read services.scope: the same people in scope, each with one status, whatever their
    engagements (two at once, one ended and one current, one not started yet)."""
    provider = factories.make_provider()
    days = timedelta(days=1)
    twice = factories.make_professional()  # an employee for years, and bank staff since last week
    factories.make_engagement(twice, provider, start_date=TODAY - 400 * days)
    factories.make_engagement(twice, provider, engagement_type="bank", start_date=TODAY - 7 * days)
    factories.make_declaration(twice, provider, declared_on=TODAY - 380 * days)
    returned = factories.make_professional()  # left, and came back ten days ago
    factories.make_engagement(returned, provider, start_date=TODAY - 900 * days, end_date=TODAY - 200 * days)
    factories.make_engagement(returned, provider, start_date=TODAY - 10 * days)
    factories.make_declaration(returned, provider, declared_on=TODAY - 700 * days)
    later = factories.make_professional()  # starts next month, and works here already as a locum
    factories.make_engagement(later, provider, start_date=TODAY + 30 * days)
    factories.make_engagement(later, provider, engagement_type="locum", start_date=TODAY - 60 * days)
    left = factories.make_professional()
    factories.make_engagement(left, provider, start_date=TODAY - 900 * days, end_date=TODAY - days)
    db.session.commit()

    rows = staff.staff_page(provider, staff.StaffFilters(), TODAY, 1, 100).items
    on_staff_page = {
        row.professional_id: row.status for row in rows if row.status not in (staff.NOT_STARTED, staff.ENDED)
    }
    inspected = compliance.statuses_at(provider.id, TODAY)
    assert on_staff_page == {pid: status.value for pid, (_, status) in inspected.items()}
    assert on_staff_page == {twice.id: "due", returned.id: "due", later.id: "missing"}
    assert left.id not in on_staff_page
