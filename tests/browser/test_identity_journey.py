"""Confirming where you work, using a provider's link, and a system admin deciding a claim: in a real
browser, by keyboard, with axe on every page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail
from tests.browser.conftest import LiveServer, assert_accessible, sign_in
from tests.factories import make_account, make_engagement, make_professional, make_provider

PROFESSIONAL = "rosa.lind@personal.example"
ADMIN = "sysadmin@register.example"


def _link_to(address: str) -> str:
    body = db.session.scalars(
        select(OutboxEmail.body).where(OutboxEmail.to_address == address, OutboxEmail.kind == "invitation")
    ).one()
    match = re.search(r"(/invitations/[A-Za-z0-9_\-]+)", body)
    assert match
    return match.group(1)


def populate(live_server: LiveServer) -> dict[str, Any]:
    def create() -> dict[str, Any]:
        from interests.services import invitations

        home = make_provider(name="Kestrel NHS Trust")
        recorded = make_provider(name="Heron Private Hospital", kind="independent_hospital")
        unrecorded = make_provider(name="Wren Clinic", kind="clinic")
        rosa = make_professional(given_name="Rosa", family_name="Lind", registration_number="3344556")
        make_engagement(rosa, home, role="Consultant anaesthetist", email=PROFESSIONAL)
        make_account("professional", email=PROFESSIONAL, professional=rosa)
        heron = make_engagement(
            rosa, recorded, role="Anaesthetist", email="r.lind@heron.example", confirmed_at=None
        )
        wren = make_engagement(
            rosa, unrecorded, role="Sessional anaesthetist", engagement_type="bank", confirmed_at=None
        )
        invitations.ask_one(heron, actor=None)
        # A stranger's claim on another number, for the system admin.
        ivo = make_professional(given_name="Ivo", family_name="Marsh", registration_number="2233445")
        make_account("professional", email="ivo@personal.example", professional=ivo)
        claimed = make_engagement(ivo, recorded, email="someone@elsewhere.example", confirmed_at=None)
        invitations.ask_one(claimed, actor=None)
        make_account("system_admin", email=ADMIN)
        db.session.flush()
        return {
            "heron_link": _link_to("r.lind@heron.example"),
            "claim_link": _link_to("someone@elsewhere.example"),
            "wren": wren.id,
        }

    return live_server.populate(create)


def test_professional_confirms_where_they_work_by_keyboard_and_by_link(
    page: Any, live_server: LiveServer
) -> None:
    data = populate(live_server)
    sign_in(page, live_server, PROFESSIONAL)
    assert page.url.endswith("/declare")
    assert page.locator("#confirm-where-you-work").inner_text() == "Confirm where you work"
    assert_accessible(page)
    # Wren recorded no address: confirm it from the keyboard.
    page.locator(f"#engagement-{data['wren']} button[value=confirm]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Thank you: your declarations can now go to Wren Clinic" in page.locator("main").inner_text()
    assert_accessible(page)
    # Heron recorded another address: its link, opened while signed in, confirms it.
    page.goto(live_server / data["heron_link"])
    assert page.locator("h1").inner_text() == "Confirm that you work at Heron Private Hospital"
    assert_accessible(page)
    page.get_by_role("button", name="Confirm that I work there").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/declare")
    assert page.locator("#confirm-where-you-work").count() == 0  # nothing left to confirm
    assert "Heron Private Hospital" in page.locator("#workplaces").inner_text()


def test_someone_else_using_a_link_asks_for_a_check_and_a_system_admin_decides(
    page: Any, live_server: LiveServer
) -> None:
    data = populate(live_server)
    page.goto(live_server / data["claim_link"])
    assert page.locator("h1").inner_text() == "This registration number already has an account"
    assert_accessible(page)
    page.get_by_role("button", name="Ask for a check").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "We will check and tell you"
    assert_accessible(page)

    sign_in(page, live_server, ADMIN)
    assert page.url.endswith("/admin")
    assert "1 claim waiting for a decision" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Identity claims").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Ivo Marsh, GMC 2233445")).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Record decision").click()  # nothing chosen: errors, axe again
    page.wait_for_load_state()
    assert "Select what you have decided" in page.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Keep the account with its address and refuse the claim").check()
    page.get_by_label("Your reason").fill("The GMC confirmed the account's address belongs to Dr Marsh")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_load_state()
    assert "No claims are waiting for a decision" in page.locator("main").inner_text()
    assert_accessible(page)
