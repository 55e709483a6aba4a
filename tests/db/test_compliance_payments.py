"""The inspectors' "Industry payments not declared": which payments count for which provider, on
today and past dates, live and from the snapshot, and the provider's own list agreeing with it
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from interests import clock
from interests.extensions import db
from interests.models import IndustryPayment, Professional, Provider, utcnow
from interests.services import compliance
from interests.services.compliance import OverviewQuery
from interests.services.disclosure import staff as staff_payments
from tests import factories

pytestmark = pytest.mark.alldb


def figure(provider: Provider, as_of: date, *, use_snapshot: bool = False) -> int:
    rows = list(compliance.overview_rows(OverviewQuery(as_of=as_of), use_snapshot=use_snapshot))
    return next(row for row in rows if row.provider_id == provider.id).figures.undeclared_payments


@pytest.fixture
def world(app_ctx: Flask) -> dict[str, Any]:
    """Two providers, their staff in every situation, and payments of every kind (one year)."""
    today = clock.today()
    here = factories.make_provider(name="Here Trust")
    elsewhere = factories.make_provider(name="Elsewhere Hospital")
    factories.make_provider(name="Nobody's Clinic")  # no staff, no payments: 0
    disclosure = factories.make_disclosure_import(today.year - 1)

    def person(provider: Provider = here, **engagement: Any) -> Professional:
        professional = factories.make_professional()
        factories.make_engagement(professional, provider, **engagement)
        return professional

    staff = person()
    counted = [
        factories.make_payment(disclosure, staff, match="certain"),
        factories.make_payment(disclosure, staff, match="probable", company="Pelvica Devices plc"),
        factories.make_payment(
            disclosure, staff, match="possible", confirmed=True, company="Possible But Confirmed Ltd"
        ),
        factories.make_payment(
            disclosure, staff, match="probable", confirmed=True, company="Probable And Confirmed Ltd"
        ),
    ]
    listed_not_counted = [
        factories.make_payment(disclosure, staff, match="possible", company="Namesake Pharma")
    ]
    # Declared: neither listed nor counted.
    factories.make_payment(disclosure, staff, declared=True, company="Declared Ltd")
    # Two engagements here at once: each payment counts once.
    twice = person(role="Consultant")
    factories.make_engagement(twice, here, role="Clinical lead", engagement_type="bank")
    counted.append(factories.make_payment(disclosure, twice, company="Twice Engaged Ltd"))
    # Not staff as the figure means it: added by the provider but unconfirmed, said they do not
    # work here, left, not started yet.
    factories.make_payment(disclosure, person(confirmed_at=None), company="Unconfirmed Ltd")
    factories.make_payment(
        disclosure, person(confirmed_at=None, rejected_at=utcnow()), company="Rejected Ltd"
    )
    factories.make_payment(
        disclosure,
        person(start_date=today - timedelta(days=900), end_date=today - timedelta(days=30)),
        company="Leaver Ltd",
    )
    factories.make_payment(disclosure, person(start_date=today + timedelta(days=10)), company="Starter Ltd")
    # Another provider's staff: theirs, not here's.
    stranger = person(elsewhere)
    factories.make_payment(disclosure, stranger, company="Elsewhere Ltd")
    factories.make_payment(disclosure, stranger, match="possible", company="Elsewhere Namesake Ltd")
    # Matched to nobody (or to several namesakes): nobody's.
    factories.make_payment(disclosure, None, match="nobody", company="Nobody Ltd")
    factories.make_payment(disclosure, None, match="ambiguous", company="Ambiguous Ltd")
    db.session.commit()
    return {
        "today": today,
        "here": here,
        "elsewhere": elsewhere,
        "counted": {payment.id for payment in counted},
        "listed": {payment.id for payment in counted + listed_not_counted},
    }


def test_the_figure_counts_confirmed_staffs_undeclared_payments_sure_or_confirmed(
    world: dict[str, Any],
) -> None:
    today, here, elsewhere = world["today"], world["here"], world["elsewhere"]
    rows = {
        row.name: row.figures.undeclared_payments for row in compliance.overview_rows(OverviewQuery(today))
    }
    assert rows == {"Here Trust": len(world["counted"]), "Elsewhere Hospital": 1, "Nobody's Clinic": 0}
    # The provider page reads the same figure, and the overview's totals add it up.
    assert compliance.provider_summary(here, OverviewQuery(today)).row.figures.undeclared_payments == 5
    assert compliance.provider_row(elsewhere, OverviewQuery(today)).figures.undeclared_payments == 1
    assert compliance.overview_page(OverviewQuery(today), 1, 10).totals.figures.undeclared_payments == 6


def test_the_providers_own_list_shows_every_payment_and_counts_the_inspectors_figure(
    world: dict[str, Any],
) -> None:
    today, here = world["today"], world["here"]
    found = staff_payments.undeclared_page(here, today, 1, 50)
    assert {item.payment.id for item in found.page.items} == world["listed"]
    assert found.payments == len(world["listed"]) == 6
    assert found.counted == len(world["counted"]) == figure(here, today)
    other = staff_payments.undeclared_page(world["elsewhere"], today, 1, 50)
    assert (other.payments, other.counted) == (2, figure(world["elsewhere"], today)) == (2, 1)


def test_the_figure_follows_the_kept_answers(world: dict[str, Any]) -> None:
    today, here = world["today"], world["here"]
    payment = db.session.get(IndustryPayment, min(world["counted"]))
    assert payment is not None
    payment.declared = True  # a declaration sent now covers it
    db.session.commit()
    assert figure(here, today) == 4
    namesake = db.session.get(IndustryPayment, min(world["listed"] - world["counted"]))
    assert namesake is not None
    namesake.confirmed_at = utcnow()  # "this is me"
    db.session.commit()
    assert figure(here, today) == 5
    assert staff_payments.undeclared_page(here, today, 1, 50).counted == 5


def test_live_and_snapshot_agree_and_sort_by_the_figure(world: dict[str, Any]) -> None:
    today = world["today"]
    compliance.take_snapshot(today, chunk=1)
    db.session.commit()
    for sort in ("undeclared_payments", "name"):
        for descending in (False, True):
            query = OverviewQuery(as_of=today, sort=sort, descending=descending)
            stored = list(compliance.overview_rows(query))
            assert stored == list(compliance.overview_rows(query, use_snapshot=False))
            if sort == "undeclared_payments":
                counts = [row.figures.undeclared_payments for row in stored]
                assert counts == sorted(counts, reverse=descending) and set(counts) == {5, 1, 0}
    assert compliance.finished_snapshot(today) is not None
    assert figure(world["here"], today, use_snapshot=True) == 5
    stored_page = compliance.overview_page(OverviewQuery(today), 1, 2)
    assert stored_page.calculated_at is not None
    assert (
        stored_page.totals == compliance.overview_page(OverviewQuery(today), 1, 2, use_snapshot=False).totals
    )


def test_a_past_date_counts_the_years_imported_by_then_for_the_staff_of_that_date(
    world: dict[str, Any],
) -> None:
    today, here = world["today"], world["here"]
    long_ago = today - timedelta(days=200)
    # Every payment above was imported today: on an earlier date it was not yet published.
    assert figure(here, long_ago) == 0
    earlier = factories.make_disclosure_import(today.year - 2, imported_at=utcnow() - timedelta(days=300))
    joined_later = factories.make_professional()
    factories.make_engagement(joined_later, here, start_date=today - timedelta(days=100))
    left_since = factories.make_professional()
    factories.make_engagement(
        left_since, here, start_date=today - timedelta(days=900), end_date=today - timedelta(days=50)
    )
    factories.make_payment(earlier, joined_later, company="Joined Later Ltd")
    factories.make_payment(earlier, left_since, company="Left Since Ltd")
    db.session.commit()
    # 200 days ago: the earlier year was published, and only the leaver worked here then.
    assert figure(here, long_ago) == 1
    # Today: the leaver is gone, the newcomer counts, with today's year too.
    assert figure(here, today) == 5 + 1
    compliance.take_snapshot(long_ago)
    db.session.commit()
    assert figure(here, long_ago, use_snapshot=True) == 1
