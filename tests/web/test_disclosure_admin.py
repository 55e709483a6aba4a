"""/admin/industry-payments: a system admin uploads a Disclosure UK year and sees how its payments
matched; a bad file is refused with the NHS.UK error summary and every problem, saving nothing;
nobody but a system admin can see the page or post to it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import DisclosureImport, IndustryPayment, SecurityEvent
from interests.services import security_log
from tests import factories
from tests.disclosure_files import HEADINGS, csv_text, xlsx_bytes
from tests.identity_helpers import signed_in
from tests.pages import banners, error_summary, soup, text

pytestmark = pytest.mark.alldb

ADMIN = "sysadmin@register.example"
LEAD = "lead@ashby.example"
PRO = "amira@mail.example"
INSPECTOR = "ines@cqc.example"

ROWS = [
    ("Dr Amira Okafor", "Leeds", "UK", "", "GMC 1234567", "Pfizer Ltd", "", "", "1500", "", "1500"),
    ("John Smith", "Leeds", "UK", "", "", "Roche", "", "250", "", "", ""),
    ("John Smith", "Leeds", "UK", "", "", "Bayer", "", "250", "", "", ""),
    ("Nobody Known", "Leeds", "UK", "", "", "Roche", "", "250", "", "", ""),
]


@pytest.fixture
def world(app: Flask) -> None:
    with app.app_context():
        leeds = factories.make_provider(slug="ashby", name="Ashby General", address="1 Road, Leeds LS1 1AA")
        okafor = factories.make_professional(
            given_name="Amira", family_name="Okafor", registration_number="1234567"
        )
        for _ in range(2):
            factories.make_engagement(
                factories.make_professional(given_name="John", family_name="Smith"), leeds
            )
        factories.make_account("system_admin", email=ADMIN)
        factories.make_account("provider_admin", email=LEAD, providers=[leeds])
        factories.make_account("professional", email=PRO, professional=okafor)
        factories.make_account("inspector", email=INSPECTOR)
        db.session.commit()


def upload(client: FlaskClient, content: bytes, filename: str, year: str = "2024") -> Any:
    return client.post(
        "/admin/industry-payments",
        data={"year": year, "file": (BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def saved(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(DisclosureImport)) or 0,
            db.session.scalar(select(func.count()).select_from(IndustryPayment)) or 0,
        )


@pytest.mark.usefixtures("world")
def test_the_admin_home_links_to_the_industry_payments_page_which_explains_the_columns(app: Flask) -> None:
    admin = signed_in(app, ADMIN)
    assert soup(admin.get("/admin")).select_one("a[href='/admin/industry-payments']") is not None
    page = soup(admin.get("/admin/industry-payments"))
    assert text(page.select_one("h1")) == "Industry payments (Disclosure UK)"
    assert "Unique country identifier (optional)" in text(page.select_one("#columns"))
    assert page.select_one("input[type=file][name=file]") is not None
    assert page.select_one("#years") is None


@pytest.mark.usefixtures("world")
def test_a_workbook_upload_shows_rows_read_matches_by_confidence_and_headings_not_understood(
    app: Flask,
) -> None:
    admin = signed_in(app, ADMIN)
    response = upload(admin, xlsx_bytes(ROWS, headings=(*HEADINGS, "Speciality")), "disclosure-2024.xlsx")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/industry-payments/2024")
    page_response = admin.get(response.headers["Location"])
    page = soup(page_response)
    assert banners(page_response) == ["Disclosure UK 2024 imported"]
    assert text(page.select_one("h1")) == "Industry payments Disclosure UK 2024"
    counts = {dd["id"]: text(dd) for dd in page.select("#counts dd")}
    assert counts == {
        "rows": "4",
        "matched": "1",
        "certain": "1",
        "probable": "0",
        "possible": "0",
        "ambiguous": "2",
        "nobody": "1",
    }
    assert [text(li) for li in page.select("#not-understood li")] == ["Speciality"]
    assert "read as Excel workbook" in text(page.select_one("main"))
    assert saved(app) == (1, 4)
    # The import is in the security log as an admin's action.
    with app.app_context():
        details = db.session.scalars(
            select(SecurityEvent.detail).where(SecurityEvent.kind == security_log.ADMIN_ACTION)
        ).all()
    assert "Imported Disclosure UK 2024: 4 payments" in details
    listing = soup(admin.get("/admin/industry-payments"))
    years = text(listing.select_one("#years"))
    assert years.startswith("2024 : disclosure-2024.xlsx,") and years.endswith("4 payments")


@pytest.mark.usefixtures("world")
def test_a_bad_file_gets_the_error_summary_and_every_problem_by_line_and_nothing_is_saved(app: Flask) -> None:
    admin = signed_in(app, ADMIN)
    bad = [
        ROWS[0],
        ("Amira Okafor", "Leeds", "UK", "", "", "Pfizer", "-5", "", "", "", ""),
        ("", "Leeds", "UK", "", "", "Pfizer", "", "1 250,00", "", "", ""),
    ]
    response = upload(admin, csv_text(bad).encode("cp1252"), "bad.csv")
    assert response.status_code == 200
    assert error_summary(response) == [
        "The file has 3 problems. Nothing was saved: correct the file and upload it again"
    ]
    page = soup(response)
    assert page.select_one(".nhsuk-error-summary a")["href"] == "#file"
    rows = [[text(td) for td in tr.select("td")] for tr in page.select("#problems tbody tr")]
    assert rows == [
        [
            "3",
            "Registration fees",
            "Registration fees '-5' is negative: payments are amounts paid, so cannot be below zero",
        ],
        ["4", "Full name", "Enter the full name"],
        [
            "4",
            "Travel and accommodation",
            "Travel and accommodation '1 250,00' uses a comma for the decimal point: "
            "write pounds and pence like 1250.00",
        ],
    ]
    assert "Nothing was saved. The file was read as UTF-8." in text(page.select_one("main"))
    assert saved(app) == (0, 0)


@pytest.mark.usefixtures("world")
def test_a_refused_reimport_leaves_the_years_earlier_import_in_place(app: Flask) -> None:
    admin = signed_in(app, ADMIN)
    assert upload(admin, csv_text(ROWS).encode(), "good.csv").status_code == 303
    response = upload(
        admin, csv_text([("x", "Leeds", "", "", "", "Pfizer", "lots", "", "", "", "")]).encode(), "bad.csv"
    )
    assert response.status_code == 200
    assert saved(app) == (1, 4)


@pytest.mark.parametrize(
    ("year", "filename", "message"),
    [
        ("", "a.csv", "Enter the year the payments were made, for example 2024"),
        ("24", "a.csv", "Enter the year as 4 digits, for example 2024"),
        ("2014", "a.csv", "Enter a year from 2015 to 2025: payments are published the June after"),
        ("2026", "a.csv", "Enter a year from 2015 to 2025: payments are published the June after"),
        ("2024", "a.pdf", "The file must be an Excel workbook (.xlsx) or a CSV file (.csv)"),
    ],
)
@pytest.mark.usefixtures("world")
def test_a_missing_or_wrong_year_or_file_type_gets_an_error_summary(
    app: Flask, year: str, filename: str, message: str
) -> None:
    response = upload(signed_in(app, ADMIN), csv_text(ROWS).encode(), filename, year)
    assert response.status_code == 200
    assert error_summary(response) == [message]
    assert saved(app) == (0, 0)


@pytest.mark.usefixtures("world")
def test_no_file_chosen_gets_an_error_summary(app: Flask) -> None:
    response = signed_in(app, ADMIN).post(
        "/admin/industry-payments", data={"year": "2024"}, content_type="multipart/form-data"
    )
    assert error_summary(response) == ["Select the Disclosure UK file"]


@pytest.mark.parametrize("email", [LEAD, PRO, INSPECTOR])
@pytest.mark.usefixtures("world")
def test_anyone_but_a_system_admin_is_refused_the_page_and_cannot_import(app: Flask, email: str) -> None:
    client = signed_in(app, email)
    assert client.get("/admin/industry-payments").status_code == 403
    assert upload(client, csv_text(ROWS).encode(), "x.csv").status_code == 403
    assert client.get("/admin/industry-payments/2024").status_code == 403
    assert saved(app) == (0, 0)


@pytest.mark.usefixtures("world")
def test_an_anonymous_script_is_sent_to_sign_in_and_saves_nothing(app: Flask) -> None:
    client = app.test_client()
    response = upload(client, csv_text(ROWS).encode(), "x.csv")
    assert response.status_code in {302, 400}
    assert saved(app) == (0, 0)
    assert "/sign-in" in client.get("/admin/industry-payments").headers["Location"]


@pytest.mark.usefixtures("world")
def test_a_year_not_imported_is_not_found(app: Flask) -> None:
    assert signed_in(app, ADMIN).get("/admin/industry-payments/2019").status_code == 404
