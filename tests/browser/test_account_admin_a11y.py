"""System admins' accounts pages in a real browser: finding an account by keyboard, its page, an
action's error summary, and axe on each; and the emails not delivered."""

from __future__ import annotations

from typing import Any

from interests.services import outbox
from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import make_account, make_engagement, make_professional, make_provider

ADMIN = "sysadmin@register.example"
LEAD = "lead@ashby.example"


def populate(live_server: LiveServer) -> None:
    def create() -> None:
        ashby = make_provider(slug="ashby", name="Ashby General")
        northgate = make_provider(slug="northgate", name="Northgate Clinic")
        make_account("system_admin", email=ADMIN)
        make_account("provider_admin", email=LEAD, providers=[ashby, northgate], full_name="Lee Lead")
        make_account("inspector", email="ines@cqc.example")
        sam = make_professional(given_name="Sam", family_name="Reed")
        make_engagement(sam, ashby, confirmed_at=None, email="s.reed@ashby.example")
        make_account("professional", email="sam.reed@mail.example", professional=sam)

    live_server.populate(create)


def test_system_admin_finds_an_account_and_every_page_is_accessible(
    page: Any, live_server: LiveServer
) -> None:
    populate(live_server)
    sign_in(page, live_server, ADMIN)
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Accounts"
    assert page.locator("#accounts tbody tr").count() == 4
    assert_accessible(page)
    # Search from the keyboard.
    page.fill("#q", "ashby")
    page.select_option("#role", "provider_admin")
    page.get_by_role("button", name="Search").press("Enter")
    page.wait_for_load_state()
    assert page.locator("#results-heading").inner_text() == "1 account"
    assert_accessible(page)
    page.get_by_role("link", name=LEAD).click()
    page.wait_for_load_state()
    assert LEAD in page.locator("h1").inner_text()
    assert_accessible(page)
    # An action without a reason: the NHS.UK error summary, linked to the field.
    page.get_by_role("link", name="Disable this account").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Disable account").click()
    page.wait_for_load_state()
    assert "Enter why you are doing this" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
    page.fill("#reason", "Left the trust")
    page.get_by_role("button", name="Disable account").click()
    page.wait_for_load_state()
    assert "Account disabled" in page.locator(".nhsuk-notification-banner").inner_text()
    assert_accessible(page)


def test_a_professionals_account_page_and_the_new_link_page_are_accessible(
    page: Any, live_server: LiveServer
) -> None:
    populate(live_server)
    sign_in(page, live_server, ADMIN)
    page.goto(live_server / "/admin/accounts?q=sam")
    page.get_by_role("link", name="sam.reed@mail.example").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Send a new link for Ashby General").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.goto(live_server / "/admin/accounts?q=lead")
    page.get_by_role("link", name=LEAD).click()
    page.get_by_role("link", name="Change the role").click()
    page.wait_for_load_state()
    assert_accessible(page)


def test_the_emails_not_delivered_page_is_accessible(page: Any, live_server: LiveServer) -> None:
    populate(live_server)

    def refused() -> None:
        email = outbox.send_email(
            kind="password_reset", to="sam.reed@mail.example", subject="Choose a new password", body="x"
        )
        email.attempts, email.last_error = outbox.MAX_ATTEMPTS, "timed out"

    live_server.populate(refused)
    sign_in(page, live_server, ADMIN)
    page.get_by_role("link", name="Emails not delivered").click()
    page.wait_for_load_state()
    assert "1 email could not be sent" in page.locator("#emails-count").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Try again").click()
    page.locator(".nhsuk-notification-banner").wait_for()
    assert_accessible(page)
