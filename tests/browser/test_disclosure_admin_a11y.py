"""The industry payments admin pages in a real browser: the upload by keyboard, a refused file's
error summary, the year's result, and axe on each."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.disclosure_files import csv_text, xlsx_bytes
from tests.factories import make_account, make_engagement, make_professional, make_provider

ADMIN = "sysadmin@register.example"
ROWS = [
    ("Dr Amira Okafor", "Leeds", "UK", "", "GMC 1234567", "Pfizer Ltd", "", "", "1500", "", "1500"),
    ("Nobody Known", "Leeds", "UK", "", "", "Roche", "", "250", "", "", ""),
]


def populate(live_server: LiveServer) -> None:
    def create() -> None:
        leeds = make_provider(slug="ashby", name="Ashby General", address="1 Road, Leeds LS1 1AA")
        okafor = make_professional(given_name="Amira", family_name="Okafor", registration_number="1234567")
        make_engagement(okafor, leeds)
        make_account("system_admin", email=ADMIN)

    live_server.populate(create)


def test_a_system_admin_imports_a_year_by_keyboard_and_every_page_is_accessible(
    page: Any, live_server: LiveServer
) -> None:
    populate(live_server)
    sign_in(page, live_server, ADMIN)
    page.goto(live_server / "/admin")
    page.get_by_role("link", name="Industry payments").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Industry payments (Disclosure UK)"
    assert_accessible(page)
    # A bad file: the error summary, linked to the file field, and the problems by line.
    page.fill("#year", "2024")
    bad = csv_text([("Amira Okafor", "Leeds", "UK", "", "", "Pfizer", "-5", "", "", "", "")])
    page.set_input_files("#file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Read and import").press("Enter")
    page.wait_for_load_state()
    assert "The file has 1 problem" in page.locator(".nhsuk-error-summary").inner_text()
    assert "is negative" in page.locator("#problems").inner_text()
    assert_accessible(page)
    # A good workbook: the year's page with its counts.
    page.fill("#year", "2024")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "disclosure-2024.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": xlsx_bytes(ROWS),
            }
        ],
    )
    page.get_by_role("button", name="Read and import").press("Enter")
    page.wait_for_load_state()
    assert "Disclosure UK 2024" in page.locator("h1").inner_text()
    assert page.locator("#certain").inner_text() == "1"
    assert page.locator("#nobody").inner_text() == "1"
    assert_accessible(page)
