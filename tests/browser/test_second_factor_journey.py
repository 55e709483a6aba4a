"""Setting up a second factor and signing in with it, in a real browser, with axe on every page."""

from __future__ import annotations

import time
from typing import Any

import pyotp

from tests.browser.conftest import LiveServer, assert_accessible
from tests.factories import PASSWORD, make_account

EMAIL = "noor.haddad@kestrel.example"


def sign_in_with_password(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server / "/sign-in")
    assert_accessible(page)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_set_up_a_second_factor_then_sign_in_with_a_code(page: Any, live_server: LiveServer) -> None:
    live_server.populate(lambda: make_account("professional", email=EMAIL).email)
    sign_in_with_password(page, live_server)
    assert page.url.endswith("/declare")
    assert_accessible(page)

    page.goto(live_server / "/account")
    assert page.locator("h1").inner_text() == "Your account"
    assert_accessible(page)
    with page.expect_navigation():
        page.click("#set-up-second-factor")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Set up a second factor"
    assert page.locator("#qr-code").evaluate("image => image.complete && image.naturalWidth > 0")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Turn on second factor").click()
    page.wait_for_load_state()
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert_accessible(page)

    totp = pyotp.TOTP(page.locator("#setup-key").inner_text().replace(" ", ""))
    page.fill("#code", totp.now())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on second factor").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Save your recovery codes"
    assert page.locator("#recovery-codes li").count() == 10
    assert page.locator("#print-codes").is_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="I have saved my codes").click()
    page.wait_for_load_state()
    assert "On: signing in needs a code" in page.locator("main").inner_text()
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in_with_password(page, live_server)
    assert page.locator("h1").inner_text() == "Enter the code from your authenticator app"
    assert_accessible(page)

    page.fill("#code", "000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert_accessible(page)

    with page.expect_navigation():
        page.click("#use-recovery-code")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Enter a recovery code"
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Use a code from your authenticator app").click()
    page.wait_for_load_state()

    # The code used to turn it on cannot be used again: the app's next one (one step of drift) can.
    page.fill("#code", totp.at(time.time() + 30))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.url.endswith("/declare")
    assert_accessible(page)
