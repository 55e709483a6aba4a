"""Payments reported by companies on the professional's own dashboard: only their own, the
add-interest form filled in from one, and "this is not me" - with the attacks on each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import (
    AuditEvent,
    DisclosureImport,
    IndustryPayment,
    Interest,
    InterestVersion,
    PaymentAnswer,
    Professional,
    Provider,
)
from interests.services.disclosure import importing
from tests import factories
from tests.disclosure_files import csv_text, payment_row
from tests.pages import soup, text
from tests.web.declare.helpers import count, send_all

pytestmark = pytest.mark.alldb

# Disclosure UK publishes each June the payments of the year before.
YEAR = date.today().year - 1
# A payment added to one's interests can be sent for six months after the year ends (the register's
# six-month rule), so the journeys that send run on the day Disclosure UK publishes.
PUBLISHED_ON = datetime(YEAR + 1, 6, 30, 10, 0, tzinfo=UTC)


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
        rows = [
            payment_row(mine, "Medivance Surgical Ltd", fees="1250"),
            payment_row(mine, "Pelvica Devices Ltd", registration_fees="150", travel="250"),
            payment_row(stranger, "Secret Pharma Ltd", city="York", fees="9999"),
            payment_row(None, "Other Pharma", full_name="Nobody Known", city="Bath", fees="500"),
            # By name only: nobody else is called Amira Okafor, but no provider of mine is in Hull.
            payment_row(
                mine,
                "Ostara Pharma UK Ltd",
                full_name="Dr Amira Okafor",
                city="Hull",
                identifier="",
                registration_fees="300",
                travel="700",
                fees="2000",
                related_expenses="100",
            ),
        ]
        importing.import_year(csv_text(rows).encode(), year=YEAR, filename=f"{YEAR}.csv", actor=None)
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
            "ostara": ids["Ostara Pharma UK Ltd"],
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
        f"payment-{reported['ostara']}",
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
        f"Not declared No interest with this company for {YEAR}"
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
    assert f"Medivance Surgical Ltd reported for {YEAR}" in text(form.select_one("#from-payment"))
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
        rejection = db.session.scalars(select(PaymentAnswer)).one()
        assert rejection.professional_id == me["professional_id"]
        assert rejection.match == "certain" and rejection.company == "Medivance Surgical Ltd"
        assert rejection.answer == "not_me"
        assert rejection.answered_at is not None and rejection.account_id is not None
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
        assert count(PaymentAnswer) == 0
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
        assert count(PaymentAnswer) == 0


# --- "This is me", and what is kept with the writes ----------------------------------------------


def _payment(payment_id: int) -> IndustryPayment:
    payment = db.session.get(IndustryPayment, payment_id)
    assert payment is not None
    return payment


def test_this_is_me_confirms_a_match_by_name_records_who_and_when_and_is_audited(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    page = soup(signed_in.get("/declare"))
    ostara = page.select_one(f"#payment-{reported['ostara']}")
    assert text(ostara.select_one(".payment-match")).startswith("Possible: ")
    assert ostara.find("button", string="This is me") is not None
    # A match by registration number needs no confirming: no button.
    assert page.select_one(f"#payment-{reported['medivance']}").find("button", string="This is me") is None
    response = signed_in.post(f"/declare/payments/{reported['ostara']}/me")
    assert response.status_code == 302
    page = soup(signed_in.get(response.headers["Location"]))
    assert "is confirmed as yours" in text(page)
    ostara = page.select_one(f"#payment-{reported['ostara']}")
    assert ostara.find("button", string="This is me") is None
    assert "You confirmed this payment is yours" in text(ostara)
    with app.app_context():
        payment = _payment(reported["ostara"])
        assert payment.confirmed_at is not None and payment.professional_id == me["professional_id"]
        answer = db.session.scalars(select(PaymentAnswer)).one()
        assert answer.answer == "me" and answer.professional_id == me["professional_id"]
        assert answer.match == "possible" and answer.account_id is not None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "industry_payment.confirmed")
        ).one()
        assert event.professional_id == me["professional_id"] and event.entity_id == answer.id
        # Re-importing the year keeps the confirmation.
        importing.import_year(reported["csv"].encode(), year=YEAR, filename="again.csv", actor=None)
        db.session.commit()
        again = db.session.scalars(
            select(IndustryPayment).where(IndustryPayment.company == "Ostara Pharma UK Ltd")
        ).one()
        assert again.professional_id == me["professional_id"] and again.confirmed_at is not None


def test_a_confirmation_survives_a_namesake_arriving_before_the_re_import(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    assert signed_in.post(f"/declare/payments/{reported['ostara']}/me").status_code == 302
    with app.app_context():
        factories.make_professional(given_name="Amira", family_name="Okafor")
        db.session.commit()
        importing.import_year(reported["csv"].encode(), year=YEAR, filename="again.csv", actor=None)
        db.session.commit()
        again = db.session.scalars(
            select(IndustryPayment).where(IndustryPayment.company == "Ostara Pharma UK Ltd")
        ).one()
        assert again.professional_id == me["professional_id"] and again.confirmed_at is not None
        assert again.match_reason == "The professional confirmed it is them"


def test_this_is_me_on_a_certain_match_records_nothing(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    assert signed_in.post(f"/declare/payments/{reported['medivance']}/me").status_code == 302
    with app.app_context():
        assert count(PaymentAnswer) == 0
        assert _payment(reported["medivance"]).confirmed_at is None


@pytest.mark.parametrize("key", ["theirs", "nobody"])
def test_this_is_me_on_another_persons_payment_is_not_found_and_changes_nothing(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any], key: str
) -> None:
    response = signed_in.post(f"/declare/payments/{reported[key]}/me")
    assert response.status_code == 404
    assert "Secret Pharma" not in response.get_data(as_text=True)
    _unchanged(app, reported)
    with app.app_context():
        assert _payment(reported[key]).confirmed_at is None


def test_a_provider_admin_or_a_signed_out_script_cannot_confirm(
    app: Flask, client: FlaskClient, reported: dict[str, Any]
) -> None:
    response = client.post(f"/declare/payments/{reported['ostara']}/me")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    with app.app_context():
        email = factories.make_account("provider_admin").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.post(f"/declare/payments/{reported['ostara']}/me").status_code == 403
    with app.app_context():
        assert count(PaymentAnswer) == 0 and _payment(reported["ostara"]).confirmed_at is None


def test_this_is_me_without_the_csrf_token_is_refused(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert signed_in.post(f"/declare/payments/{reported['ostara']}/me").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert count(PaymentAnswer) == 0 and _payment(reported["ostara"]).confirmed_at is None


def test_not_me_moves_the_payment_to_nobody_in_the_years_counts(
    app: Flask, signed_in: FlaskClient, reported: dict[str, Any]
) -> None:
    with app.app_context():
        before = db.session.scalars(select(DisclosureImport)).one()
        certain, nobody = before.certain, before.nobody
    signed_in.post(f"/declare/payments/{reported['medivance']}/not-me")
    with app.app_context():
        after = db.session.scalars(select(DisclosureImport)).one()
        assert (after.certain, after.nobody) == (certain - 1, nobody + 1)


@time_machine.travel(PUBLISHED_ON, tick=False)
def test_whether_each_payment_was_declared_is_kept_and_follows_a_declaration_sent(
    app: Flask, client: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    signed_in = client
    factories.sign_in(client, me["email"])
    with app.app_context():
        assert _payment(reported["medivance"]).declared is False
        assert _payment(reported["pelvica"]).declared is True
        assert _payment(reported["nobody"]).declared is None
    # Adding the interest alone declares nothing; sending it does.
    form = soup(signed_in.get(f"/declare/interests/new?payment={reported['medivance']}"))
    data = {
        field["name"]: field.get_text() if field.name == "textarea" else field.get("value", "")
        for field in form.select("input[name], textarea[name]")
        if field.get("type") != "radio" or field.has_attr("checked")
    }
    assert (
        signed_in.post(f"/declare/interests/new?payment={reported['medivance']}", data=data).status_code
        == 302
    )
    with app.app_context():
        assert _payment(reported["medivance"]).declared is False
    assert send_all(signed_in, me).status_code == 302
    with app.app_context():
        assert _payment(reported["medivance"]).declared is True
        assert _payment(reported["theirs"]).declared is False  # another person's is untouched
    card = soup(signed_in.get("/declare")).select_one(f"#payment-{reported['medivance']}")
    assert text(card.select_one(".payment-declared")).startswith("Declared Covered by an interest")
    assert card.find("a", string="Add this payment to my interests") is None


@time_machine.travel(PUBLISHED_ON, tick=False)
def test_a_payment_for_a_service_and_an_event_is_added_in_two_interests(
    app: Flask, client: FlaskClient, me: dict[str, Any], reported: dict[str, Any]
) -> None:
    signed_in = client
    factories.sign_in(client, me["email"])
    path = f"/declare/interests/new?payment={reported['ostara']}"

    def prefilled() -> dict[str, str]:
        form = soup(signed_in.get(path))
        return {
            field["name"]: field.get_text() if field.name == "textarea" else field.get("value", "")
            for field in form.select("input[name], textarea[name]")
            if field.get("type") != "radio" or field.has_attr("checked")
        }

    first = prefilled()
    assert first["interest_type"] == "outside_employment"
    assert "fees for service and consultancy £2,000; related expenses £100" in first["description"]
    assert "registration" not in first["description"]
    signed_in.post(path, data=first)
    send_all(signed_in, me)
    card = soup(signed_in.get("/declare")).select_one(f"#payment-{reported['ostara']}")
    assert "Part declared; not covered: registration fees, travel and accommodation" in text(card)
    second = prefilled()
    assert second["interest_type"] == "sponsored_events"
    assert "registration fees £300; travel and accommodation £700" in second["description"]
    assert second["value"] == "1,000"
    signed_in.post(path, data=second)
    send_all(signed_in, me)
    with app.app_context():
        assert _payment(reported["ostara"]).declared is True
