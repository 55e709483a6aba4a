"""Attacks on accounts: sign-in, lockout, password change and reset, sessions, and the system admin's
account pages and security log - as a hostile provider admin, a professional, an anonymous script,
a careless system admin (or whoever holds their session), and whoever holds a stolen cookie.

Each test is one attack and what the register does about it (OWASP ASVS 5.0 Level 2).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, OutboxEmail, SecurityEvent, utcnow
from interests.services import sealing, second_factor
from tests import factories
from tests.identity_helpers import signed_in
from tests.pages import error_summary

ADMIN = "sysadmin@register.example"
OTHER_ADMIN = "second-admin@register.example"
LEAD = "lead@ashby.example"
PRO = "rosa.diaz@mail.example"
NEW_PASSWORD = "plinth marmalade quartz anchor"


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        ashby = factories.make_provider(slug="ashby", name="Ashby General")
        factories.make_provider(slug="northgate", name="Northgate Clinic")
        admin = factories.make_account("system_admin", email=ADMIN)
        other = factories.make_account("system_admin", email=OTHER_ADMIN)
        lead = factories.make_account("provider_admin", email=LEAD, providers=[ashby])
        pro = factories.make_account("professional", email=PRO)
        db.session.commit()
        return {"admin": admin.id, "other": other.id, "lead": lead.id, "pro": pro.id}


def account(app: Flask, account_id: int) -> Account:
    with app.app_context():
        found = db.session.get(Account, account_id)
        assert found is not None
        db.session.expunge(found)
        return found


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def reset_path(app: Flask, address: str) -> str:
    with app.app_context():
        body = db.session.scalars(
            select(OutboxEmail.body)
            .where(OutboxEmail.to_address == address, OutboxEmail.kind == "password_reset")
            .order_by(OutboxEmail.id.desc())
        ).first()
    assert body is not None
    match = re.search(r"(https?://[^/\s]+)(/sign-in/reset/[A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(2)


# --- Lockout ------------------------------------------------------------------------------------------


def test_guessing_the_current_password_on_the_change_page_counts_towards_the_lockout(
    app: Flask, world: dict[str, Any]
) -> None:
    """Whoever holds a stolen session must not get unlimited guesses at the password there."""
    thief = signed_in(app, PRO)
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        thief.post(
            "/account/password",
            data={"current_password": "a wrong guess", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    assert account(app, world["pro"]).locked_until is not None
    # Locked: even the right password changes nothing now.
    response = thief.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert factories.sign_in(app.test_client(), PRO, NEW_PASSWORD).status_code == 200


# --- Password reset links -------------------------------------------------------------------------


def test_the_reset_page_sends_no_referrer_so_its_token_goes_nowhere(
    app: Flask, world: dict[str, Any]
) -> None:
    app.test_client().post("/sign-in/reset", data={"email": PRO})
    path = reset_path(app, PRO)
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # And the sign-in page, with no secret in its address, keeps the usual policy.
    assert app.test_client().get("/sign-in").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None}])
def test_a_reset_link_is_built_on_base_url_whatever_host_the_request_names(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    client.post(
        "/sign-in/reset",
        data={"email": PRO},
        base_url="http://evil.example",
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    with app.app_context():
        [body] = db.session.scalars(select(OutboxEmail.body).where(OutboxEmail.to_address == PRO))
    assert "evil.example" not in body
    assert "http://localhost/sign-in/reset/" in body


def test_a_reset_link_does_not_work_once_its_account_is_disabled(app: Flask, world: dict[str, Any]) -> None:
    app.test_client().post("/sign-in/reset", data={"email": PRO})
    path = reset_path(app, PRO)
    admin = signed_in(app, ADMIN)
    admin.post(f"/admin/accounts/{world['pro']}/disable", data={"reason": "Left the trust"})
    response = app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    # Enabled again later, the old link still does not work: disabling retired it.
    admin.post(f"/admin/accounts/{world['pro']}/enable", data={"reason": "Back"})
    assert app.test_client().get(path).status_code == 404


def test_a_reset_link_does_not_work_after_the_password_was_changed(app: Flask, world: dict[str, Any]) -> None:
    app.test_client().post("/sign-in/reset", data={"email": PRO})
    path = reset_path(app, PRO)
    owner = signed_in(app, PRO)
    owner.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert app.test_client().get(path).status_code == 404


# --- Sessions -------------------------------------------------------------------------------------


def remember_cookie(app: Flask, account_id: int) -> str:
    found = account(app, account_id)
    with app.test_request_context():
        return encode_cookie(found.get_id())


def test_a_remember_me_cookie_alone_never_signs_anyone_in(app: Flask, world: dict[str, Any]) -> None:
    """The register never issues one; a cookie made with the key (an old release's, or a leaked one
    replayed) must not open a session without the sign-in times the timeouts are measured from."""
    client = app.test_client()
    client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie(app, world["admin"]))
    response = client.get("/admin/accounts")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in"
    # And the sign-in page itself answers, rather than sending the browser round in circles.
    assert client.get("/sign-in").status_code == 200
    assert client.get("/admin").status_code == 302


def test_a_disabled_account_stops_at_its_next_request(app: Flask, world: dict[str, Any]) -> None:
    victim = signed_in(app, LEAD)
    assert victim.get("/manage").status_code in (200, 302)
    signed_in(app, ADMIN).post(f"/admin/accounts/{world['lead']}/disable", data={"reason": "Left"})
    assert not is_signed_in(victim)


def test_changing_the_password_gives_this_session_a_new_csrf_secret(
    app: Flask, world: dict[str, Any]
) -> None:
    client = signed_in(app, PRO)
    client.get("/account/password")  # a form: its CSRF secret is now in the session
    with client.session_transaction() as session:
        session["csrf_token"] = "seen by someone else"
    client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    with client.session_transaction() as session:
        assert session.get("csrf_token") != "seen by someone else"
    assert is_signed_in(client)


# --- Input no page should fall over on --------------------------------------------------------------


@pytest.mark.alldb
@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts?q=a%00b",
        "/admin/security-events?email=a%00b",
        "/admin/security-events?address=1%00",
        "/admin/security-events.csv?email=a%00b",
    ],
)
def test_a_nul_character_in_an_admin_filter_is_not_a_server_error(
    app: Flask, world: dict[str, Any], path: str
) -> None:
    response = signed_in(app, ADMIN).get(path)
    assert response.status_code in (200, 400)
    response.get_data()  # the export is streamed: read it all


@pytest.mark.alldb
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/sign-in", {"email": "a\x00b@example.org", "password": "whatever"}),
        ("/sign-in/reset", {"email": "a\x00b@example.org"}),
    ],
)
def test_a_nul_character_in_an_email_typed_is_not_a_server_error(
    app: Flask, world: dict[str, Any], path: str, data: dict[str, str]
) -> None:
    response = app.test_client().post(path, data=data)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "query",
    ["page=99999999999999999999", "page=-1", "since=0001-01-01", "until=9999-12-31", "since=2026-02-30"],
)
def test_hostile_security_log_filters_get_a_page_not_a_server_error(
    app: Flask, world: dict[str, Any], query: str
) -> None:
    assert signed_in(app, ADMIN).get(f"/admin/security-events?{query}").status_code == 200


def test_a_hostile_browser_name_is_bounded_and_harmless_in_the_export(
    app: Flask, world: dict[str, Any]
) -> None:
    # (A raw newline cannot reach the app: HTTP servers refuse it in a header, as the test client does.)
    agent = "=cmd|' /C calc'!A0,\"Forged\" line" + "x" * 100_000
    app.test_client().post(
        "/sign-in", data={"email": "-2+3@example.org", "password": "nope"}, headers={"User-Agent": agent}
    )
    with app.app_context():
        stored = db.session.scalars(select(SecurityEvent.user_agent)).all()
    assert stored and all(len(value or "") <= 1000 for value in stored)
    response = signed_in(app, ADMIN).get("/admin/security-events.csv?kind=sign_in_failed")
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["Browser"].startswith("'=cmd")
    assert row["Email typed"] == "'-2+3@example.org"


# --- Forms from other sites -------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_every_account_form_refuses_a_post_without_its_csrf_token(app: Flask, world: dict[str, Any]) -> None:
    pro = world["pro"]
    lead = world["lead"]
    with app.app_context():
        ashby_id = account_providers(lead)[0]
    admin_posts = [
        (f"/admin/accounts/{lead}/disable", {"reason": "x"}),
        (f"/admin/accounts/{lead}/enable", {"reason": "x"}),
        (f"/admin/accounts/{lead}/unlock", {"reason": "x"}),
        (f"/admin/accounts/{lead}/role", {"role": "system_admin", "reason": "x"}),
        (f"/admin/accounts/{lead}/providers/add", {"provider": "northgate", "reason": "x"}),
        (f"/admin/accounts/{lead}/providers/{ashby_id}/remove", {"reason": "x"}),
    ]
    admin = app.test_client()
    admin_form = admin.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', admin_form)
    assert token
    admin.post(
        "/sign-in", data={"email": ADMIN, "password": factories.PASSWORD, "csrf_token": token.group(1)}
    )
    for path, data in admin_posts:
        assert admin.post(path, data=data).status_code == 400, path
    assert account(app, lead).role == "provider_admin" and account(app, lead).active
    anonymous = app.test_client()
    for path, data in [
        ("/sign-in/reset", {"email": PRO}),
        ("/account/password", {"current_password": "x", "password": "y", "confirm": "y"}),
    ]:
        assert anonymous.post(path, data=data).status_code in (302, 400), path
    del pro


def account_providers(account_id: int) -> list[int]:
    found = db.session.get(Account, account_id)
    assert found is not None
    return [p.id for p in found.providers]


# --- A system admin's session in the wrong hands --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/accounts/{lead}/providers/add", {"provider": "northgate", "reason": "Needs it"}),
        ("/admin/accounts/{lead}/enable", {"reason": "Back"}),
    ],
)
def test_granting_access_asks_for_the_password_again_after_fifteen_minutes(
    app: Flask, world: dict[str, Any], path: str, data: dict[str, str]
) -> None:
    """Letting an account run another provider, or back in at all, gives access like a role change."""
    with app.app_context():
        lead = db.session.get(Account, world["lead"])
        assert lead is not None
        lead.active = "enable" not in path
        db.session.commit()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        admin = signed_in(app, ADMIN)
        traveller.shift(timedelta(minutes=16))
        admin.get("/admin")  # still signed in (activity within the idle time is another matter)
        response = admin.post(path.format(lead=world["lead"]), data=data)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/sign-in/confirm"
    after = account(app, world["lead"])
    assert after.active is ("enable" not in path)


def test_a_provider_admin_reaches_no_admin_page_by_forged_ids(app: Flask, world: dict[str, Any]) -> None:
    lead = signed_in(app, LEAD)
    for path in (
        f"/admin/accounts/{world['lead']}/role",
        f"/admin/accounts/{world['lead']}/providers/add",
        f"/admin/accounts/{world['admin']}/disable",
    ):
        data = {"role": "system_admin", "provider": "northgate", "reason": "x"}
        assert lead.post(path, data=data).status_code == 403, path
    assert lead.get("/admin/security-events.csv").status_code == 403
    assert account(app, world["lead"]).role == "provider_admin"
    assert account(app, world["admin"]).active


def with_second_factor(app: Flask, account_id: int) -> None:
    with app.app_context():
        target = db.session.get(Account, account_id)
        assert target is not None
        secret = pyotp.random_base32()
        target.totp_secret = sealing.seal(secret)
        second_factor.turn_on(target, pyotp.TOTP(secret).now())
        db.session.commit()


def test_nobody_but_a_freshly_signed_in_system_admin_removes_a_second_factor(
    app: Flask, world: dict[str, Any]
) -> None:
    """The second factor is what stops a stolen password: a provider admin, a professional, an
    anonymous script or a stale admin session cannot take it off someone's account."""
    professional = signed_in(app, PRO)
    lead = signed_in(app, LEAD)
    with_second_factor(app, world["pro"])
    path = "/admin/accounts/{}/remove-second-factor"
    data = {"reason": "lost phone"}
    assert lead.post(path.format(world["pro"]), data=data).status_code == 403  # hostile provider admin
    assert professional.post(path.format(world["lead"]), data=data).status_code == 403
    anonymous = app.test_client().post(path.format(world["pro"]), data=data)
    assert urlsplit(anonymous.headers["Location"]).path == "/sign-in"
    with time_machine.travel(utcnow(), tick=False) as traveller:
        admin = signed_in(app, ADMIN)
        traveller.shift(timedelta(minutes=16))
        admin.get("/admin")
        stale = admin.post(path.format(world["pro"]), data=data)
    assert urlsplit(stale.headers["Location"]).path == "/sign-in/confirm"
    assert account(app, world["pro"]).has_second_factor


@pytest.mark.alldb
@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/admin/accounts/{lead}/disable", {"reason": "Left\x00"}, "hidden characters"),
        (
            "/admin/accounts/{lead}/providers/add",
            {"provider": "north\x00gate", "reason": "Needs it"},
            "provider",
        ),
    ],
)
def test_a_nul_character_in_an_admin_form_is_a_message_not_a_server_error(
    app: Flask, world: dict[str, Any], path: str, data: dict[str, str], message: str
) -> None:
    response = signed_in(app, ADMIN).post(path.format(lead=world["lead"]), data=data)
    assert response.status_code == 200
    assert message in " ".join(error_summary(response))
    assert account(app, world["lead"]).active


@pytest.mark.alldb
def test_a_refused_sign_in_with_a_nul_in_the_address_is_still_logged(
    app: Flask, world: dict[str, Any]
) -> None:
    """A control character in the address typed must not keep a refusal out of the security log."""
    from interests.services import security_log

    with app.test_request_context():
        assert security_log.record_refusal(security_log.RATE_LIMITED, email="ro\x00sa@x.example\r\nforged")
    with app.app_context():
        [typed] = db.session.scalars(select(SecurityEvent.email)).all()
    assert typed is not None and "\x00" not in typed and "\n" not in typed
