"""The inspect pages in a real browser: axe finds nothing, and sorting works from the keyboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import (
    make_account,
    make_declaration,
    make_disclosure_import,
    make_engagement,
    make_payment,
    make_professional,
    make_provider,
)

INSPECTOR_EMAIL = "inspector.ash@example.org"


def populate(live_server: LiveServer) -> str:
    def create() -> str:
        make_account("inspector", email=INSPECTOR_EMAIL)
        slug = ""
        disclosure = make_disclosure_import(date.today().year - 1)
        for n, (declared, missing) in enumerate([(4, 0), (2, 2), (0, 3)]):
            provider = make_provider(name=f"Rowan Provider {n}", region="london")
            slug = slug or provider.slug
            for i in range(declared + missing):
                person = make_professional()
                kind = "employee" if i % 2 else "locum"
                make_engagement(person, provider, engagement_type=kind)
                if i < declared:
                    make_declaration(person, provider, declared_on=date.today() - timedelta(days=40))
                else:  # and a payment a company reported, not declared: counted for the provider
                    make_payment(disclosure, person)
        return slug

    return live_server.populate(create)


def test_overview_has_no_accessibility_violations_and_sorts_by_keyboard(
    page: Any, live_server: LiveServer
) -> None:
    populate(live_server)
    sign_in(page, live_server, INSPECTOR_EMAIL)
    page.goto(live_server / "/inspect")
    assert page.locator("h1").inner_text() == "Compliance overview"
    assert_accessible(page)
    page.locator("#what-the-figures-mean summary").click()
    assert_accessible(page)
    # Sort by missing, from the keyboard: focus the heading's link and press Enter.
    page.locator("th a", has_text="Missing").focus()
    page.keyboard.press("Enter")
    # Wait for the sorted page itself: the old page is "loaded" too, until the new one replaces it.
    page.locator("th[aria-sort=ascending]", has_text="Missing").wait_for()
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Missing")
    first = page.locator("tbody tr").first.locator("td a").inner_text()
    assert first == "Rowan Provider 0"
    assert_accessible(page)


def test_overview_with_errors_has_no_accessibility_violations(page: Any, live_server: LiveServer) -> None:
    populate(live_server)
    sign_in(page, live_server, INSPECTOR_EMAIL)
    page.goto(live_server / "/inspect?as_of=2099-01-01&region=nowhere")
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert_accessible(page)


def test_provider_page_has_no_accessibility_violations(page: Any, live_server: LiveServer) -> None:
    slug = populate(live_server)
    sign_in(page, live_server, INSPECTOR_EMAIL)
    page.goto(live_server / "/inspect?sort=missing&order=descending")
    page.locator("tbody tr").first.locator("td a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Rowan Provider 2"
    assert page.get_by_role(
        "img", name="Percentage declared at the end of each month", exact=False
    ).is_visible()
    assert_accessible(page)
    page.goto(live_server / f"/inspect/providers/{slug}")
    assert_accessible(page)


def test_people_list_pages_have_no_accessibility_violations_and_page_by_keyboard(
    page: Any, live_server: LiveServer
) -> None:
    def create() -> str:
        make_account("inspector", email=INSPECTOR_EMAIL)
        provider = make_provider(name="Hazel Trust")
        for _ in range(52):
            make_engagement(make_professional(), provider, engagement_type="locum")
        return provider.slug

    slug = live_server.populate(create)
    sign_in(page, live_server, INSPECTOR_EMAIL)
    page.goto(live_server / f"/inspect/providers/{slug}")
    page.get_by_role("link", name="See all 52 locum or agency missing").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Locum or agency: 52 people missing"
    assert page.locator("#people tbody tr").count() == 50
    assert_accessible(page)
    page.locator(".nhsuk-pagination__next a, a.nhsuk-pagination__next").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("#people caption").inner_text() == "51 to 52 of 52, in the order they started"
    assert_accessible(page)
