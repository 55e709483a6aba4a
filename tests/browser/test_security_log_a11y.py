"""The system admins' security log in a real browser: filtering by keyboard, an error summary for a
bad date, and axe on each state of the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from interests.extensions import db
from interests.models import SecurityEvent
from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import make_account

ADMIN = "sysadmin@register.example"


def populate(live_server: LiveServer) -> None:
    def create() -> None:
        make_account("system_admin", email=ADMIN)
        inspector = make_account("inspector", email="ines@cqc.example")
        start = datetime.now(UTC) - timedelta(days=2)
        for n in range(30):
            db.session.add(
                SecurityEvent(
                    kind="sign_in_failed" if n % 2 else "sign_in",
                    occurred_at=start + timedelta(minutes=n),
                    account_id=None if n % 2 else inspector.id,
                    email="ines@cqc.example" if n % 2 else None,
                    ip_address="192.0.2.10",
                    user_agent="Test browser",
                )
            )

    live_server.populate(create)


def test_system_admin_filters_the_security_log_and_every_state_is_accessible(
    page: Any, live_server: LiveServer
) -> None:
    populate(live_server)
    sign_in(page, live_server, ADMIN)
    page.get_by_role("link", name="Security log").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Security log"
    assert page.locator("#events tbody tr").count() == 25
    assert_accessible(page)
    # A bad date: the NHS.UK error summary, linked to the field.
    page.fill("#since", "31-02-2026")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "Enter a real date" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
    # Filter by what happened, from the keyboard.
    page.fill("#since", "")
    page.select_option("#kind", "sign_in_failed")
    page.locator("#kind").focus()
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Apply filters").press("Enter")
    page.wait_for_load_state()
    assert page.locator("#events tbody tr").count() == 15
    assert page.locator("#results-heading").inner_text() == "15 events"
    assert_accessible(page)
