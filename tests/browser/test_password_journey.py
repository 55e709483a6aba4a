"""Changing a password, and choosing a new one by an emailed link: in a real browser, axe on every page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import PASSWORD, make_account

EMAIL = "ada.quill@kestrel.example"
CHANGED = "marble teapot violin glacier"
RESET = "lantern orchard pebble symphony"


def _reset_link(live_server: LiveServer) -> str:
    def find() -> str:
        body = db.session.scalars(
            select(OutboxEmail.body).where(
                OutboxEmail.to_address == EMAIL, OutboxEmail.kind == "password_reset"
            )
        ).one()
        match = re.search(r"(/sign-in/reset/[A-Za-z0-9_\-]+)", body)
        assert match
        return match.group(1)

    return live_server.populate(find)


def test_change_then_forget_and_reset_a_password(page: Any, live_server: LiveServer) -> None:
    live_server.populate(lambda: make_account("inspector", email=EMAIL, full_name="Ada Quill").email)
    sign_in(page, live_server, EMAIL)

    page.goto(live_server / "/account")
    assert page.locator("h1").inner_text() == "Your account"
    assert_accessible(page)
    with page.expect_navigation():
        page.click("#change-password")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Change your password"
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert_accessible(page)
    page.fill("#current_password", PASSWORD)
    page.fill("#password", CHANGED)
    page.fill("#confirm", CHANGED)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert "Your password has been changed" in page.locator("main").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(live_server / "/sign-in")
    with page.expect_navigation():
        page.click("#forgotten-password")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Forgotten your password"
    assert_accessible(page)
    page.fill("#email", EMAIL)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Check your email"
    assert_accessible(page)

    link = _reset_link(live_server)
    page.goto(live_server / link)
    assert page.locator("h1").inner_text() == "Choose a new password"
    assert_accessible(page)
    page.fill("#password", RESET)
    page.fill("#confirm", RESET)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sign in"
    page.goto(live_server / link)
    assert page.locator("h1").inner_text() == "This link does not work"
    assert_accessible(page)
