"""`latest_declaration` always equals each (provider, professional)'s latest declaration worked
out from scratch, whatever wrote the declarations, and the statuses read from it equal the rules'."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, Declaration, Engagement, LatestDeclaration, Professional, Provider
from interests.rules.compliance import engagement_status
from interests.services import compliance, declaring, scope, staff
from interests.unit_of_work import transaction
from tests import factories

TODAY = date(2026, 3, 1)


def from_scratch() -> dict[tuple[int, int], tuple[int, date]]:
    """Each pair's latest declaration (latest date, then highest id), worked out in Python."""
    latest: dict[tuple[int, int], tuple[int, date]] = {}
    for d in db.session.scalars(select(Declaration)):
        key = (d.provider_id, d.professional_id)
        known = latest.get(key)
        if known is None or (d.declared_on, d.id) > (known[1], known[0]):
            latest[key] = (d.id, d.declared_on)
    return latest


def stored() -> dict[tuple[int, int], tuple[int, date]]:
    return {
        (row.provider_id, row.professional_id): (row.declaration_id, row.declared_on)
        for row in db.session.scalars(select(LatestDeclaration))
    }


@pytest.mark.alldb
def test_latest_declarations_equal_a_computation_from_scratch_after_random_sends_and_changes(
    app_ctx: Flask,
) -> None:
    rnd = random.Random(13)
    providers = [factories.make_provider() for _ in range(3)]
    people = [factories.make_professional() for _ in range(8)]
    accounts = {}
    for person in people:
        for provider in rnd.sample(providers, rnd.randint(1, 3)):
            factories.make_engagement(
                person, provider, start_date=TODAY - timedelta(days=rnd.randint(0, 900))
            )
        accounts[person.id] = factories.make_account("professional", professional=person).id
    db.session.commit()
    ids = [person.id for person in people]
    for step in range(60):
        person = db.session.get(Professional, rnd.choice(ids))
        assert person is not None
        places = [w.provider.id for w in declaring.workplaces(person, TODAY)]
        roll = rnd.random()
        if roll < 0.35 and places:  # a nil return sent through the service, to some workplaces
            on = TODAY - timedelta(days=rnd.randint(0, 30))
            with transaction():
                declaring.send_declaration(
                    person,
                    actor=db.session.get(Account, accounts[person.id]),
                    provider_ids=rnd.sample(places, rnd.randint(1, len(places))),
                    shown_version_ids=None,
                    nil_return=True,
                    on=on,
                )
        elif roll < 0.55 and places:  # written directly, any date (two the same day now and then)
            provider = db.session.get(Provider, rnd.choice(places))
            assert provider is not None
            for _ in range(rnd.randint(1, 2)):
                factories.make_declaration(
                    person, provider, declared_on=TODAY - timedelta(days=rnd.randint(0, 900))
                )
            db.session.commit()
        elif roll < 0.65:  # a declaration's date changed (a correction), or moved to another provider
            declaration = db.session.scalars(select(Declaration).order_by(Declaration.id)).all()
            if declaration:
                chosen = rnd.choice(declaration)
                if rnd.random() < 0.5:
                    chosen.declared_on = TODAY - timedelta(days=rnd.randint(0, 900))
                else:
                    chosen.provider_id = rnd.choice(providers).id
                    chosen.submission_key = f"moved-{step}"
                db.session.commit()
        elif roll < 0.75:  # a declaration deleted
            declaration = db.session.scalars(select(Declaration).order_by(Declaration.id)).all()
            if declaration:
                chosen = rnd.choice(declaration)
                for item in chosen.items:
                    db.session.delete(item)
                db.session.delete(chosen)
                db.session.commit()
        elif roll < 0.85:  # a send rolled back: nothing of it is kept, in the table either
            provider = db.session.get(Provider, rnd.choice(places)) if places else None
            if provider is not None:
                factories.make_declaration(person, provider, declared_on=TODAY)
                db.session.rollback()
        else:  # engagements change: the latest declaration does not
            engagement = rnd.choice(db.session.scalars(select(Engagement).order_by(Engagement.id)).all())
            engagement.end_date = engagement.start_date + timedelta(days=rnd.randint(0, 400))
            db.session.commit()
        assert stored() == from_scratch(), f"after step {step}"
    expected = stored()
    assert expected  # the mix did declare
    with transaction():
        scope.rebuild_latest_declarations()
    assert stored() == expected == from_scratch()


@pytest.mark.alldb
def test_every_staff_page_filter_and_the_inspectors_agree_with_the_rules_whichever_way_read(
    app_ctx: Flask,
) -> None:
    """Random people, engagements and declarations; the staff page's filters and counts and the
    inspectors' statuses equal the rules person by person, read from `latest_declaration` and,
    once a declaration is dated after the day, from the declarations themselves."""
    rnd = random.Random(5)
    provider = factories.make_provider()
    elsewhere = factories.make_provider()
    for _ in range(60):
        person = factories.make_professional()
        factories.make_engagement(person, elsewhere, start_date=TODAY - timedelta(days=900))
        for _ in range(rnd.choice((1, 1, 1, 2, 3))):
            start = TODAY - timedelta(days=rnd.choice((rnd.randint(-40, 60), rnd.randint(0, 900))))
            end = start + timedelta(days=rnd.randint(0, 500)) if rnd.random() < 0.3 else None
            factories.make_engagement(person, provider, start_date=start, end_date=end)
        for _ in range(rnd.choice((0, 1, 1, 2))):
            place = provider if rnd.random() < 0.8 else elsewhere
            factories.make_declaration(person, place, declared_on=TODAY - timedelta(days=rnd.randint(0, 800)))
    db.session.commit()
    assert scope.latest_answers(TODAY, provider.id)
    check_against_rules(provider)
    # A declaration dated after the day: the table no longer answers it; the statuses stay.
    somebody = db.session.scalars(select(Engagement).where(Engagement.provider_id == provider.id)).first()
    assert somebody is not None
    factories.make_declaration(somebody.professional, provider, declared_on=TODAY + timedelta(days=3))
    db.session.commit()
    assert not scope.latest_answers(TODAY, provider.id)
    check_against_rules(provider)


def check_against_rules(provider: Provider) -> None:
    engagements = db.session.scalars(select(Engagement).where(Engagement.provider_id == provider.id)).all()
    last: dict[int, date] = {}
    for d in db.session.scalars(
        select(Declaration).where(Declaration.provider_id == provider.id, Declaration.declared_on <= TODAY)
    ):
        last[d.professional_id] = max(d.declared_on, last.get(d.professional_id, d.declared_on))
    counted: dict[int, date] = {}
    for e in engagements:
        if e.is_active_on(TODAY):
            counted[e.professional_id] = min(e.start_date, counted.get(e.professional_id, e.start_date))
    person_status = {
        pid: engagement_status(TODAY, start, last.get(pid)).value for pid, start in counted.items()
    }
    expected: dict[int, str] = {}
    for e in engagements:
        if e.start_date > TODAY:
            expected[e.id] = staff.NOT_STARTED
        elif e.end_date is not None and e.end_date < TODAY:
            expected[e.id] = staff.ENDED
        else:
            expected[e.id] = person_status[e.professional_id]
    for status in staff.STATUS_LABELS:
        page = staff.staff_page(provider, staff.StaffFilters(status=status), TODAY, 1, 500)
        assert sorted(row.engagement_id for row in page.items) == sorted(
            k for k, v in expected.items() if v == status
        ), status
        assert page.total == len(page.items)
        assert all(row.status == status for row in page.items)
    every = staff.staff_page(provider, staff.StaffFilters(), TODAY, 1, 500).items
    assert {row.engagement_id: row.status for row in every} == {
        k: v for k, v in expected.items() if v != staff.ENDED
    }
    counts = staff.status_counts(provider, TODAY)
    current = [v for v in expected.values() if v != staff.ENDED]
    assert counts == {status: current.count(status) for status in staff.STATUS_LABELS}
    inspected = compliance.statuses_at(provider.id, TODAY)
    assert {pid: status.value for pid, (_, status) in inspected.items()} == person_status
