"""`counted_engagement` always equals the engagement that counts worked out from scratch, whatever
wrote the engagements and declarations, and the inspectors' figures and lists read from it equal
the live computation for every provider and date it serves (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import (
    CountedEngagement,
    Declaration,
    Engagement,
    Professional,
    Provider,
)
from interests.rules.compliance import Engaged, counted_spans
from interests.rules.vocabulary import ENGAGEMENT_TYPES
from interests.services import declaring, scope, staff
from interests.services.compliance import OverviewQuery
from interests.services.compliance import provider_page as page
from interests.services.scope import Cutoffs, people_with_status
from interests.services.staff import importing
from interests.unit_of_work import transaction
from tests import factories

pytestmark = pytest.mark.alldb

TODAY = date(2026, 6, 1)
TODAY_AT_NINE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
TYPES = [t.code for t in ENGAGEMENT_TYPES]
Row = tuple[int, int, date, date | None, int, str, date, date | None]


def from_scratch() -> set[Row]:
    """Every row the table should hold, worked out in Python from the engagements and declarations."""
    latest: dict[tuple[int, int], date] = {}
    for d in db.session.scalars(select(Declaration)):
        key = (d.provider_id, d.professional_id)
        latest[key] = max(latest.get(key, d.declared_on), d.declared_on)
    engagements = db.session.scalars(
        select(Engagement).order_by(Engagement.provider_id, Engagement.professional_id, Engagement.id)
    ).all()
    rows: set[Row] = set()
    for key, group in groupby(engagements, key=lambda e: (e.provider_id, e.professional_id)):
        mine = [Engaged(e.id, e.engagement_type, e.start_date, e.end_date) for e in group]
        for span in counted_spans(mine):
            rows.add(
                (
                    *key,
                    span.counts_from,
                    span.counts_until,
                    span.engagement.id,
                    span.engagement.engagement_type,
                    span.engagement.start,
                    latest.get(key),
                )
            )
    return rows


def stored(provider_id: int | None = None) -> set[Row]:
    kept = CountedEngagement
    statement = select(
        kept.provider_id,
        kept.professional_id,
        kept.counts_from,
        kept.counts_until,
        kept.engagement_id,
        kept.engagement_type,
        kept.start_date,
        kept.declared_on,
    )
    if provider_id is not None:
        statement = statement.where(kept.provider_id == provider_id)
    return {tuple(row) for row in db.session.execute(statement)}  # type: ignore[misc]


def varied_history(rnd: random.Random, providers: list[Provider], people: int) -> None:
    """People with one to four engagements at a provider (ended, current, future; each type; some
    back after leaving, some with a second one overlapping) and declarations old, new or none."""
    for _ in range(people):
        person = factories.make_professional()
        for provider in rnd.sample(providers, rnd.randint(1, len(providers))):
            for _ in range(rnd.choice((1, 1, 2, 2, 3, 4))):
                start = TODAY + timedelta(days=rnd.choice((rnd.randint(-40, 60), rnd.randint(-1200, 0))))
                end = start + timedelta(days=rnd.randint(0, 500)) if rnd.random() < 0.4 else None
                factories.make_engagement(
                    person, provider, engagement_type=rnd.choice(TYPES), start_date=start, end_date=end
                )
            for _ in range(rnd.choice((0, 0, 1, 2))):
                factories.make_declaration(
                    person, provider, declared_on=TODAY - timedelta(days=rnd.randint(0, 800))
                )


def live_and_kept_agree(provider: Provider, as_of: date) -> bool:
    """The provider page's figures, groups, lists and pages, and every person's row and status, read
    kept and live: equal. Returns whether the kept table was read (it answers `as_of`)."""
    query = OverviewQuery(as_of=as_of)
    kept = page.provider_summary(provider, query)
    live = page.provider_summary(provider, query, kept=False)
    assert kept == live, as_of
    lists = page.people_needing_attention(provider, as_of, limit=3, group_totals=kept.group_totals)
    assert lists == page.people_needing_attention(provider, as_of, limit=3, kept=False), as_of
    assert lists == page.people_needing_attention(provider, as_of, limit=3), as_of
    for engagement_type in TYPES:
        for status in page.ATTENTION_STATUSES:
            for number in (1, 2):
                assert page.people_page(
                    provider, as_of, engagement_type, status, number, 2
                ) == page.people_page(provider, as_of, engagement_type, status, number, 2, kept=False), (
                    as_of,
                    engagement_type,
                    status,
                    number,
                )
    cutoffs = Cutoffs.for_date(as_of)

    def everyone(kept: bool) -> list[Any]:
        people = people_with_status(cutoffs, provider.id, kept=kept)
        return sorted(tuple(row) for row in db.session.execute(select(people)))

    assert everyone(True) == everyone(False), as_of
    return scope.latest_answers(as_of, provider.id)


def test_kept_figures_and_lists_equal_the_live_ones_for_every_provider_and_date(app_ctx: Flask) -> None:
    rnd = random.Random(20)
    busy, quiet, small = (factories.make_provider() for _ in range(3))
    varied_history(rnd, [busy, quiet, small], 45)
    # At `quiet` nobody declared in the last 200 days: the kept rows serve those past days too.
    for d in db.session.scalars(select(Declaration).where(Declaration.provider_id == quiet.id)):
        d.declared_on = min(d.declared_on, TODAY - timedelta(days=200))
    db.session.commit()
    assert stored() == from_scratch()
    days = [TODAY + timedelta(days=n) for n in (-1500, -400, -190, -60, -28, -27, -1, 0, 1, 27, 28, 90, 400)]
    served = 0
    for provider in (busy, quiet, small):
        for day in days:
            served += live_and_kept_agree(provider, day)
    assert served >= 3 * 6  # today and after at each, and more at `quiet`
    # Every provider at once, as the overview and the snapshot read it.
    for day in (TODAY, TODAY - timedelta(days=190)):
        cutoffs = Cutoffs.for_date(day)
        both = [
            sorted(tuple(r) for r in db.session.execute(select(people_with_status(cutoffs, kept=kept))))
            for kept in (True, False)
        ]
        assert both[0] == both[1] and both[0], day


def test_each_writer_keeps_the_table_and_no_provider_admin_touches_another_providers_rows(
    app_ctx: Flask,
) -> None:
    rnd = random.Random(7)
    mine, theirs = factories.make_provider(slug="riverside"), factories.make_provider(slug="hillside")
    varied_history(rnd, [mine, theirs], 12)
    admin = factories.make_account("provider_admin")
    db.session.commit()
    assert stored() == from_scratch()
    before = stored(theirs.id)
    assert before

    def check(step: str) -> None:
        db.session.commit()
        assert stored() == from_scratch(), step

    # An admin adds someone (new to the register), changes and ends engagements, at `mine` only.
    with transaction():
        added = staff.add_engagement(
            mine,
            staff.PersonDetails("Ada", "Stone", "GMC", "7654321", None),
            staff.EngagementDetails("locum", "GP", None, TODAY - timedelta(days=100), None, False),
            actor=admin,
        )
    check("added")
    at_mine = db.session.scalars(
        select(Engagement).where(Engagement.provider_id == mine.id).order_by(Engagement.id)
    ).all()
    for engagement in rnd.sample(list(at_mine), 5):
        with transaction():
            staff.change_engagement(
                engagement,
                staff.EngagementDetails(
                    rnd.choice(TYPES),
                    "Nurse",
                    None,
                    TODAY - timedelta(days=rnd.randint(-30, 900)),
                    None,
                    False,
                ),
                actor=admin,
            )
        check(f"changed {engagement.id}")
    for engagement in rnd.sample(list(at_mine), 4):
        with transaction():
            staff.end_engagement(
                engagement, max(engagement.start_date, TODAY - timedelta(days=10)), actor=admin
            )
        check(f"ended {engagement.id}")
    # Someone back after leaving: a second engagement for the same person starting later.
    with transaction():
        staff.end_engagement(added, TODAY - timedelta(days=5), actor=admin)
    with transaction():
        staff.add_engagement(
            mine,
            staff.PersonDetails("Ada", "Stone", "GMC", "7654321", None),
            staff.EngagementDetails("employee", "GP", None, TODAY + timedelta(days=20), None, False),
            actor=admin,
        )
    check("added again")
    assert len([row for row in stored(mine.id) if row[1] == added.professional_id]) == 2
    # A staff list imported: new engagements and changed ones, through Core statements.
    known = db.session.scalars(
        select(Professional)
        .where(
            Professional.id.in_(select(Engagement.professional_id).where(Engagement.provider_id == mine.id))
        )
        .order_by(Professional.id)
        .limit(2)
    ).all()
    lines = [
        f"{p.given_name},{p.family_name},{p.regulator},{p.registration_number},,bank,Nurse,,2026-01-10,,no"
        for p in known
    ] + ["Cara,Moss,NMC,12A3456E,,employee,Midwife,,2025-05-01,2026-04-30,no"]
    header = (
        "Given name,Family name,Regulator,Registration number,Email,Engagement type,Role,Department,"
        "Start date,End date,Decision maker"
    )
    with transaction():
        outcome = importing.import_staff(
            mine, ("\r\n".join([header, *lines]) + "\r\n").encode(), filename="staff.csv", actor=None
        )
    assert outcome.engagements_created + outcome.engagements_updated == 3
    check("imported")
    # Nothing done at `mine` changed a row of `theirs`.
    assert stored(theirs.id) == before
    # A professional sends a declaration (to both places they work), then one is corrected and one
    # deleted; an engagement is deleted.
    person = db.session.scalars(
        select(Professional)
        .join(Engagement)
        .where(Engagement.provider_id == theirs.id)
        .where(
            Professional.id.in_(select(Engagement.professional_id).where(Engagement.provider_id == mine.id))
        )
    ).first()
    if person is None:  # pragma: no cover - the seed gives one
        pytest.skip("no one works at both")
    account = factories.make_account("professional", professional=person)
    for engagement in person.engagements:
        engagement.confirmed_at = engagement.confirmed_at or engagement.created_at
    db.session.commit()
    places = [w.provider.id for w in declaring.workplaces(person, TODAY)]
    assert places
    with transaction():
        declaring.send_declaration(
            person, actor=account, provider_ids=places, shown_version_ids=None, nil_return=True, on=TODAY
        )
    check("sent")
    declaration = db.session.scalars(select(Declaration).order_by(Declaration.id.desc())).first()
    assert declaration is not None
    declaration.declared_on = TODAY - timedelta(days=500)
    check("declaration corrected")
    for item in declaration.items:
        db.session.delete(item)
    db.session.delete(declaration)
    check("declaration deleted")
    gone = db.session.scalars(select(Engagement).where(Engagement.provider_id == mine.id)).first()
    assert gone is not None
    db.session.delete(gone)
    check("engagement deleted")
    # A rolled-back change leaves nothing behind.
    factories.make_engagement(person, mine, start_date=TODAY - timedelta(days=3))
    db.session.rollback()
    assert stored() == from_scratch()
    # Rebuilt from scratch: the same rows.
    expected = stored()
    with transaction():
        assert scope.rebuild_counted_engagements() == len(expected)
    assert stored() == expected


def test_rebuild_counted_command_rebuilds_the_table_from_scratch(app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider()
        person = factories.make_professional()
        factories.make_engagement(person, provider, start_date=TODAY - timedelta(days=40))
        factories.make_engagement(person, provider, start_date=TODAY - timedelta(days=10))
        db.session.commit()
        expected = stored()
        assert len(expected) == 1
        db.session.query(CountedEngagement).delete()
        db.session.commit()
        assert stored() == set()
    result: Result = app.test_cli_runner().invoke(args=["compliance", "rebuild-counted"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt 1 counted engagement rows" in result.output
    with app.app_context():
        assert stored() == expected
        db.session.remove()


def test_an_engagement_and_a_declaration_added_in_one_flush_give_a_row_with_the_date(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    person = factories.make_professional()
    db.session.add(
        Engagement(
            professional=person,
            provider=provider,
            engagement_type="bank",
            role="Nurse",
            start_date=TODAY - timedelta(days=40),
            confirmed_at=TODAY_AT_NINE,
        )
    )
    db.session.add(
        Declaration(
            reference="SAME-FLUSH",
            professional=person,
            provider=provider,
            nil_return=True,
            declared_on=TODAY - timedelta(days=5),
            submission_key="same-flush",
        )
    )
    db.session.commit()
    assert stored() == from_scratch()
    assert [row[5:] for row in stored()] == [("bank", TODAY - timedelta(days=40), TODAY - timedelta(days=5))]
