"""System admins run accounts at /admin/accounts: find, disable and enable, unlock, change a role or
a provider admin's providers, send a professional a new link. Every action is audited with who and
why and written to the security log; the guards hold against forged requests (OWASP ASVS 5.0 L2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Account, AuditEvent, Engagement, RecoveryCode, SecurityEvent, utcnow
from interests.services import invitations, sealing, second_factor, security_log
from interests.services.account_admin import REASON_MAX_LENGTH
from tests import factories
from tests.identity_helpers import emails_to, link_in, signed_in
from tests.pages import error_summary, soup, text

pytestmark = pytest.mark.alldb

ADMIN = "sysadmin@register.example"
OTHER_ADMIN = "second-admin@register.example"
LEAD = "lead@ashby.example"
INSPECTOR = "ines@cqc.example"
PRO = "sam.reed@mail.example"
PRO_AT_NORTHGATE = "s.reed@northgate.example"  # the address Northgate recorded for Sam


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        ashby = factories.make_provider(slug="ashby", name="Ashby General")
        northgate = factories.make_provider(slug="northgate", name="Northgate Clinic")
        admin = factories.make_account("system_admin", email=ADMIN, full_name="Ada Admin")
        other = factories.make_account("system_admin", email=OTHER_ADMIN)
        lead = factories.make_account("provider_admin", email=LEAD, providers=[ashby], full_name="Lee Lead")
        inspector = factories.make_account("inspector", email=INSPECTOR)
        sam = factories.make_professional(given_name="Sam", family_name="Reed")
        factories.make_engagement(sam, ashby)
        pro = factories.make_account("professional", email=PRO, professional=sam)
        # Northgate added Sam with its own address; Sam has not confirmed yet.
        engagement = factories.make_engagement(sam, northgate, confirmed_at=None, email=PRO_AT_NORTHGATE)
        invitations.ask_one(engagement, actor=None)
        db.session.commit()
        return {
            "ashby": ashby.id,
            "northgate": northgate.id,
            "admin": admin.id,
            "other": other.id,
            "lead": lead.id,
            "inspector": inspector.id,
            "pro": pro.id,
            "sam": sam.id,
            "engagement": engagement.id,
        }


def get_account(app: Flask, account_id: int) -> Account:
    with app.app_context():
        found = db.session.get(Account, account_id)
        assert found is not None
        found.providers  # noqa: B018 - loaded before the session closes
        db.session.expunge(found)
        return found


def audit_events(app: Flask, account_id: int) -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "account", AuditEvent.entity_id == account_id)
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def admin_actions(app: Flask) -> list[SecurityEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(SecurityEvent)
                .where(SecurityEvent.kind == security_log.ADMIN_ACTION)
                .order_by(SecurityEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def is_sign_in_redirect(response: Any) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in"


def summary_text(response: Any) -> str:
    return " ".join(error_summary(response))


def assert_audited(app: Flask, world: dict[str, Any], target: int, action: str, reason: str) -> None:
    """The account's latest audit event is this action, by the admin, with the reason; the
    security log has the admin's action naming the account and the reason."""
    event = audit_events(app, target)[-1]
    assert event.action == action
    assert event.account_id == world["admin"]
    assert ADMIN in event.summary and reason in event.summary
    assert event.data["reason"] == reason
    logged = admin_actions(app)[-1]
    assert logged.account_id == world["admin"]
    assert f"Account {target}:" in logged.detail and reason in logged.detail


# --- Who may come here ------------------------------------------------------------------------------


def account_paths(world: dict[str, Any]) -> list[str]:
    pro, lead = world["pro"], world["lead"]
    return [
        "/admin/accounts",
        f"/admin/accounts/{pro}",
        f"/admin/accounts/{pro}/disable",
        f"/admin/accounts/{pro}/enable",
        f"/admin/accounts/{pro}/unlock",
        f"/admin/accounts/{lead}/remove-second-factor",
        f"/admin/accounts/{lead}/role",
        f"/admin/accounts/{lead}/providers/add",
        f"/admin/accounts/{lead}/providers/{world['ashby']}/remove",
        f"/admin/accounts/{pro}/engagements/{world['engagement']}/ask-again",
    ]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_account_page(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    for path in account_paths(world):
        assert is_sign_in_redirect(client.get(path)), path
    for path in account_paths(world)[2:]:  # the actions
        assert is_sign_in_redirect(client.post(path, data={"reason": "x", "role": "system_admin"})), path
    assert get_account(app, world["pro"]).active


@pytest.mark.parametrize("email", [PRO, LEAD, INSPECTOR])
def test_other_roles_are_refused_every_account_page_and_action(
    app: Flask, world: dict[str, Any], email: str
) -> None:
    client = signed_in(app, email)
    for path in account_paths(world):
        assert client.get(path).status_code == 403, path
    for path in account_paths(world)[2:]:  # the actions
        forced = client.post(path, data={"reason": "x", "role": "system_admin", "provider": "northgate"})
        assert forced.status_code == 403, path
    assert get_account(app, world["pro"]).active
    assert get_account(app, world["lead"]).role == "provider_admin"
    assert [p.slug for p in get_account(app, world["lead"]).providers] == ["ashby"]
    assert admin_actions(app) == []


def test_the_admin_home_links_to_accounts(app: Flask, world: dict[str, Any]) -> None:
    page = soup(signed_in(app, ADMIN).get("/admin"))
    assert page.select_one('a[href="/admin/accounts"]') is not None


def test_made_up_ids_are_not_found(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    pro, lead = world["pro"], world["lead"]
    for path in ["/admin/accounts/999999", "/admin/accounts/99999999999999999999"]:
        assert admin.get(path).status_code == 404, path
    for path in [
        "/admin/accounts/999999/disable",
        "/admin/accounts/999999/role",
        f"/admin/accounts/{pro}/delete",
        # Northgate is not one of the lead's providers; the professional runs none.
        f"/admin/accounts/{lead}/providers/{world['northgate']}/remove",
        f"/admin/accounts/{pro}/providers/{world['ashby']}/remove",
        f"/admin/accounts/{pro}/providers/add",
        # The engagement is the professional's, not the lead's; 999999 is nobody's.
        f"/admin/accounts/{lead}/engagements/{world['engagement']}/ask-again",
        f"/admin/accounts/{pro}/engagements/999999/ask-again",
    ]:
        assert admin.get(path).status_code == 404, path
        assert admin.post(path, data={"reason": "probing"}).status_code == 404, path
    assert admin_actions(app) == []


def test_a_post_without_a_csrf_token_is_refused(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert admin.post(f"/admin/accounts/{world['pro']}/disable", data={"reason": "x"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert get_account(app, world["pro"]).active


# --- Finding accounts -------------------------------------------------------------------------------


def rows(response: Any) -> list[str]:
    return [text(row.select_one("td")) for row in soup(response).select("#accounts tbody tr")]


def test_the_list_shows_each_accounts_email_name_role_providers_status_and_last_sign_in(
    app: Flask, world: dict[str, Any]
) -> None:
    with app.app_context():
        lead = db.session.get(Account, world["lead"])
        lead.last_signed_in_at = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)
        db.session.commit()
    response = signed_in(app, ADMIN).get("/admin/accounts")
    assert response.status_code == 200
    assert text(soup(response).select_one("#results-heading")) == "5 accounts"
    row = soup(response).select_one(f'tr[data-account-id="{world["lead"]}"]')
    cells = [text(cell) for cell in row.select("td")]
    assert cells == [LEAD, "Lee Lead", "Provider admin", "Ashby General", "Active", "1 April 2025"]
    assert row.select_one("a")["href"] == f"/admin/accounts/{world['lead']}"
    inspector = soup(response).select_one(f'tr[data-account-id="{world["inspector"]}"]')
    assert [text(cell) for cell in inspector.select("td")][3:] == ["None", "Active", "Never"]


def test_accounts_are_found_by_part_of_the_email_or_name_and_filtered_by_role_and_status(
    app: Flask, world: dict[str, Any]
) -> None:
    with app.app_context():
        db.session.get(Account, world["inspector"]).active = False
        db.session.get(Account, world["lead"]).locked_until = utcnow() + timedelta(minutes=10)
        db.session.commit()
    admin = signed_in(app, ADMIN)
    assert rows(admin.get("/admin/accounts?q=ASHBY")) == [LEAD]
    assert rows(admin.get("/admin/accounts?q=ada+adm")) == [ADMIN]
    assert rows(admin.get("/admin/accounts?q=%25")) == []  # a wildcard is a character like any other
    assert rows(admin.get("/admin/accounts?role=system_admin")) == [OTHER_ADMIN, ADMIN]
    assert rows(admin.get("/admin/accounts?status=disabled")) == [INSPECTOR]
    assert rows(admin.get("/admin/accounts?status=locked")) == [LEAD]
    assert LEAD not in rows(admin.get("/admin/accounts?status=active"))
    assert rows(admin.get("/admin/accounts?role=provider_admin&status=active")) == []
    status = soup(admin.get("/admin/accounts?status=locked")).select_one("td[data-status]")
    assert text(status) == "Locked"


def test_a_bad_filter_is_reported_and_ignored(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    response = admin.get("/admin/accounts?role=root&status=gone&q=" + "x" * 400)
    assert response.status_code == 200
    summary = summary_text(response)
    assert "Select a role from the list" in summary and "Select a status from the list" in summary
    assert "Enter 320 characters or fewer" in summary
    assert len(rows(response)) == 5
    assert admin.get("/admin/accounts?page=%C2%B2").status_code == 200


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 4}])
def test_the_list_is_paginated_and_keeps_the_filters(app: Flask, world: dict[str, Any]) -> None:
    with app.app_context():
        for n in range(7):
            factories.make_account("inspector", email=f"inspector-{n:02d}@cqc.example")
        db.session.commit()
    admin = signed_in(app, ADMIN)
    first = admin.get("/admin/accounts?role=inspector")
    assert text(soup(first).select_one("#results-heading")) == "8 accounts"
    assert rows(first) == [INSPECTOR, *[f"inspector-{n:02d}@cqc.example" for n in range(3)]]
    next_link = soup(first).select_one(".nhsuk-pagination__link--next")["href"]
    assert next_link == "/admin/accounts?role=inspector&page=2"
    second = admin.get(next_link)
    assert rows(second) == [f"inspector-{n:02d}@cqc.example" for n in range(3, 7)]
    assert soup(second).select_one(".nhsuk-pagination__link--next") is None
    assert rows(admin.get("/admin/accounts?role=inspector&page=99")) == rows(second)


# --- An account's page --------------------------------------------------------------------------------


def test_an_accounts_page_shows_its_details_providers_and_recent_events(
    app: Flask, world: dict[str, Any]
) -> None:
    signed_in(app, LEAD)  # a sign-in, in the security log
    response = signed_in(app, ADMIN).get(f"/admin/accounts/{world['lead']}")
    assert response.status_code == 200
    page = soup(response)
    assert LEAD in text(page.select_one("h1"))
    assert "Ashby General (ashby)" in text(page.select_one("#providers"))
    assert [row["data-kind"] for row in page.select("#security-events tbody tr")] == ["sign_in"]
    assert "created with role provider_admin" in text(page.select_one("#audit"))


def test_a_professionals_page_offers_a_new_link_for_the_unconfirmed_engagement_only(
    app: Flask, world: dict[str, Any]
) -> None:
    page = soup(signed_in(app, ADMIN).get(f"/admin/accounts/{world['pro']}"))
    links = page.select("#engagements a")
    assert [a["href"] for a in links] == [
        f"/admin/accounts/{world['pro']}/engagements/{world['engagement']}/ask-again"
    ]
    assert "Northgate Clinic" in text(page.select_one("#engagements"))
    assert PRO_AT_NORTHGATE not in str(page)  # a provider's record of a person stays its own
    assert page.select_one(f'a[href="/admin/accounts/{world["pro"]}/role"]') is None


# --- Disable and enable -------------------------------------------------------------------------------


def test_disabling_ends_the_accounts_open_session_at_its_next_request(
    app: Flask, world: dict[str, Any]
) -> None:
    professional = signed_in(app, PRO)
    assert professional.get("/declare").status_code == 200
    admin = signed_in(app, ADMIN)
    response = admin.post(f"/admin/accounts/{world['pro']}/disable", data={"reason": "Left the NHS"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/accounts/{world['pro']}"
    assert is_sign_in_redirect(professional.get("/declare"))
    assert not get_account(app, world["pro"]).active
    assert_audited(app, world, world["pro"], "account.disabled", "Left the NHS")
    # Signing in again is refused while it is disabled, even with the right password.
    assert factories.sign_in(app.test_client(), PRO).status_code == 200
    page = soup(admin.get(f"/admin/accounts/{world['pro']}"))
    assert "Disabled" in text(page.select_one(".nhsuk-summary-list"))
    assert "Left the NHS" in text(page.select_one("#audit"))


def test_an_enabled_account_can_sign_in_again(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    admin.post(f"/admin/accounts/{world['pro']}/disable", data={"reason": "Suspicious activity"})
    response = admin.post(
        f"/admin/accounts/{world['pro']}/enable", data={"reason": "Checked with Sam by phone"}
    )
    assert response.status_code == 302
    assert_audited(app, world, world["pro"], "account.enabled", "Checked with Sam by phone")
    assert factories.sign_in(app.test_client(), PRO).status_code == 302
    # Enabling an enabled account is refused, with the reason on the page and nothing recorded.
    before = len(admin_actions(app))
    again = admin.post(f"/admin/accounts/{world['pro']}/enable", data={"reason": "twice"})
    assert again.status_code == 200 and "This account is not disabled" in summary_text(again)
    assert len(admin_actions(app)) == before


def test_an_admin_cannot_disable_themselves(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    response = admin.post(f"/admin/accounts/{world['admin']}/disable", data={"reason": "oops"})
    assert response.status_code == 200
    assert "You cannot disable your own account" in summary_text(response)
    assert get_account(app, world["admin"]).active
    assert admin.get("/admin/accounts").status_code == 200  # still signed in
    own = soup(admin.get(f"/admin/accounts/{world['admin']}"))
    assert "This is your own account" in text(own.select_one("#own-account"))
    assert own.select_one(f'a[href="/admin/accounts/{world["admin"]}/disable"]') is None


def test_the_last_active_system_admin_cannot_be_disabled_or_demoted(
    app: Flask, world: dict[str, Any]
) -> None:
    admin = signed_in(app, ADMIN)
    assert admin.post(f"/admin/accounts/{world['other']}/disable", data={"reason": "Left"}).status_code == 302
    # With the other admin disabled, this admin is the last: the service refuses, whoever asks.
    from interests.services import account_admin

    with app.app_context():
        me = db.session.get(Account, world["admin"])
        other = db.session.get(Account, world["other"])
        for attempt in (
            lambda: account_admin.disable(me, reason="x", actor=other),
            lambda: account_admin.change_role(me, "inspector", reason="x", actor=other),
        ):
            with pytest.raises(account_admin.AccountAdminProblem, match="last active system admin"):
                attempt()
        db.session.rollback()
    assert get_account(app, world["admin"]).active
    assert get_account(app, world["admin"]).role == "system_admin"


# --- Unlock -------------------------------------------------------------------------------------------


def test_unlocking_a_locked_account_lets_its_owner_sign_in_now(app: Flask, world: dict[str, Any]) -> None:
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        factories.sign_in(app.test_client(), LEAD, "not the password")
    assert factories.sign_in(app.test_client(), LEAD).status_code == 200  # locked
    admin = signed_in(app, ADMIN)
    page = soup(admin.get(f"/admin/accounts/{world['lead']}"))
    assert "Locked until" in text(page.select_one(".nhsuk-summary-list"))
    response = admin.post(f"/admin/accounts/{world['lead']}/unlock", data={"reason": "Lee called the desk"})
    assert response.status_code == 302
    lead = get_account(app, world["lead"])
    assert (lead.locked_until, lead.failed_sign_ins, lead.first_failed_at) == (None, 0, None)
    assert_audited(app, world, world["lead"], "account.unlocked", "Lee called the desk")
    assert factories.sign_in(app.test_client(), LEAD).status_code == 302
    again = admin.post(f"/admin/accounts/{world['lead']}/unlock", data={"reason": "again"})
    assert "This account is not locked" in summary_text(again)


def test_removing_a_lost_second_factor_lets_its_owner_sign_in_with_the_password_alone(
    app: Flask, world: dict[str, Any]
) -> None:
    with app.app_context():
        lead = db.session.get(Account, world["lead"])
        assert lead is not None
        secret = pyotp.random_base32()
        lead.totp_secret = sealing.seal(secret)
        second_factor.turn_on(lead, pyotp.TOTP(secret).now())
        db.session.commit()
    owner = app.test_client()
    assert factories.sign_in(owner, LEAD).headers["Location"] == "/sign-in/code"  # a code is asked for
    admin = signed_in(app, ADMIN)
    page = soup(admin.get(f"/admin/accounts/{world['lead']}"))
    assert "On since" in text(page.select_one(".nhsuk-summary-list"))
    response = admin.post(
        f"/admin/accounts/{world['lead']}/remove-second-factor",
        data={"reason": "Lost phone; called from desk"},
    )
    assert response.status_code == 302
    lead_now = get_account(app, world["lead"])
    assert not lead_now.has_second_factor and lead_now.totp_secret is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
        assert emails_to(LEAD)[-1].subject == "The second factor was removed from your account"
    assert_audited(app, world, world["lead"], "account.second_factor_removed", "Lost phone; called from desk")
    assert factories.sign_in(app.test_client(), LEAD).status_code == 302  # the password alone now
    assert "Off" in text(
        soup(admin.get(f"/admin/accounts/{world['lead']}")).select_one(".nhsuk-summary-list")
    )
    again = admin.post(f"/admin/accounts/{world['lead']}/remove-second-factor", data={"reason": "again"})
    assert "This account does not have a second factor" in summary_text(again)


# --- The reason -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you are doing this"),
        ("   \t ", "Enter why you are doing this"),
        ("x" * (REASON_MAX_LENGTH + 1), f"Your reason must be {REASON_MAX_LENGTH:,} characters or fewer"),
    ],
)
def test_every_action_needs_a_short_reason(
    app: Flask, world: dict[str, Any], reason: str, message: str
) -> None:
    admin = signed_in(app, ADMIN)
    pro, lead = world["pro"], world["lead"]
    for path, data in [
        (f"/admin/accounts/{pro}/disable", {}),
        (f"/admin/accounts/{lead}/role", {"role": "inspector"}),
        (f"/admin/accounts/{lead}/providers/add", {"provider": "northgate"}),
        (f"/admin/accounts/{pro}/engagements/{world['engagement']}/ask-again", {}),
    ]:
        response = admin.post(path, data={**data, "reason": reason})
        assert response.status_code == 200, path
        page = soup(response)
        assert text(page.select_one(".nhsuk-error-summary a[href='#reason']")) == message, path
        assert text(page.select_one("title")).startswith("Error:")
    assert get_account(app, pro).active
    assert get_account(app, lead).role == "provider_admin"
    assert [p.slug for p in get_account(app, lead).providers] == ["ashby"]
    assert admin_actions(app) == []


def test_a_hostile_reason_is_kept_as_text_and_shown_escaped(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    hostile = '<script>alert("x")</script> =cmd|calc'
    assert admin.post(f"/admin/accounts/{world['pro']}/disable", data={"reason": hostile}).status_code == 302
    page = admin.get(f"/admin/accounts/{world['pro']}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


# --- Change role ----------------------------------------------------------------------------------------


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_changing_a_role_needs_the_password_entered_in_the_last_15_minutes(
    app: Flask, world: dict[str, Any], clock: time_machine.Traveller
) -> None:
    admin = signed_in(app, ADMIN)
    clock.shift(timedelta(minutes=16))
    path = f"/admin/accounts/{world['lead']}/role"
    asked = admin.get(path)
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/sign-in/confirm?")
    forced = admin.post(path, data={"role": "inspector", "reason": "Moved to CQC"})
    assert forced.status_code == 302 and forced.headers["Location"].startswith("/sign-in/confirm?")
    assert get_account(app, world["lead"]).role == "provider_admin"
    confirmed = admin.post("/sign-in/confirm", data={"password": factories.PASSWORD, "next": path})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == path
    assert admin.get(path).status_code == 200
    assert admin.post(path, data={"role": "inspector", "reason": "Moved to CQC"}).status_code == 302
    assert get_account(app, world["lead"]).role == "inspector"


def test_changing_a_role_ends_the_accounts_sessions_and_is_audited(app: Flask, world: dict[str, Any]) -> None:
    lead = signed_in(app, LEAD)
    assert lead.get("/manage/ashby").status_code == 200
    admin = signed_in(app, ADMIN)
    response = admin.post(
        f"/admin/accounts/{world['lead']}/role", data={"role": "inspector", "reason": "Joined the CQC"}
    )
    assert response.status_code == 302
    assert is_sign_in_redirect(lead.get("/manage/ashby"))
    changed = get_account(app, world["lead"])
    assert changed.role == "inspector" and changed.providers == []
    assert_audited(app, world, world["lead"], "account.role_changed", "Joined the CQC")
    event = audit_events(app, world["lead"])[-1]
    assert event.data["from"] == "provider_admin" and event.data["to"] == "inspector"
    assert event.data["providers_removed"] == ["ashby"]
    # Signed in again, they are an inspector, and Ashby's pages are no longer theirs.
    again = signed_in(app, LEAD)
    assert again.get("/inspect").status_code == 200
    assert again.get("/manage/ashby").status_code == 403


def test_a_new_provider_admin_needs_a_provider_on_the_register(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    path = f"/admin/accounts/{world['inspector']}/role"
    missing = admin.post(path, data={"role": "provider_admin", "reason": "New lead"})
    assert "Enter the provider this provider admin will run" in summary_text(missing)
    assert soup(missing).select_one(".nhsuk-error-summary a")["href"] == "#provider"
    unknown = admin.post(path, data={"role": "provider_admin", "provider": "nowhere", "reason": "New lead"})
    assert "Enter the name or short name of a provider on the register" in summary_text(unknown)
    assert get_account(app, world["inspector"]).role == "inspector"
    by_name = admin.post(
        path, data={"role": "provider_admin", "provider": " northgate  CLINIC", "reason": "New lead"}
    )
    assert by_name.status_code == 302
    made = get_account(app, world["inspector"])
    assert made.role == "provider_admin" and [p.slug for p in made.providers] == ["northgate"]
    assert signed_in(app, INSPECTOR).get("/manage/northgate").status_code == 200


def test_a_professionals_account_role_is_never_changed(app: Flask, world: dict[str, Any]) -> None:
    admin = signed_in(app, ADMIN)
    for role in ("system_admin", "inspector", "provider_admin", "professional"):
        response = admin.post(
            f"/admin/accounts/{world['pro']}/role", data={"role": role, "provider": "ashby", "reason": "x"}
        )
        assert response.status_code == 200
        assert "This is a professional's own account" in summary_text(response) or (
            "Not a valid choice" in summary_text(response)
        )
    assert get_account(app, world["pro"]).role == "professional"
    assert admin_actions(app) == []


def test_an_admin_cannot_change_their_own_role_or_give_an_unknown_one(
    app: Flask, world: dict[str, Any]
) -> None:
    admin = signed_in(app, ADMIN)
    own = admin.post(f"/admin/accounts/{world['admin']}/role", data={"role": "inspector", "reason": "x"})
    assert "You cannot change the role of your own account" in summary_text(own)
    for role in ("root", "professional", ""):
        forged = admin.post(f"/admin/accounts/{world['other']}/role", data={"role": role, "reason": "x"})
        assert forged.status_code == 200 and summary_text(forged)
    same = admin.post(f"/admin/accounts/{world['other']}/role", data={"role": "system_admin", "reason": "x"})
    assert "already a system admin" in summary_text(same)
    assert get_account(app, world["admin"]).role == "system_admin"
    assert get_account(app, world["other"]).role == "system_admin"
    assert admin_actions(app) == []


# --- Providers ----------------------------------------------------------------------------------------


def test_adding_and_removing_a_provider_changes_what_the_provider_admin_can_reach(
    app: Flask, world: dict[str, Any]
) -> None:
    lead = signed_in(app, LEAD)
    assert lead.get("/manage/northgate").status_code == 404
    admin = signed_in(app, ADMIN)
    path = f"/admin/accounts/{world['lead']}"
    added = admin.post(f"{path}/providers/add", data={"provider": "North", "reason": "Covering"})
    assert "Enter the name or short name of a provider on the register" in summary_text(added)
    added = admin.post(
        f"{path}/providers/add", data={"provider": "northgate", "reason": "Covering for leave"}
    )
    assert added.status_code == 302
    assert_audited(app, world, world["lead"], "account.provider_added", "Covering for leave")
    assert lead.get("/manage/northgate").status_code == 200  # the same session, at once
    twice = admin.post(f"{path}/providers/add", data={"provider": "northgate", "reason": "again"})
    assert "already runs Northgate Clinic" in summary_text(twice)

    removed = admin.post(f"{path}/providers/{world['ashby']}/remove", data={"reason": "Left Ashby"})
    assert removed.status_code == 302
    assert_audited(app, world, world["lead"], "account.provider_removed", "Left Ashby")
    assert lead.get("/manage/ashby").status_code == 404
    assert lead.get("/manage/northgate").status_code == 200
    # The last provider stays: a provider admin runs at least one.
    last = admin.post(f"{path}/providers/{world['northgate']}/remove", data={"reason": "Left"})
    assert last.status_code == 200 and "must run at least one provider" in summary_text(last)
    assert [p.slug for p in get_account(app, world["lead"]).providers] == ["northgate"]


# --- A new link for a professional -------------------------------------------------------------------


def test_a_new_link_goes_to_the_address_the_provider_recorded_and_the_old_one_stops(
    app: Flask, world: dict[str, Any]
) -> None:
    with app.app_context():
        [first] = [e for e in emails_to(PRO_AT_NORTHGATE) if e.kind == "invitation"]
        old_link = link_in(first)
    assert app.test_client().get(old_link).status_code == 200
    admin = signed_in(app, ADMIN)
    path = f"/admin/accounts/{world['pro']}/engagements/{world['engagement']}/ask-again"
    page = admin.get(path)
    assert page.status_code == 200 and PRO_AT_NORTHGATE not in page.get_data(as_text=True)
    response = admin.post(path, data={"reason": "Sam says the link expired"})
    assert response.status_code == 302
    with app.app_context():
        links = [link_in(e) for e in emails_to(PRO_AT_NORTHGATE) if e.kind == "invitation"]
        assert len(links) == 2
        new_link = links[-1]
        # The account's own address is told too, as the first time (never sent the link).
        notices = [e.kind for e in emails_to(PRO)]
        assert notices == ["confirm_engagement", "confirm_engagement"]
    assert new_link != old_link
    assert app.test_client().get(old_link).status_code == 404
    assert app.test_client().get(new_link).status_code == 200
    assert_audited(app, world, world["pro"], "engagement.invitation_resent", "Sam says the link expired")
    # Sam confirms with the new link, signed in: the engagement is no longer offered.
    assert signed_in(app, PRO).post(new_link).status_code == 302
    with app.app_context():
        assert db.session.get(Engagement, world["engagement"]).confirmed_at is not None
    assert admin.get(path).status_code == 404


def test_a_confirmed_engagement_is_never_asked_about_again(app: Flask, world: dict[str, Any]) -> None:
    with app.app_context():
        db.session.get(Engagement, world["engagement"]).confirmed_at = utcnow()
        db.session.commit()
    admin = signed_in(app, ADMIN)
    path = f"/admin/accounts/{world['pro']}/engagements/{world['engagement']}/ask-again"
    assert admin.post(path, data={"reason": "x"}).status_code == 404
    with app.app_context():
        assert len([e for e in emails_to(PRO_AT_NORTHGATE) if e.kind == "invitation"]) == 1
    assert "None: every provider" in text(
        soup(admin.get(f"/admin/accounts/{world['pro']}")).select_one("#no-engagements")
    )
