"""The compliance SQL agrees with the rules module, engagement by engagement, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from interests.demo import seed
from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    Declaration,
    DeclarationItem,
    Engagement,
    InterestVersion,
    Provider,
    WithholdingRequest,
)
from interests.rules.compliance import (
    DECLARE_WITHIN_DAYS,
    DeclarationStatus,
    ProviderFigures,
    engagement_status,
    figures_from_statuses,
    is_in_scope,
    rate,
)
from interests.services import compliance
from interests.services.compliance import OverviewQuery
from tests import factories

TODAY = date(2026, 6, 1)
DECLARED = DeclarationStatus.DECLARED
DUE = DeclarationStatus.DUE
OVERDUE = DeclarationStatus.OVERDUE
MISSING = DeclarationStatus.MISSING


def reference_statuses(as_of: date) -> dict[int, dict[int, tuple[str, DeclarationStatus]]]:
    """provider id -> professional id -> (type, status), computed in Python from every row.

    Each professional counts once per provider: their active engagement that started first
    (then the lowest id), as the service documents.
    """
    engagements = db.session.scalars(select(Engagement).order_by(Engagement.start_date, Engagement.id)).all()
    last: dict[tuple[int, int], date] = {}
    for declaration in db.session.scalars(select(Declaration)):
        if declaration.declared_on <= as_of:
            key = (declaration.provider_id, declaration.professional_id)
            last[key] = max(last.get(key, declaration.declared_on), declaration.declared_on)
    result: dict[int, dict[int, tuple[str, DeclarationStatus]]] = defaultdict(dict)
    for engagement in engagements:
        if not is_in_scope(as_of, engagement.start_date, engagement.end_date):
            continue
        people = result[engagement.provider_id]
        if engagement.professional_id in people:
            continue  # already counted, through an engagement that started earlier
        status = engagement_status(
            as_of, engagement.start_date, last.get((engagement.provider_id, engagement.professional_id))
        )
        people[engagement.professional_id] = (engagement.engagement_type, status)
    return result


def reference_withheld(as_of: date) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for request in db.session.scalars(
        select(WithholdingRequest).where(WithholdingRequest.status == "approved")
    ):
        if request.decided_at is None or request.decided_at.date() > as_of:
            continue
        declared_here = db.session.scalar(
            select(Declaration.id)
            .join(DeclarationItem, DeclarationItem.declaration_id == Declaration.id)
            .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
            .where(
                InterestVersion.interest_id == request.interest_id,
                Declaration.provider_id == request.provider_id,
                Declaration.declared_on <= as_of,
            )
            .limit(1)
        )
        if declared_here is not None:
            counts[request.provider_id] += 1
    return counts


def without_publication(figures: ProviderFigures) -> tuple[object, ...]:
    return (
        figures.in_scope,
        figures.declared,
        figures.due,
        figures.overdue,
        figures.missing,
        figures.by_type,
    )


@pytest.mark.alldb
def test_overview_figures_equal_engagement_by_engagement_reference_for_demo_data(app_ctx: Flask) -> None:
    seed(providers=6, professionals=150, seed=3, password="demo-password-for-tests", today=TODAY)
    db.session.commit()
    providers = db.session.scalars(select(Provider)).all()
    # Today, a day in a leap February, the day after, a year back, and before most people started.
    for as_of in (TODAY, date(2024, 2, 29), date(2024, 3, 1), date(2025, 6, 1), TODAY - timedelta(days=1500)):
        expected = reference_statuses(as_of)
        withheld = reference_withheld(as_of)
        query = OverviewQuery(as_of=as_of)
        rows = {row.provider_id: row for row in compliance.overview_rows(query)}
        assert set(rows) == {provider.id for provider in providers}
        sql_ratings = compliance.rating_in_sql(query)
        for provider in providers:
            reference = figures_from_statuses(expected.get(provider.id, {}).values())
            row = rows[provider.id]
            assert without_publication(row.figures) == without_publication(reference), (as_of, provider.slug)
            assert row.figures.withheld == withheld.get(provider.id, 0)
            # The SQL's rating (used to filter and sort) is the rules' rating of the same figures.
            assert sql_ratings[provider.id] == rate(row.figures).value
            assert compliance.statuses_at(provider.id, as_of) == expected.get(provider.id, {})
    # The demo data exercises more than one status, or this test would prove little.
    seen = {status for people in reference_statuses(TODAY).values() for _, status in people.values()}
    assert {DECLARED, MISSING} <= seen
    assert sum(reference_withheld(TODAY).values()) > 0


@pytest.mark.alldb
def test_statuses_at_the_boundaries_match_the_rules(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    elsewhere = factories.make_provider()
    as_of = date(2025, 3, 1)
    cases: list[tuple[str, dict[str, object], date | None, DeclarationStatus]] = [
        ("started 27 days ago", {"start_date": as_of - timedelta(days=27)}, None, DUE),
        ("started 28 days ago", {"start_date": as_of - timedelta(days=DECLARE_WITHIN_DAYS)}, None, MISSING),
        (
            "declared on 29 February 2024, a day after its anniversary",
            {"start_date": date(2020, 1, 1)},
            date(2024, 2, 29),
            DUE,
        ),
        ("declared exactly 12 months ago", {"start_date": date(2020, 1, 1)}, date(2024, 3, 1), DUE),
        ("declared 12 months ago less a day", {"start_date": date(2020, 1, 1)}, date(2024, 3, 2), DECLARED),
        ("anniversary 28 days ago", {"start_date": date(2020, 1, 1)}, date(2024, 2, 1), OVERDUE),
        ("anniversary 27 days ago", {"start_date": date(2020, 1, 1)}, date(2024, 2, 2), DUE),
        (
            "ends today",
            {"start_date": date(2020, 1, 1), "end_date": as_of},
            as_of - timedelta(days=3),
            DECLARED,
        ),
        ("declared after as_of only", {"start_date": date(2020, 1, 1)}, as_of + timedelta(days=1), MISSING),
    ]
    expected: dict[int, tuple[str, DeclarationStatus]] = {}
    for _, fields, declared_on, status in cases:
        professional = factories.make_professional()
        factories.make_engagement(professional, provider, **fields)
        if declared_on is not None:
            factories.make_declaration(professional, provider, declared_on=declared_on)
        expected[professional.id] = ("employee", status)
    # Ended yesterday: out of scope.
    gone = factories.make_professional()
    factories.make_engagement(gone, provider, start_date=date(2020, 1, 1), end_date=as_of - timedelta(days=1))
    # Declared only to another provider: missing here.
    both = factories.make_professional()
    factories.make_engagement(both, provider, start_date=date(2020, 1, 1), engagement_type="locum")
    factories.make_engagement(both, elsewhere, start_date=date(2020, 1, 1))
    factories.make_declaration(both, elsewhere, declared_on=as_of - timedelta(days=10))
    expected[both.id] = ("locum", MISSING)
    # Two engagements at one provider: counted once, as the one that started first (bank).
    twice = factories.make_professional()
    factories.make_engagement(twice, provider, start_date=date(2023, 1, 1), engagement_type="employee")
    factories.make_engagement(twice, provider, start_date=date(2021, 1, 1), engagement_type="bank")
    factories.make_declaration(twice, provider, declared_on=as_of - timedelta(days=100))
    expected[twice.id] = ("bank", DECLARED)
    db.session.commit()

    # The rules module itself agrees with the table above.
    for _, fields, declared_on, status in cases:
        last = declared_on if declared_on is not None and declared_on <= as_of else None
        assert engagement_status(as_of, fields["start_date"], last) is status  # type: ignore[arg-type]
    assert compliance.statuses_at(provider.id, as_of) == expected
    assert compliance.statuses_at(provider.id, as_of) == reference_statuses(as_of)[provider.id]
    row = compliance.provider_row(provider, OverviewQuery(as_of=as_of))
    assert (row.figures.in_scope, row.figures.declared) == (len(expected), 3)
    assert row.figures.by_type["bank"] == (1, 1)


@pytest.mark.alldb
def test_leap_day_cutoffs_agree_with_the_rules_for_every_day_of_four_years(app_ctx: Flask) -> None:
    """One professional per declaration date; statuses on dates around two leap days."""
    provider = factories.make_provider()
    start = date(2022, 1, 1)
    declared = [date(2023, 1, 1) + timedelta(days=n) for n in range(0, 800, 3)] + [date(2024, 2, 29)]
    for day in declared:
        professional = factories.make_professional()
        factories.make_engagement(professional, provider, start_date=start)
        factories.make_declaration(professional, provider, declared_on=day)
    db.session.commit()
    for as_of in (
        date(2025, 2, 27),
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 3, 28),
        date(2025, 3, 29),
    ):
        assert compliance.statuses_at(provider.id, as_of) == reference_statuses(as_of)[provider.id], as_of


@pytest.mark.alldb
def test_every_sort_both_ways_pages_stably_through_the_rows_of_the_export(app_ctx: Flask) -> None:
    seed(providers=7, professionals=60, seed=5, password="demo-password-for-tests", today=TODAY)
    twin = db.session.scalars(select(Provider)).first()
    assert twin is not None
    factories.make_provider(name=twin.name)  # an exact tie on name: broken by id
    db.session.commit()
    for sort in compliance.SORT_COLUMNS:
        for descending in (False, True):
            query = OverviewQuery(as_of=TODAY, sort=sort, descending=descending)
            everything = [row.provider_id for row in compliance.overview_rows(query)]
            paged: list[int] = []
            for number in range(1, 4):  # 3 + 3 + 2 rows
                paged.extend(row.provider_id for row in compliance.overview_page(query, number, 3).rows)
            assert paged == everything, (sort, descending)
            assert len(everything) == 8


# --- Snapshots ------------------------------------------------------------------------------------


def _every_row(query: OverviewQuery, *, use_snapshot: bool) -> list[compliance.ProviderRow]:
    return list(compliance.overview_rows(query, use_snapshot=use_snapshot))


@pytest.mark.alldb
def test_snapshot_figures_equal_the_live_aggregate_and_the_reference_on_several_dates(
    app_ctx: Flask,
) -> None:
    seed(providers=6, professionals=150, seed=3, password="demo-password-for-tests", today=TODAY)
    db.session.commit()
    dates = (TODAY, date(2024, 2, 29), date(2025, 6, 1), TODAY - timedelta(days=1500))
    for as_of in dates:
        run = compliance.take_snapshot(as_of, chunk=2)  # several chunks for six providers
        db.session.commit()
        assert run.providers == 6 and run.finished_at is not None
    for as_of in dates:
        query = OverviewQuery(as_of=as_of)
        stored = _every_row(query, use_snapshot=True)
        live = _every_row(query, use_snapshot=False)
        # Every figure, the publication date and the rating are the same, in the same order.
        assert stored == live, as_of
        expected = reference_statuses(as_of)
        withheld = reference_withheld(as_of)
        for row in stored:
            reference = figures_from_statuses(expected.get(row.provider_id, {}).values())
            assert without_publication(row.figures) == without_publication(reference), as_of
            assert row.figures.withheld == withheld.get(row.provider_id, 0)
        # Sorting, filtering and totals work the same against the snapshot.
        for sort in compliance.SORT_COLUMNS:
            for descending in (False, True):
                sorted_query = OverviewQuery(as_of=as_of, sort=sort, descending=descending)
                assert _every_row(sorted_query, use_snapshot=True) == _every_row(
                    sorted_query, use_snapshot=False
                ), (as_of, sort, descending)
        for filters in ({"region": stored[0].region}, {"rating": stored[0].rating.value}, {"search": "a"}):
            filtered = OverviewQuery(as_of=as_of, **filters)  # type: ignore[arg-type]
            from_snapshot = compliance.overview_page(filtered, 1, 4)
            from_live = compliance.overview_page(filtered, 1, 4, use_snapshot=False)
            assert from_snapshot.calculated_at is not None and from_live.calculated_at is None
            assert (from_snapshot.rows, from_snapshot.totals, from_snapshot.pages) == (
                from_live.rows,
                from_live.totals,
                from_live.pages,
            ), (as_of, filters)
        # A page past the end shows the last page, either way.
        past_end = compliance.overview_page(query, 99, 4)
        live_past_end = compliance.overview_page(query, 99, 4, use_snapshot=False)
        assert (past_end.page, past_end.rows, past_end.totals) == (
            live_past_end.page,
            live_past_end.rows,
            live_past_end.totals,
        )
        assert (past_end.page, past_end.rows) == (2, live[4:])
    stored_percent = {
        (s.as_of, s.provider_id): s.percent_declared for s in db.session.scalars(select(ComplianceSnapshot))
    }
    for row in _every_row(OverviewQuery(as_of=TODAY), use_snapshot=False):
        percent = row.figures.percent_declared
        assert stored_percent[(TODAY, row.provider_id)] == (
            None if percent is None else math.floor(percent + 1e-9)
        )


@pytest.mark.alldb
def test_snapshot_taken_again_replaces_the_date_without_duplicates(app_ctx: Flask) -> None:
    seed(providers=4, professionals=60, seed=5, password="demo-password-for-tests", today=TODAY)
    db.session.commit()
    first_finished_at = compliance.take_snapshot(TODAY).finished_at
    db.session.commit()
    before = _every_row(OverviewQuery(as_of=TODAY), use_snapshot=True)
    other_day = compliance.take_snapshot(TODAY - timedelta(days=1))
    db.session.commit()
    again = compliance.take_snapshot(TODAY)
    db.session.commit()
    assert _every_row(OverviewQuery(as_of=TODAY), use_snapshot=True) == before
    assert db.session.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 8
    runs = db.session.scalars(select(ComplianceSnapshotRun).order_by(ComplianceSnapshotRun.as_of)).all()
    assert [(run.as_of, run.providers) for run in runs] == [(other_day.as_of, 4), (TODAY, 4)]
    assert first_finished_at is not None and again.finished_at is not None
    assert again.finished_at >= first_finished_at


@pytest.mark.alldb
def test_unfinished_snapshot_is_never_read(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    person = factories.make_professional()
    factories.make_engagement(person, provider, start_date=date(2020, 1, 1))
    db.session.commit()
    compliance.take_snapshot(TODAY)
    run = db.session.scalar(select(ComplianceSnapshotRun))
    assert run is not None
    run.finished_at = None  # as if the process had stopped half way
    db.session.execute(
        update(ComplianceSnapshot).where(ComplianceSnapshot.as_of == TODAY).values(in_scope=999)
    )
    db.session.commit()
    assert compliance.finished_snapshot(TODAY) is None
    result = compliance.overview_page(OverviewQuery(as_of=TODAY), 1, 25)
    assert result.calculated_at is None
    assert [row.figures.in_scope for row in result.rows] == [1]
    assert [row.figures.in_scope for row in compliance.overview_rows(OverviewQuery(as_of=TODAY))] == [1]


def test_snapshot_command_stores_each_day_and_reports_progress(app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider()
        person = factories.make_professional()
        factories.make_engagement(person, provider, start_date=date(2020, 1, 1))
        factories.make_declaration(person, provider, declared_on=TODAY)  # missing the day before
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["compliance", "snapshot", "--as-of", TODAY.isoformat(), "--days", "2"])
    assert result.exit_code == 0, result.output
    assert "Stored 1 providers for 2026-06-01" in result.output
    assert "1 of 1 providers" in result.output
    with app.app_context():
        runs = db.session.scalars(select(ComplianceSnapshotRun).order_by(ComplianceSnapshotRun.as_of)).all()
        assert [run.as_of for run in runs] == [TODAY - timedelta(days=1), TODAY]
        assert all(run.finished_at is not None for run in runs)
        stored = db.session.scalars(select(ComplianceSnapshot).order_by(ComplianceSnapshot.as_of)).all()
        assert [(s.in_scope, s.declared, s.missing) for s in stored] == [(1, 0, 1), (1, 1, 0)]
    bad = runner.invoke(args=["compliance", "snapshot", "--as-of", "2026-02-30"])
    assert bad.exit_code != 0
    assert "2026-02-30" in bad.output


@pytest.mark.alldb
def test_provider_trend_reads_month_end_snapshots_where_they_exist(app_ctx: Flask) -> None:
    seed(providers=3, professionals=80, seed=7, password="demo-password-for-tests", today=TODAY)
    db.session.commit()
    provider = db.session.scalars(select(Provider).order_by(Provider.id)).first()
    assert provider is not None
    live = compliance.trend(provider, TODAY)
    days = compliance.month_ends(TODAY)
    for day in days[:6]:
        compliance.take_snapshot(day)
    db.session.commit()
    assert compliance.trend(provider, TODAY) == live
    # Proof that the stored months are read (and the others are not): change one stored figure.
    db.session.execute(
        update(ComplianceSnapshot)
        .where(ComplianceSnapshot.as_of == days[0], ComplianceSnapshot.provider_id == provider.id)
        .values(in_scope=live[0].in_scope + 1000)
    )
    db.session.commit()
    changed = compliance.trend(provider, TODAY)
    assert changed[0].in_scope == live[0].in_scope + 1000
    assert changed[1:] == live[1:]
