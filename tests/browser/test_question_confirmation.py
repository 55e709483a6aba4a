"""A patient asks with an email address and confirms it in Chromium: axe finds no WCAG 2.2 AA problems
on the confirmation pages, the link that no longer works, or the form refused by the daily limit."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from tests import factories
from tests.browser.conftest import LiveServer, assert_accessible


def _provider() -> str:
    return factories.make_provider(name="Riverside Hospital NHS Trust", slug="riverside").slug


def _confirmation_path() -> str:
    body = db.session.scalar(select(OutboxEmail.body).where(OutboxEmail.kind == "question_confirm")) or ""
    match = re.search(r"https?://[^/\s]+(/providers/riverside/ask/confirm/\S+)", body)
    assert match is not None, body
    return match.group(1)


def ask(page: Any, live_server: LiveServer, email: str) -> None:
    page.goto(live_server / "/providers/riverside/ask")
    page.get_by_label("Your question").fill("Who funds the urology team?")
    page.get_by_label("Your email address (optional)").fill(email)
    page.get_by_role("button", name="Send your question").click()


def test_patient_confirms_their_address_and_every_page_is_accessible(
    live_server: LiveServer, page: Any
) -> None:
    live_server.populate(_provider)
    ask(page, live_server, "sam@example.org")
    page.wait_for_url(re.compile(r"/ask/sent$"))
    assert_accessible(page)

    path = live_server.populate(_confirmation_path)
    response = page.goto(live_server / path)
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my email address").click()
    page.get_by_role("heading", name="Email address confirmed").wait_for()
    assert_accessible(page)

    again = page.goto(live_server / path)
    assert again.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "This link does not work"
    assert_accessible(page)


def test_the_daily_limit_error_summary_is_accessible(live_server: LiveServer, page: Any) -> None:
    live_server.populate(_provider)
    for _ in range(3):
        ask(page, live_server, "sam@example.org")
        page.wait_for_url(re.compile(r"/ask/sent$"))
    ask(page, live_server, "sam@example.org")
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "You have asked 3 questions today" in summary.inner_text()
    assert_accessible(page)
