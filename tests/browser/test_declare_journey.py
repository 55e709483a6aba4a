"""The declaration journey in real Chromium: sign in, add two interests and send a declaration to
two providers by keyboard alone, with axe run on every page on the way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from interests.services.disclosure.importing import import_year
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_foundation_journeys import focused, path_of, tab_to
from tests.disclosure_files import csv_text, payment_row
from tests.factories import PASSWORD, make_account, make_engagement, make_interest, make_provider

EMAIL = "amara.okafor@example.org"


def professional_at_two_providers(live_server: LiveServer) -> None:
    def create() -> None:
        account = make_account("professional", email=EMAIL)
        for name in ("Northgate NHS Trust", "Ashby Private Hospital"):
            make_engagement(account.professional, make_provider(name=name), role="Consultant")

    live_server.populate(create)


def tab_to_id(page: Any, element_id: str) -> None:
    tab_to(page, lambda now: now["id"] == element_id, f"#{element_id}")


def tab_to_text(page: Any, text: str) -> None:
    tab_to(page, lambda now: now["text"] == text, repr(text))


def type_into(page: Any, element_id: str, text: str) -> None:
    tab_to_id(page, element_id)
    page.keyboard.type(text)


def arrive(page: Any, path: str, *, prefix: bool = False) -> None:
    """Wait for the page at `path` (or starting with it) to load, and run axe on it."""

    def there(url: str) -> bool:
        now = urlsplit(url).path
        return now.startswith(path) if prefix else now == path

    page.wait_for_url(there)
    page.wait_for_load_state("load")
    assert_accessible(page)


def add_interest_by_keyboard(
    page: Any, *, type_presses: int, other_party: str, description: str, value: str | None, started: date
) -> None:
    tab_to_id(page, "category")
    page.keyboard.press("Space")  # Financial
    tab_to_id(page, "interest_type")
    page.keyboard.press("Space")  # Gifts, the first type
    for _ in range(type_presses):
        page.keyboard.press("ArrowDown")  # arrow keys move through the types, selecting each
    type_into(page, "other_party", other_party)
    type_into(page, "description", description)
    if value is not None:
        type_into(page, "value", value)
    type_into(page, "date_from", str(started.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(started.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(started.year))
    tab_to_id(page, "ongoing")
    page.keyboard.press("Space")  # Yes, it is ongoing
    tab_to_text(page, "Save and continue")
    page.keyboard.press("Enter")


def test_professional_adds_two_interests_and_sends_them_to_two_providers_by_keyboard(
    live_server: LiveServer, page: Any
) -> None:
    professional_at_two_providers(live_server)
    started = date.today() - timedelta(days=20)

    page.goto(live_server / "/sign-in")
    assert_accessible(page)
    type_into(page, "email", EMAIL)
    type_into(page, "password", PASSWORD)
    page.keyboard.press("Enter")
    arrive(page, "/declare")
    assert "Missing" in page.locator("#workplaces").inner_text()

    tab_to_text(page, "Add an interest")
    page.keyboard.press("Enter")
    arrive(page, "/declare/interests/new")

    # Sent empty first: the error summary takes focus, and the page with errors is accessible too.
    tab_to_text(page, "Save and continue")
    page.keyboard.press("Enter")
    page.wait_for_selector(".nhsuk-error-summary")
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    add_interest_by_keyboard(
        page,
        type_presses=2,  # Outside employment
        other_party="Medivance Surgical Ltd",
        description="Paid member of the advisory board",
        value=None,
        started=started,
    )
    arrive(page, "/declare/check")
    assert "Interest added: Medivance Surgical Ltd" in page.locator("main").inner_text()

    tab_to_text(page, "Add another interest")
    page.keyboard.press("Enter")
    arrive(page, "/declare/interests/new")
    add_interest_by_keyboard(
        page,
        type_presses=0,  # Gifts
        other_party="Pelvica Devices plc",
        description="Textbook on pelvic floor surgery",
        value="75",
        started=started,
    )
    arrive(page, "/declare/check")
    cards = page.locator(".app-interest-card h3").all_inner_texts()
    assert cards == ["Outside employment: Medivance Surgical Ltd", "Gifts: Pelvica Devices plc"]

    tab_to(page, lambda now: "Preview how your entries" in now["text"], "the preview link")
    page.keyboard.press("Enter")
    arrive(page, "/declare/preview")
    assert page.locator("li.app-entry").count() == 4  # two entries on each of two registers
    page.go_back()
    page.wait_for_url(lambda url: url.endswith("/declare/check"))

    # Both providers are chosen already: confirm the statement and send.
    assert page.locator("input[name=providers]:checked").count() == 2
    tab_to_id(page, "confirm")
    page.keyboard.press("Space")
    tab_to_text(page, "Send declaration")
    page.keyboard.press("Enter")
    arrive(page, "/declare/sent/", prefix=True)

    assert page.locator(".nhsuk-panel h1").inner_text() == "Declaration sent"
    sent_to = page.locator("#sent-to tbody tr td:first-child").all_inner_texts()
    assert sent_to == ["Ashby Private Hospital", "Northgate NHS Trust"]
    assert "It declares 2 interests" in page.locator("main").inner_text()

    tab_to_text(page, "Go to your declarations")
    page.keyboard.press("Enter")
    arrive(page, "/declare")
    assert page.locator("#workplaces td:nth-child(2)").all_inner_texts() == ["Declared", "Declared"]


def test_the_other_declaration_pages_have_no_accessibility_violations(
    live_server: LiveServer, page: Any
) -> None:
    def create() -> None:
        account = make_account("professional", email=EMAIL)
        make_engagement(account.professional, make_provider(name="Northgate NHS Trust"), role="Consultant")
        make_interest(account.professional, category="indirect", relationship_to_professional="My wife")
        # A Disclosure UK year with a payment reported about them (by number, under another name): the
        # dashboard's section.
        rows = [
            payment_row(account.professional, "Medivance Surgical Ltd", full_name="Amara Okafor", fees="1250")
        ]
        import_year(csv_text(rows).encode(), year=2024, filename="2024.csv", actor=None)

    live_server.populate(create)
    page.goto(live_server / "/sign-in")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(lambda url: url.endswith("/declare"))
    # The interest has never been sent: the page says so, with a warning callout and a tag.
    assert "Not sent yet" in page.locator("#not-sent").inner_text()
    assert page.locator("#interests .nhsuk-tag").inner_text() == "Not sent yet"
    assert "Medivance Surgical Ltd, 2024: £1,250" in page.locator("#payment-1").inner_text()
    assert_accessible(page)

    for path in (
        "/declare/interests/1",
        "/declare/interests/1/change",
        "/declare/interests/1/end",
        "/declare/interests/1/withhold",
        "/declare/interests/new?payment=1",
    ):
        response = page.goto(live_server / path)
        assert response is not None and response.status == 200, path
        assert_accessible(page)

    # A withholding request with errors, then sent: its status shows on the interest page.
    page.goto(live_server / "/declare/interests/1/withhold")
    page.click("button:has-text('Send request')")
    page.wait_for_selector(".nhsuk-error-summary")
    assert_accessible(page)
    page.fill("#reason", "A former patient has threatened my family.")
    page.click("button:has-text('Send request')")
    page.wait_for_url(lambda url: url.endswith("/declare/interests/1"))
    assert "Waiting for a decision" in page.locator("#withholding-requests").inner_text()
    assert_accessible(page)
    # Withdrawing it is asked on a page of its own (the entry would then be published).
    page.click("#withholding-requests a:has-text('Withdraw this request')")
    page.wait_for_url(lambda url: url.endswith("/declare/interests/1/withholding/1/withdraw"))
    assert_accessible(page)

    # The end page with a date error, and the nil return page (refused: there is an interest).
    page.goto(live_server / "/declare/interests/1/end")
    page.fill("#date_to", "31")
    page.click("button:has-text('Save and continue')")
    page.wait_for_selector(".nhsuk-error-summary")
    # The NHS.UK script moves focus to the summary once it has run (later on a loaded machine). A
    # function, not an expression: Playwright polls an expression with eval(), which the CSP refuses.
    page.wait_for_function("() => document.activeElement && document.activeElement !== document.body")
    assert focused(page)["tag"] in ("div", "a", "input")
    assert_accessible(page)
    page.goto(live_server / "/declare/nil-return")
    assert_accessible(page)


def test_nil_return_by_keyboard(live_server: LiveServer, page: Any) -> None:
    professional_at_two_providers(live_server)
    page.goto(live_server / "/sign-in")
    type_into(page, "email", EMAIL)
    type_into(page, "password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith("/declare"))
    tab_to_text(page, "Send a nil return")
    page.keyboard.press("Enter")
    arrive(page, "/declare/nil-return")
    tab_to_id(page, "confirm")
    page.keyboard.press("Space")
    tab_to_text(page, "Send nil return")
    page.keyboard.press("Enter")
    arrive(page, "/declare/sent/", prefix=True)
    assert page.locator(".nhsuk-panel h1").inner_text() == "Nil return sent"
    assert path_of(page).startswith("/declare/sent/")
