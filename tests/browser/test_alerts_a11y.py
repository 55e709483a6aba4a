"""The email alert pages in Chromium: axe finds no WCAG 2.2 AA problems, and the journey works by
keyboard (ask, confirm by the emailed link, stop by the digest's link)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from interests.extensions import db
from interests.models import AlertSubscription, OutboxEmail
from interests.services import alerts
from tests.browser.conftest import LiveServer, assert_accessible
from tests.public_data import Register, build_and_index


@pytest.fixture
def data(live_server: LiveServer) -> Register:
    return live_server.populate(build_and_index)


def _tokens() -> tuple[str, str, str]:
    subscription = AlertSubscription(
        email="reader@example.org", kind="provider", target="st-elsewhere", label="St Elsewhere", nonce="n1"
    )
    db.session.add(subscription)
    db.session.flush()
    return (
        alerts.confirm_token(subscription),
        alerts.unsubscribe_token(subscription),
        alerts.unsubscribe_all_token([subscription]),
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/alerts", 200),
        ("/alerts?provider=st-elsewhere", 200),
        ("/alerts?professional={william}", 200),
        ("/alerts?q=medivance", 200),
        ("/alerts?provider=nowhere", 404),
        ("/alerts/check-your-email", 200),
        ("/alerts/confirm/{confirm}", 200),
        ("/alerts/confirm/not-a-token", 404),
        ("/alerts/unsubscribe/{unsubscribe}", 200),
        ("/alerts/unsubscribe/not-a-token", 404),
        ("/alerts/unsubscribe-all/{unsubscribe_all}", 200),
        ("/alerts/unsubscribe-all/not-a-token", 404),
    ],
)
def test_alert_page_has_no_accessibility_violations(
    live_server: LiveServer, page: Any, data: Register, path: str, status: int
) -> None:
    confirm, unsubscribe, unsubscribe_all = live_server.populate(_tokens)
    response = page.goto(
        live_server
        / path.format(
            william=data.william, confirm=confirm, unsubscribe=unsubscribe, unsubscribe_all=unsubscribe_all
        )
    )
    assert response.status == status
    assert_accessible(page)


def test_asking_confirming_and_stopping_alerts(live_server: LiveServer, page: Any, data: Register) -> None:
    page.goto(live_server / "/providers/st-elsewhere")
    page.get_by_role("link", name="Get email alerts").click()
    page.get_by_role("button", name="Get email alerts").click()
    assert "Enter your email address" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Your email address").fill("reader@example.org")
    page.keyboard.press("Enter")
    page.wait_for_url("**/alerts/check-your-email")

    def confirm_link() -> str:
        body = db.session.scalar(select(OutboxEmail.body).where(OutboxEmail.kind == "alert_confirm"))
        return re.search(r"http://\S+/alerts/confirm/\S+", body).group(0)

    link = live_server.populate(confirm_link)
    page.goto(link)  # on BASE_URL: this live server
    page.get_by_role("button", name="Start my email alerts").click()
    assert "Your email alerts have started" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)

    def unsubscribe_path() -> str:
        subscription = db.session.scalar(select(AlertSubscription))
        return "/alerts/unsubscribe/" + alerts.unsubscribe_token(subscription)

    page.goto(live_server / live_server.populate(unsubscribe_path))
    page.get_by_role("button", name="Stop these emails").click()
    assert "Your email alerts have stopped" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
