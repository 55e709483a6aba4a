"""Industry payments in real Chromium, by keyboard alone and with axe on every page: a professional
adds a payment a company reported to their interests, sends it, and finds it on the register;
says "this is not me" to a namesake's payment; their provider lists and reminds; a patient reads
the payments on the professional's public page.

The clock is set to the end of June, when Disclosure UK publishes the year before: an interest
that ended on 31 December can then still be sent (the register's six-month rule). It is set in the
future, so the browser keeps the cookies the server dates by it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine

from interests.services.disclosure.importing import import_year
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_declare_journey import arrive, tab_to_id, tab_to_text, type_into
from tests.browser.test_foundation_journeys import tab_to
from tests.disclosure_files import csv_text, payment_row
from tests.factories import PASSWORD, make_account, make_engagement, make_provider

EMAIL = "amara.okafor@example.org"
ADMIN = "lead@northgate.example.org"
PUBLISHED_ON = datetime(date.today().year + 1, 6, 30, 9, 0, tzinfo=UTC)
YEAR = PUBLISHED_ON.year - 1


def _world(live_server: LiveServer) -> dict[str, Any]:
    def create() -> dict[str, Any]:
        provider = make_provider(slug="northgate", name="Northgate NHS Trust")
        make_account("provider_admin", email=ADMIN, providers=[provider])
        account = make_account("professional", email=EMAIL)
        me = account.professional
        me.given_name, me.family_name = "Amara", "Okafor"
        make_engagement(me, provider, role="Consultant")
        rows = [
            payment_row(me, "Medivance Surgical Ltd", fees="1250"),
            # By name alone, in a city where none of her workplaces is: a possible match.
            payment_row(me, "Ostara Pharma", city="Truro", identifier="", fees="600"),
        ]
        import_year(csv_text(rows).encode(), year=YEAR, filename=f"{YEAR}.csv", actor=None)
        return {"professional_id": me.id}

    return live_server.populate(create)


def describes(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement.getAttribute('aria-describedby') || ''"))


def sign_in(page: Any, live_server: LiveServer, email: str) -> None:
    page.goto(live_server / "/sign-in")
    type_into(page, "email", email)
    type_into(page, "password", PASSWORD)
    page.keyboard.press("Enter")


def test_add_this_payment_by_keyboard_then_it_is_on_the_register(live_server: LiveServer, page: Any) -> None:
    with time_machine.travel(PUBLISHED_ON, tick=True):
        world = _world(live_server)
        sign_in(page, live_server, EMAIL)
        arrive(page, "/declare")
        medivance = page.locator("#payment-1")
        assert f"Medivance Surgical Ltd, {YEAR}: £1,250" in medivance.inner_text()
        assert "Not declared" in medivance.locator(".payment-declared").inner_text()

        # "Add this payment to my interests" on Medivance's card: a form filled in from it.
        tab_to(
            page,
            lambda now: now["text"] == "Add this payment to my interests" and "payment=1" in now["href"],
            "Medivance's add link",
        )
        page.keyboard.press("Enter")
        arrive(page, "/declare/interests/new")
        assert page.locator("#other_party").input_value() == "Medivance Surgical Ltd"
        assert "fees for service and consultancy £1,250" in page.locator("#description").input_value()
        tab_to_text(page, "Save and continue")
        page.keyboard.press("Enter")
        arrive(page, "/declare/check")

        tab_to_id(page, "confirm")
        page.keyboard.press("Space")
        tab_to_text(page, "Send declaration")
        page.keyboard.press("Enter")
        arrive(page, "/declare/sent/", prefix=True)

        tab_to_text(page, "Go to your declarations")
        page.keyboard.press("Enter")
        arrive(page, "/declare")
        assert page.locator("#payment-1 .payment-declared").inner_text().startswith("Declared")

        # "This is not me" on the namesake's payment (the second card), by keyboard.
        tab_to(
            page,
            lambda now: now["text"] == "This is not me" and describes(page) == "payment-2-heading",
            "Ostara's 'This is not me'",
        )
        with page.expect_navigation():
            page.keyboard.press("Enter")  # posts, then back to the same page
        arrive(page, "/declare")
        assert "is no longer matched to you" in page.locator("main").inner_text()
        assert page.locator("#payment-2").count() == 0

        # The register: the interest is published, and the company's report is beside it.
        page.goto(live_server / "/providers/northgate")
        assert_accessible(page)
        assert "Medivance Surgical Ltd" in page.locator("main").inner_text()
        page.goto(live_server / f"/professionals/{world['professional_id']}")
        assert_accessible(page)
        payments = page.locator("section[aria-labelledby=payments]").inner_text()
        assert "Medivance Surgical Ltd" in payments and "£1,250" in payments
        assert "Ostara" not in page.locator("main").inner_text()


def test_the_provider_lists_and_reminds_by_keyboard(live_server: LiveServer, page: Any) -> None:
    with time_machine.travel(PUBLISHED_ON, tick=True):
        world = _world(live_server)
        sign_in(page, live_server, ADMIN)
        arrive(page, "/manage")
        page.goto(live_server / "/manage/northgate/industry-payments")
        assert_accessible(page)
        card = page.locator(f"#person-{world['professional_id']}")
        assert "Medivance Surgical Ltd" in card.inner_text() and "Ostara Pharma" in card.inner_text()
        tab_to_text(page, "Remind them to check their payments")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # posts, then back to the same page
        arrive(page, "/manage/northgate/industry-payments")
        assert "Reminder sent" in page.locator("main").inner_text()
        assert "Last reminded about payments" in card.inner_text()
