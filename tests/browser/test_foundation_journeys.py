"""The service's foundations in a real browser: accessible pages, the skip link, and signing
in and out with the keyboard alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LiveServer, assert_accessible
from tests.factories import PASSWORD, make_account

PROFESSIONAL_EMAIL = "sam.okafor@example.org"
# More Tab presses than any page's header needs to reach the control: the loop stops there.
MAX_TABS = 40


def focused(page: Any) -> dict[str, str]:
    """What has keyboard focus: its tag, id, and visible text or value."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          return {
            tag: el ? el.tagName.toLowerCase() : "",
            id: (el && el.id) || "",
            text: el ? (el.innerText || el.value || "").trim() : "",
            href: (el && el.getAttribute("href")) || "",
          };
        }"""
    )


def tab_to(page: Any, matches: Any, what: str) -> None:
    """Press Tab until the focused element matches; fail naming the stops if it never does."""
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return
        stops.append(now["id"] or now["text"] or now["tag"])
    pytest.fail(f"{MAX_TABS} Tab presses never reached {what}; focus went to: {stops}", pytrace=False)


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def add_professional(live_server: LiveServer) -> str:
    def create() -> str:
        return make_account("professional", email=PROFESSIONAL_EMAIL).email

    return live_server.populate(create)


def header_text(page: Any) -> str:
    return page.locator("header").first.inner_text()


# --- Accessibility ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", None),
        ("/about", None),
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/sign-in", "Sign in"),
    ],
)
def test_page_has_no_accessibility_violations(
    live_server: LiveServer, page: Any, path: str, heading: str | None
) -> None:
    response = page.goto(live_server / path)

    assert response is not None and response.status == 200
    h1 = page.locator("main h1")
    assert h1.count() == 1, "one main heading"
    if heading:
        assert heading in h1.inner_text()
    assert_accessible(page)


def test_sign_in_page_with_errors_after_empty_submit_is_accessible(
    live_server: LiveServer, page: Any
) -> None:
    page.goto(live_server / "/sign-in")

    page.locator("main").get_by_role("button", name="Sign in").click()

    page.wait_for_load_state()
    summary = page.locator(".nhsuk-error-summary")
    assert summary.count() == 1, f"one error summary, not {summary.count()}"
    assert "There is a problem" in summary.inner_text()
    assert "Enter your email address" in summary.inner_text()
    assert "Enter your password" in summary.inner_text()
    assert page.title().startswith("Error: Sign in")
    assert not page.title().startswith("Error: Error:")
    assert_accessible(page)


def test_page_not_found_is_accessible(live_server: LiveServer, page: Any) -> None:
    response = page.goto(live_server / "/no-such-page")

    assert response is not None and response.status == 404
    assert page.locator("main h1").inner_text() == "Page not found"
    assert_accessible(page)


# --- Keyboard ---------------------------------------------------------------------------------


def test_first_tab_focuses_skip_link_and_enter_moves_focus_to_main_content(
    live_server: LiveServer, page: Any
) -> None:
    page.goto(live_server / "/")

    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#maincontent", f"first Tab focused {skip}"
    assert page.locator(":focus").is_visible(), "the focused skip link is visible"

    page.keyboard.press("Enter")

    assert focused(page)["id"] == "maincontent"


def test_professional_signs_in_and_out_with_keyboard_alone(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    email = add_professional(live_server)
    page.goto(live_server / "/sign-in")

    tab_to(page, lambda el: el["id"] == "email", "the email address field")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert path_of(page) == "/declare"
    assert "Sign out" in header_text(page)
    assert email in header_text(page)
    signed_in_cookies = page.context.cookies()

    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "Sign out", "the Sign out button")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert path_of(page) == "/"
    assert "You have signed out" in page.locator("main").inner_text()
    assert "Sign out" not in header_text(page)
    assert "Sign in" in header_text(page)

    # Someone who copied the signed-in cookie is signed out too: sign-out revoked the session.
    replay = browser.new_context()
    try:
        replay.add_cookies(signed_in_cookies)
        old_session = replay.new_page()
        old_session.goto(live_server / "/sign-in")
        assert path_of(old_session) == "/sign-in", "a signed-in account would be sent to /declare"
        assert "Sign out" not in header_text(old_session)
        assert old_session.locator("main h1").inner_text() == "Sign in"
    finally:
        replay.close()


def test_replaying_signed_in_cookie_before_sign_out_still_works(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    """The control for the revocation check above: the copied cookie does sign in until sign-out."""
    email = add_professional(live_server)
    page.goto(live_server / "/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Sign in").click()
    assert path_of(page) == "/declare"

    replay = browser.new_context()
    try:
        replay.add_cookies(page.context.cookies())
        copied = replay.new_page()
        copied.goto(live_server / "/sign-in")
        assert path_of(copied) == "/declare"
        assert "Sign out" in header_text(copied)
    finally:
        replay.close()
