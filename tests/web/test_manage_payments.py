"""A provider's list of payments companies reported about its staff that no declaration covers,
and the reminder to each person - with the attacks of a hostile provider admin on both."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import AuditEvent, IndustryPayment, OutboxEmail, Reminder
from interests.services.disclosure import importing
from tests import factories
from tests.disclosure_files import csv_text, payment_row
from tests.pages import soup, text
from tests.web.declare.helpers import count

pytestmark = pytest.mark.alldb

YEAR = date.today().year - 1
PATH = "/manage/northgate/industry-payments"


@pytest.fixture
def staff(app: Flask) -> dict[str, Any]:
    with app.app_context():
        here = factories.make_provider(slug="northgate", name="Northgate NHS Trust")
        elsewhere = factories.make_provider(slug="elsewhere", name="Elsewhere Hospital")
        admin = factories.make_account("provider_admin", providers=[here])
        other_admin = factories.make_account("provider_admin", providers=[elsewhere])
        amira = factories.make_account("professional", email="amira@example.org").professional
        amira.given_name, amira.family_name = "Amira", "Okafor"
        factories.make_engagement(amira, here)
        declared = factories.make_interest(
            amira, other_party="Pelvica Devices plc", date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31)
        )
        factories.make_declaration(amira, here, [declared])
        # Added by the provider but never confirmed by the professional.
        unconfirmed = factories.make_professional(given_name="Una", family_name="Confirmed")
        factories.make_engagement(unconfirmed, here, confirmed_at=None)
        # Says they do not work here.
        rejecting = factories.make_professional(given_name="Rae", family_name="Jecting")
        factories.make_engagement(rejecting, here, confirmed_at=None, rejected_at=factories.utcnow())
        # Left two years ago.
        leaver = factories.make_professional(given_name="Lee", family_name="Ver")
        factories.make_engagement(
            leaver,
            here,
            start_date=date.today() - timedelta(days=2000),
            end_date=date.today() - timedelta(days=700),
        )
        # Works elsewhere only.
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        factories.make_engagement(stranger, elsewhere, email="jo@elsewhere.example.org")
        rows = [
            payment_row(amira, "Medivance Surgical Ltd", fees="1250"),
            payment_row(amira, "Pelvica Devices Ltd", fees="400"),
            payment_row(unconfirmed, "Unconfirmed Pharma", fees="100"),
            payment_row(rejecting, "Rejected Pharma", fees="200"),
            payment_row(leaver, "Leaver Pharma", fees="300"),
            payment_row(stranger, "Secret Pharma Ltd", fees="9999"),
        ]
        importing.import_year(csv_text(rows).encode(), year=YEAR, filename="year.csv", actor=None)
        db.session.commit()
        return {
            "admin": admin.email,
            "other_admin": other_admin.email,
            "amira": amira.id,
            "unconfirmed": unconfirmed.id,
            "rejecting": rejecting.id,
            "leaver": leaver.id,
            "stranger": stranger.id,
        }


@pytest.fixture
def admin(client: FlaskClient, staff: dict[str, Any]) -> FlaskClient:
    assert factories.sign_in(client, staff["admin"]).status_code == 302
    return client


def test_the_page_lists_only_confirmed_current_staffs_undeclared_payments(
    admin: FlaskClient, staff: dict[str, Any]
) -> None:
    page = soup(admin.get(PATH))
    assert text(page.h1).endswith("Industry payments not declared")
    assert text(page.select_one("#payment-totals")) == "1 payment to 1 person , £1,250 in total."
    cards = page.select("[id^=person-].nhsuk-card")
    assert [card["id"] for card in cards] == [f"person-{staff['amira']}"]
    card = cards[0]
    assert "Amira Okafor" in text(card.h2)
    rows = [[text(cell) for cell in row.select("td")] for row in card.select("tbody tr")]
    assert rows == [
        [
            f"Medivance Surgical Ltd , {YEAR}",
            "Fees for service and consultancy: £1,250",
            "£1,250",
            rows[0][3],
        ]
    ]
    assert rows[0][3].startswith("Certain: Registration number")
    assert "Not reminded about payments yet." in text(card)
    body = text(page)
    for never in ("Pelvica", "Unconfirmed", "Rejected", "Leaver", "Secret", "Stranger"):
        assert never not in body, never
    nav = page.select_one("nav.app-manage-nav a[aria-current=page]")
    assert text(nav) == "Industry payments"


def test_without_undeclared_payments_the_page_says_so(app: Flask, admin: FlaskClient) -> None:
    with app.app_context():
        db.session.execute(IndustryPayment.__table__.update().values(declared=True))
        db.session.commit()
    page = soup(admin.get(PATH))
    assert "No payment reported about your staff is missing from their declarations." in text(page)
    assert page.select("[id^=person-]") == []


def test_remind_emails_the_person_their_payments_once_a_week_and_is_audited(
    app: Flask, admin: FlaskClient, staff: dict[str, Any]
) -> None:
    response = admin.post(f"{PATH}/remind/{staff['amira']}")
    assert response.status_code == 302
    page = soup(admin.get(response.headers["Location"]))
    assert "Reminder sent" in text(page)
    assert "Last reminded about payments" in text(page.select_one(f"#person-{staff['amira']}"))
    with app.app_context():
        email = db.session.scalars(select(OutboxEmail)).one()
        assert email.to_address == "amira@example.org"
        assert email.provider_id is None  # the account's own address is not the provider's to see
        assert "Medivance Surgical Ltd" in email.body and "£1,250" in email.body
        assert "Pelvica" not in email.body and "/declare#payments" in email.body
        reminder = db.session.scalars(select(Reminder)).one()
        assert reminder.status == "payments" and reminder.professional_id == staff["amira"]
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "industry_payment.reminded")
        ).one()
        assert event.professional_id == staff["amira"] and event.account_id is not None
    # The staff page's "Last reminded" is about reminders to declare, not this one.
    staff_page = soup(admin.get("/manage/northgate/staff"))
    amira_row = next(row for row in staff_page.select("tbody tr") if "Amira Okafor" in text(row))
    assert text(amira_row).endswith("Last reminded No email address")  # no date: never reminded to declare
    again = admin.post(f"{PATH}/remind/{staff['amira']}")
    assert "Already reminded this week" in text(soup(admin.get(again.headers["Location"])))
    with app.app_context():
        assert count(OutboxEmail) == 1 and count(Reminder) == 1


# --- Attacks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["unconfirmed", "rejecting", "leaver", "stranger"])
def test_remind_for_someone_not_on_the_list_is_not_found_and_sends_nothing(
    app: Flask, admin: FlaskClient, staff: dict[str, Any], who: str
) -> None:
    assert admin.post(f"{PATH}/remind/{staff[who]}").status_code == 404
    assert admin.post(f"{PATH}/remind/99999999").status_code == 404
    with app.app_context():
        assert count(OutboxEmail) == 0 and count(Reminder) == 0


def test_another_providers_admin_cannot_see_or_remind(
    app: Flask, client: FlaskClient, staff: dict[str, Any]
) -> None:
    factories.sign_in(client, staff["other_admin"])
    assert client.get(PATH).status_code == 404
    assert client.post(f"{PATH}/remind/{staff['amira']}").status_code == 404
    # Their own page does not list someone who works only here.
    page = text(soup(client.get("/manage/elsewhere/industry-payments")))
    assert "Secret Pharma Ltd" in page and "Medivance" not in page
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_professionals_and_signed_out_scripts_cannot_come_in(
    app: Flask, client: FlaskClient, staff: dict[str, Any]
) -> None:
    response = client.get(PATH)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post(f"{PATH}/remind/{staff['amira']}").status_code == 302
    factories.sign_in(client, "amira@example.org")
    assert client.get(PATH).status_code == 403
    assert client.post(f"{PATH}/remind/{staff['amira']}").status_code == 403
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_remind_without_the_csrf_token_is_refused(
    app: Flask, admin: FlaskClient, staff: dict[str, Any]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert admin.post(f"{PATH}/remind/{staff['amira']}").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert count(OutboxEmail) == 0


def test_a_forged_page_number_on_remind_is_dropped(admin: FlaskClient, staff: dict[str, Any]) -> None:
    response = admin.post(f"{PATH}/remind/{staff['amira']}?page=../../x")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/manage/northgate/industry-payments#person-{staff['amira']}"
    )
