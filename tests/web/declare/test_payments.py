"""Payments reported by companies on the professional's own dashboard: only their own, the
add-interest form filled in from one, and "this is not me" - with the attacks on each."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import (
    AuditEvent,
    IndustryPayment,
    Interest,
    InterestVersion,
    PaymentRejection,
    Professional,
    Provider,
)
from interests.services.disclosure import importing
from tests import factories
from tests.disclosure_files import csv_text
from tests.pages import soup, text
from tests.web.declare.helpers import count

pytestmark = pytest.mark.alldb

YEAR = 2024


@pytest.fixture
def reported(app: Flask, me: dict[str, Any]) -> dict[str, Any]:
    """A Disclosure UK year: three payments about me (two by number, one declared; one by name),
    one about another professional, one matching nobody."""
    with app.app_context():
        mine = db.session.get(Professional, me["professional_id"])
        assert mine is not None
        mine.given_name, mine.family_name = "Amira", "Okafor"
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        declared = factories.make_interest(
            mine,
            interest_type="hospitality",
            other_party="Pelvica Devices plc",
            date_from=date(YEAR, 3, 1),
            date_to=date(YEAR, 3, 2),
        )
        provider = db.session.get(Provider, me["providers"][0])
        factories.make_declaration(mine, provider, [declared])
        number, theirs = mine.registration_number, stranger.registration_number
        rows = [
            (
                "Amira Okafor",
                "Leeds",
                "UK",
                "",
                f"GMC {number}",
                "Medivance Surgical Ltd",
                "",
                "",
                "1250",
                "",
                "",
            ),
            (
                "Amira Okafor",
                "Leeds",
                "UK",
                "",
                f"GMC {number}",
                "Pelvica Devices Ltd",
                "150",
                "250",
                "",
                "",
                "",
            ),
            ("Jo Stranger", "York", "UK", "", f"GMC {theirs}", "Secret Pharma Ltd", "", "", "9999", "", ""),
            ("Nobody Known", "Bath", "UK", "", "", "Other Pharma", "", "", "500", "", ""),
        ]
        importing.import_year(csv_text(rows).encode(), year=YEAR, filename="2024.csv", actor=None)
        db.session.commit()
        ids = {
            payment.company: payment.id
            for payment in db.session.scalars(select(IndustryPayment).order_by(IndustryPayment.id))
        }
        return {
            "medivance": ids["Medivance Surgical Ltd"],
            "pelvica": ids["Pelvica Devices Ltd"],
            "theirs": ids["Secret Pharma Ltd"],
            "nobody": ids["Other Pharma"],
            "csv": csv_text(rows),
        }


def test_the_section_lists_only_my_payments_with_amounts_confidence_source_and_declared(
    signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    page = soup(signed_in.get("/declare"))
    assert text(page.select_one("#payments")) == "Payments reported by companies"
    cards = page.select("[id^=payment-].nhsuk-card")
    assert [card["id"] for card in cards] == [
        f"payment-{reported['medivance']}",
        f"payment-{reported['pelvica']}",
    ]
    medivance = page.select_one(f"#payment-{reported['medivance']}")
    assert text(medivance.h3) == f"Medivance Surgical Ltd, {YEAR}: £1,250"
    assert text(medivance.select_one(".payment-amounts")) == "Fees for service and consultancy: £1,250"
    match = text(medivance.select_one(".payment-match"))
    assert match.startswith("Certain: Registration number")
    assert (
        text(medivance.select_one(".payment-source"))
        == f"Disclosure UK, published by Medivance Surgical Ltd, {YEAR}"
    )
    assert text(medivance.select_one(".payment-declared")) == (
        f"Not declared No interest with this company declared for {YEAR}"
    )
    pelvica = page.select_one(f"#payment-{reported['pelvica']}")
    assert "Registration fees: £150" in text(pelvica.select_one(".payment-amounts"))
    assert "Travel and accommodation: £250" in text(pelvica.select_one(".payment-amounts"))
    assert text(pelvica.select_one(".payment-declared")).startswith("Declared ")
    body = text(page)
    assert "Secret Pharma" not in body and "Other Pharma" not in body


def test_without_payments_the_section_says_so(signed_in: FlaskClient) -> None:
    page = soup(signed_in.get("/declare"))
    assert "No company has reported a payment that we matched to you." in text(page)


def test_add_this_payment_opens_the_add_form_filled_in_from_it(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    page = soup(signed_in.get("/declare"))
    card = page.select_one(f"#payment-{reported['medivance']}")
    link = card.find("a", string="Add this payment to my interests")
    assert link["href"] == f"/declare/interests/new?payment={reported['medivance']}"
    form = soup(signed_in.get(link["href"]))
    assert text(form.h1) == "Add an interest"
    assert "Medivance Surgical Ltd reported for 2024" in text(form.select_one("#from-payment"))
    assert form.select_one("input[name=category][value=financial]").has_attr("checked")
    assert form.select_one("input[name=interest_type][value=outside_employment]").has_attr("checked")
    assert form.select_one("input[name=other_party]")["value"] == "Medivance Surgical Ltd"
    assert "fees for service and consultancy £1,250" in text(form.select_one("textarea[name=description]"))
    assert not form.select_one("input[name=value]").get("value")  # outside employment keeps no value
    assert form.select_one("input[name=date_from-day]")["value"] == "1"
    assert form.select_one("input[name=date_from-year]")["value"] == str(YEAR)
    assert form.select_one("input[name=ongoing][value=no]").has_attr("checked")
    assert form.select_one("input[name=date_to-month]")["value"] == "12"
    # An event's costs alone are a sponsored event, with its total as the value.
    events = soup(signed_in.get(f"/declare/interests/new?payment={reported['pelvica']}"))
    assert events.select_one("input[name=interest_type][value=sponsored_events]").has_attr("checked")
    assert events.select_one("input[name=value]")["value"] in ("400", "400.00", "£400")
    # Nothing is saved until the professional checks and saves it.
    with app.app_context():
        assert count(Interest) == 1  # the declared hospitality only


def test_the_prefilled_form_saves_what_the_professional_checked_and_changed(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    path = f"/declare/interests/new?payment={reported['medivance']}"
    form = soup(signed_in.get(path))
    data: dict[str, str] = {}
    for field in form.select("input[name], textarea[name]"):
        if field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.get("type") == "radio":
            if field.has_attr("checked"):
                data[field["name"]] = field["value"]
        else:
            data[field["name"]] = field.get("value", "")
    data["other_party"] = "Medivance Surgical UK Ltd"  # the professional changes it
    response = signed_in.post(path, data=data)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(
            select(InterestVersion).where(InterestVersion.other_party == "Medivance Surgical UK Ltd")
        ).one()
        assert "£1,250" in saved.description
        assert saved.date_from == date(YEAR, 1, 1)
        assert saved.date_to == date(YEAR, 12, 31)


def test_this_is_not_me_drops_the_match_records_who_and_when_and_is_audited(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    response = signed_in.post(f"/declare/payments/{reported['medivance']}/not-me")
    assert response.status_code == 302
    page = soup(signed_in.get(response.headers["Location"]))
    assert "is no longer matched to you" in text(page)
    assert page.select_one(f"#payment-{reported['medivance']}") is None
    assert page.select_one(f"#payment-{reported['pelvica']}") is not None
    assert signed_in.get(f"/declare/interests/new?payment={reported['medivance']}").status_code == 404
    with app.app_context():
        payment = db.session.get(IndustryPayment, reported["medivance"])
        assert payment is not None
        assert payment.professional_id is None and payment.match == "nobody"
        rejection = db.session.scalars(select(PaymentRejection)).one()
        assert rejection.professional_id == me["professional_id"]
        assert rejection.match == "certain" and rejection.company == "Medivance Surgical Ltd"
        assert rejection.rejected_at is not None and rejection.account_id is not None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "industry_payment.rejected")
        ).one()
        assert event.professional_id == me["professional_id"]
        assert event.entity_id == rejection.id
        assert event.data["industry_payment_id"] == reported["medivance"]
        # Re-importing the year does not match it to me again; the others are matched as before.
        importing.import_year(reported["csv"].encode(), year=YEAR, filename="again.csv", actor=None)
        db.session.commit()
        again = {p.company: p for p in db.session.scalars(select(IndustryPayment))}
        assert again["Medivance Surgical Ltd"].professional_id is None
        assert again["Pelvica Devices Ltd"].professional_id == me["professional_id"]


# --- Attacks -------------------------------------------------------------------------------------


def _unchanged(app: Flask, reported: dict[str, Any]) -> None:
    with app.app_context():
        theirs = db.session.get(IndustryPayment, reported["theirs"])
        assert theirs is not None and theirs.professional_id is not None and theirs.match == "certain"
        assert count(PaymentRejection) == 0
        assert (
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "industry_payment.rejected")
            ).first()
            is None
        )


@pytest.mark.parametrize("key", ["theirs", "nobody"])
def test_another_persons_or_an_unmatched_payment_in_the_add_link_is_not_found_and_reveals_nothing(
    signed_in: FlaskClient, reported: dict[str, Any], key: str
) -> None:
    response = signed_in.get(f"/declare/interests/new?payment={reported[key]}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Secret Pharma" not in body and "Other Pharma" not in body and "Stranger" not in body


@pytest.mark.parametrize("forged", ["999999", "abc", "", "-1", "1e3", "99999999999999999999"])
def test_a_forged_payment_id_in_the_add_link_is_not_found(
    signed_in: FlaskClient, reported: dict[str, Any], forged: str
) -> None:
    assert signed_in.get(f"/declare/interests/new?payment={forged}").status_code == 404


def test_a_payment_id_in_other_digits_is_not_read_as_a_number(
    signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    # "٣" is a digit to str.isdigit and 3 to int(): an id is ASCII digits only, as in the API.
    arabic_indic = str(reported["medivance"]).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert signed_in.get(f"/declare/interests/new?payment={reported['medivance']}").status_code == 200
    assert signed_in.get(f"/declare/interests/new?payment={arabic_indic}").status_code == 404


def test_another_persons_payment_in_the_add_form_post_saves_nothing(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    from tests.web.declare.helpers import interest_form

    response = signed_in.post(f"/declare/interests/new?payment={reported['theirs']}", data=interest_form())
    assert response.status_code == 404
    with app.app_context():
        assert count(Interest) == 1


@pytest.mark.parametrize("key", ["theirs", "nobody"])
def test_this_is_not_me_on_another_persons_payment_is_not_found_and_changes_nothing(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any], key: str
) -> None:
    response = signed_in.post(f"/declare/payments/{reported[key]}/not-me")
    assert response.status_code == 404
    assert "Secret Pharma" not in response.get_data(as_text=True)
    _unchanged(app, reported)
    assert signed_in.post("/declare/payments/999999/not-me").status_code == 404


def test_a_provider_admin_cannot_see_or_reject_payments(
    app: Flask, client: FlaskClient, reported: dict[str, Any]
) -> None:
    with app.app_context():
        email = factories.make_account("provider_admin").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.get(f"/declare/interests/new?payment={reported['theirs']}").status_code == 403
    assert client.post(f"/declare/payments/{reported['theirs']}/not-me").status_code == 403
    _unchanged(app, reported)


def test_signed_out_the_not_me_post_goes_to_sign_in_and_changes_nothing(
    app: Flask, client: FlaskClient, reported: dict[str, Any]
) -> None:
    response = client.post(f"/declare/payments/{reported['theirs']}/not-me")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    _unchanged(app, reported)


def test_this_is_not_me_without_the_csrf_token_is_refused_and_changes_nothing(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert signed_in.post(f"/declare/payments/{reported['medivance']}/not-me").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        payment = db.session.get(IndustryPayment, reported["medivance"])
        assert payment is not None and payment.professional_id == me["professional_id"]
        assert count(PaymentRejection) == 0
