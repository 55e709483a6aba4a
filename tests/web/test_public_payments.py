"""A professional's public page and API record: "Payments reported by companies" shows only the
payments matched by registration number or confirmed by the professional, each as the company's
report - never a match by name alone, nor one the professional said is not them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, IndustryPayment, Professional
from interests.services.disclosure import importing, own
from tests import factories
from tests.disclosure_files import csv_text
from tests.pages import soup, text

pytestmark = pytest.mark.alldb

YEAR = date.today().year - 1


@pytest.fixture
def people(app: Flask) -> dict[str, Any]:
    with app.app_context():
        provider = factories.make_provider(name="Northgate NHS Trust")
        account = factories.make_account("professional", email="amira@example.org")
        amira = account.professional
        amira.given_name, amira.family_name, amira.title = "Amira", "Okafor", "Dr"
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        for person in (amira, stranger):
            factories.make_engagement(person, provider)
            interest = factories.make_interest(
                person, other_party="Riverside Walking Club", date_from=date.today() - timedelta(days=30)
            )
            factories.make_declaration(person, provider, [interest])
        mine, theirs = f"GMC {amira.registration_number}", f"GMC {stranger.registration_number}"
        rows = [
            ("Amira Okafor", "Leeds", "UK", "", mine, "Medivance Surgical Ltd", "", "", "1250", "", ""),
            ("Amira Okafor", "Leeds", "UK", "", mine, "Medivance Surgical UK Ltd", "", "250", "", "", ""),
            ("Dr Amira Okafor", "Hull", "UK", "", "", "Ostara Pharma", "", "", "2000", "", ""),
            ("Amira Okafor", "Hull", "UK", "", "", "Zentiva Health Ltd", "", "", "500", "", ""),
            ("Amira Okafor", "Leeds", "UK", "", mine, "Rejected Pharma Ltd", "", "", "900", "", ""),
            ("Jo Stranger", "York", "UK", "", theirs, "Secret Pharma Ltd", "", "", "9999", "", ""),
        ]
        importing.import_year(csv_text(rows).encode(), year=YEAR, filename="year.csv", actor=None)
        by_company = {p.company: p for p in db.session.scalars(select(IndustryPayment))}
        assert by_company["Ostara Pharma"].match == "possible"
        assert by_company["Zentiva Health Ltd"].match == "possible"
        own.confirm(by_company["Zentiva Health Ltd"], amira, actor=account)
        own.reject(by_company["Rejected Pharma Ltd"], amira, actor=account)
        db.session.commit()
        return {"amira": amira.id, "stranger": stranger.id}


def test_the_page_shows_certain_and_confirmed_payments_as_the_companys_report(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    page = soup(client.get(f"/professionals/{people['amira']}"))
    section = page.select_one("section[aria-labelledby=payments]")
    assert text(section.h2) == "Payments reported by companies"
    assert "what the companies said they paid" in text(section)
    rows = [[text(cell) for cell in row.select("td")] for row in section.select("tbody tr")]
    assert rows == [
        [
            f"Medivance Surgical Ltd , {YEAR}",
            "Travel and accommodation: £250 Fees for service and consultancy: £1,250",
            "£1,500",
            f"The company's report to Disclosure UK for {YEAR}. The company gave their registration number.",
        ],
        [
            f"Zentiva Health Ltd , {YEAR}",
            "Fees for service and consultancy: £500",
            "£500",
            f"The company's report to Disclosure UK for {YEAR}. The professional told us it is theirs.",
        ],
    ]
    body = text(page)
    for never in ("Ostara", "Rejected Pharma", "Secret Pharma", "Hull", "£2,000", "£900"):
        assert never not in body, never


def test_the_api_record_carries_the_same_payments(client: FlaskClient, people: dict[str, Any]) -> None:
    record = client.get(f"/api/v1/professionals/{people['amira']}").get_json()
    assert record["reported_payments"] == [
        {
            "company": "Medivance Surgical Ltd",
            "year": YEAR,
            "registration_fees": "0.00",
            "travel_and_accommodation": "250.00",
            "fees_for_service_and_consultancy": "1250.00",
            "related_expenses": "0.00",
            "total": "1500.00",
            "shown_because": "registration_number",
            "source": "Disclosure UK",
        },
        {
            "company": "Zentiva Health Ltd",
            "year": YEAR,
            "registration_fees": "0.00",
            "travel_and_accommodation": "0.00",
            "fees_for_service_and_consultancy": "500.00",
            "related_expenses": "0.00",
            "total": "500.00",
            "shown_because": "confirmed_by_professional",
            "source": "Disclosure UK",
        },
    ]
    raw = client.get(f"/api/v1/professionals/{people['amira']}").get_data(as_text=True)
    assert "Ostara" not in raw and "Rejected" not in raw and "Secret" not in raw


def test_another_professionals_payments_stay_on_their_own_page(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    page = text(soup(client.get(f"/professionals/{people['stranger']}")))
    assert "Secret Pharma Ltd" in page and "Medivance" not in page and "Zentiva" not in page


def test_a_professional_with_no_public_payment_has_no_payments_section(
    app: Flask, client: FlaskClient, people: dict[str, Any]
) -> None:
    with app.app_context():
        db.session.execute(
            IndustryPayment.__table__.update()
            .where(IndustryPayment.professional_id == people["stranger"])
            .values(match="probable")
        )
        db.session.commit()
    page = soup(client.get(f"/professionals/{people['stranger']}"))
    assert page.select_one("#payments") is None
    assert "Secret Pharma" not in text(page)


def test_a_confirmed_payment_leaves_the_page_when_the_professional_says_it_is_not_them(
    app: Flask, client: FlaskClient, people: dict[str, Any]
) -> None:
    with app.app_context():
        professional = db.session.get(Professional, people["amira"])
        account = db.session.scalars(select(Account).where(Account.professional_id == people["amira"])).one()
        payment = db.session.scalars(
            select(IndustryPayment).where(IndustryPayment.company == "Zentiva Health Ltd")
        ).one()
        assert professional is not None
        own.reject(payment, professional, actor=account)
        db.session.commit()
    assert "Zentiva" not in text(soup(client.get(f"/professionals/{people['amira']}")))
