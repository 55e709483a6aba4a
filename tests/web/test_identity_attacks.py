"""Attacks on identity and consent across providers, as a hostile provider admin, a professional at
another provider, an anonymous script and the holder of a leaked or old link.

Each test is one attack and what the register does about it (product card, "Identity and consent
across providers": a provider's mistakes, or its malice, reach no further than its own register).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import (
    Account,
    AuditEvent,
    Engagement,
    IdentityClaim,
    Invitation,
    Provider,
    utcnow,
)
from tests import factories
from tests.identity_helpers import emails_to, import_lines, link_in, signed_in
from tests.pages import soup, text

TODAY = date.today()
SAM_ACCOUNT = "sam@personal.example"
NORTHGATE_ADDRESS = "sam.reed@northgate.example"
ATTACKER = "attacker@ashby.example"
PASSWORD = "a long enough password"


def pat_line(address: str, engagement_type: str = "employee") -> str:
    return f"Pat,Quinn,GMC,5566778,{address},{engagement_type},Consultant,,2025-01-06,,no"


def create_account(client: FlaskClient, path: str, password: str = PASSWORD) -> Any:
    return client.post(path, data={"password": password, "confirm": password})


def account_email_of(professional_id: int) -> str | None:
    return db.session.scalar(select(Account.email).where(Account.professional_id == professional_id))


def pat_id() -> int:
    from interests.models import Professional

    return db.session.scalar(select(Professional.id).where(Professional.registration_number == "5566778"))


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Northgate employs Dr Sam Reed, who has an account. Ashby's register lead is hostile."""
    with app.app_context():
        northgate = factories.make_provider(name="Northgate NHS Trust", slug="northgate")
        ashby = factories.make_provider(
            name="Ashby Private Hospital", slug="ashby", kind="independent_hospital"
        )
        factories.make_account("provider_admin", email="lead@northgate.example", providers=[northgate])
        factories.make_account("provider_admin", email="evil@ashby.example", providers=[ashby])
        factories.make_account("system_admin", email="sysadmin@register.example")
        factories.make_account("inspector", email="inspector@cqc.example")
        factories.make_account("professional", email="other.doc@example.org")
        sam = factories.make_professional(
            given_name="Sam", family_name="Reed", title="Dr", registration_number="4455667"
        )
        engagement = factories.make_engagement(sam, northgate, email=NORTHGATE_ADDRESS)
        factories.make_account("professional", email=SAM_ACCOUNT, professional=sam)
        db.session.commit()
        return {
            "sam": sam.id,
            "northgate": northgate.id,
            "ashby": ashby.id,
            "sam_at_northgate": engagement.id,
        }


# --- (d) A leaked or old link -------------------------------------------------------------------


def test_a_link_sent_to_an_address_the_provider_then_corrected_no_longer_works(
    app: Flask, world: dict[str, Any]
) -> None:
    """Ashby typed a stranger's address for Pat (no account yet), then corrected it by importing
    again. The stranger's link must not create Pat's account; the corrected address is asked."""
    lead = signed_in(app, "evil@ashby.example")
    assert import_lines(lead, pat_line("wrong@stranger.example")).status_code == 302
    with app.app_context():
        stale = link_in(emails_to("wrong@stranger.example")[0])
    assert import_lines(lead, pat_line("pat@ashby.example")).status_code == 302

    stranger = app.test_client()
    assert stranger.get(stale).status_code == 404
    assert create_account(stranger, stale).status_code == 404
    assert stranger.get("/declare").status_code == 302
    with app.app_context():
        assert account_email_of(pat_id()) is None
        (fresh,) = [e for e in emails_to("pat@ashby.example") if e.kind == "invitation"]
        fresh_link = link_in(fresh)
    assert create_account(app.test_client(), fresh_link).status_code == 302
    with app.app_context():
        assert account_email_of(pat_id()) == "pat@ashby.example"
        engagement = db.session.scalar(select(Engagement).where(Engagement.professional_id == pat_id()))
        assert engagement.confirmed_at is not None


def test_changing_a_confirmed_engagements_address_asks_nobody_and_keeps_the_confirmation(
    app: Flask, world: dict[str, Any]
) -> None:
    """Once the professional has confirmed, the provider's address is only its contact record: a
    re-import that changes it sends no link (which could become a claim on the account)."""
    lead = signed_in(app, "evil@ashby.example")
    line = f"Sam,Reed,GMC,4455667,{SAM_ACCOUNT},employee,Consultant,,2025-01-06,,no"
    assert import_lines(lead, line).status_code == 302
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.provider_id == world["ashby"])
        )
    sam = signed_in(app, SAM_ACCOUNT)
    sam.post(f"/declare/engagements/{engagement_id}", data={"answer": "confirm"})
    assert import_lines(lead, line.replace(SAM_ACCOUNT, ATTACKER)).status_code == 302
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement.email == ATTACKER and engagement.confirmed_at is not None
        assert emails_to(ATTACKER) == []
        assert db.session.scalar(select(func.count()).select_from(IdentityClaim)) == 0
        assert account_email_of(world["sam"]) == SAM_ACCOUNT


def test_a_link_works_once_even_when_submitted_twice(app: Flask, world: dict[str, Any]) -> None:
    lead = signed_in(app, "evil@ashby.example")
    assert import_lines(lead, pat_line("pat@ashby.example")).status_code == 302
    with app.app_context():
        path = link_in(emails_to("pat@ashby.example")[0])
    first, second = app.test_client(), app.test_client()
    assert create_account(first, path).status_code == 302
    assert create_account(second, path, "another long password").status_code == 404
    assert second.get("/declare").status_code == 302
    assert (
        factories.sign_in(app.test_client(), "pat@ashby.example", "another long password").status_code == 200
    )
    # Used, it no longer raises a claim or confirms anything either.
    assert second.post(path).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdentityClaim)) == 0


def test_an_invitation_confirms_only_an_engagement_of_its_own_provider_and_professional(
    app: Flask, world: dict[str, Any]
) -> None:
    """An invitation whose engagement is another provider's (or another professional's) - a
    corrupted or migrated row - must not confirm that engagement."""
    with app.app_context():
        from interests.services import invitations

        northgate = db.session.get(Provider, world["northgate"])
        ashby = db.session.get(Provider, world["ashby"])
        kim = factories.make_professional(given_name="Kim", family_name="Ng", registration_number="6677889")
        at_northgate = factories.make_engagement(kim, northgate, email=None, confirmed_at=None)
        factories.make_engagement(kim, ashby, email="kim@ashby.example", confirmed_at=None)
        someone = factories.make_professional()
        theirs = factories.make_engagement(someone, northgate, email=None, confirmed_at=None)
        tokens = {"kim": "token-for-kim-pointing-at-northgate", "wrong-person": "token-for-someone-else"}
        db.session.add_all(
            [
                Invitation(
                    professional_id=kim.id,
                    provider_id=ashby.id,
                    engagement_id=at_northgate.id,  # Northgate's, though Ashby sent it
                    email="kim@ashby.example",
                    token_hash=invitations.token_hash(tokens["kim"]),
                    expires_at=utcnow() + timedelta(days=7),
                ),
                Invitation(
                    professional_id=kim.id,
                    provider_id=northgate.id,
                    engagement_id=theirs.id,  # another professional's engagement
                    email="kim@ashby.example",
                    token_hash=invitations.token_hash(tokens["wrong-person"]),
                    expires_at=utcnow() + timedelta(days=7),
                ),
            ]
        )
        db.session.commit()
        northgate_id, theirs_id = at_northgate.id, theirs.id
    kim_client = app.test_client()
    create_account(kim_client, f"/invitations/{tokens['kim']}")
    kim_client.post(f"/invitations/{tokens['wrong-person']}")
    with app.app_context():
        assert db.session.get(Engagement, northgate_id).confirmed_at is None
        assert db.session.get(Engagement, theirs_id).confirmed_at is None


def test_a_link_does_nothing_for_a_disabled_account(app: Flask, world: dict[str, Any]) -> None:
    """Both providers recorded Kim's address; Kim's account (made by Northgate's link) is disabled by
    a system admin. Ashby's link to the same address must not act for the disabled account."""
    with app.app_context():
        from interests.services import invitations

        kim = factories.make_professional(given_name="Kim", family_name="Ng", registration_number="6677889")
        first = factories.make_engagement(
            kim, db.session.get(Provider, world["northgate"]), email="kim@example.org", confirmed_at=None
        )
        second = factories.make_engagement(
            kim, db.session.get(Provider, world["ashby"]), email="kim@example.org", confirmed_at=None
        )
        invitations.ask_one(first, actor=None)
        invitations.ask_one(second, actor=None)
        db.session.commit()
        northgate_link, ashby_link = (link_in(e) for e in emails_to("kim@example.org"))
        second_id = second.id
    assert create_account(app.test_client(), northgate_link).status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "kim@example.org"))
        account.active = False
        account.session_version += 1
        db.session.commit()
    anyone = app.test_client()
    assert anyone.get(ashby_link).status_code == 404
    assert anyone.post(ashby_link).status_code == 404
    with app.app_context():
        assert db.session.get(Engagement, second_id).confirmed_at is None


# --- (b) A professional at another provider ------------------------------------------------------


def test_someone_else_signed_in_using_a_link_is_not_recorded_as_the_professional(
    app: Flask, world: dict[str, Any]
) -> None:
    """A link to the account's own address, opened by another professional's session: the
    confirmation is the address holder's, and the other professional is not its actor."""
    with app.app_context():
        from interests.services import invitations

        engagement = factories.make_engagement(
            db.session.scalar(select(Account).where(Account.email == SAM_ACCOUNT)).professional,
            db.session.get(Provider, world["ashby"]),
            email="sam.alt@example.org",
            confirmed_at=None,
        )
        invitations.ask_one(engagement, actor=None)
        account = db.session.scalar(select(Account).where(Account.email == SAM_ACCOUNT))
        account.email = "sam.alt@example.org"  # Sam moved their account to that address since
        db.session.commit()
        path = link_in(emails_to("sam.alt@example.org")[0])
        engagement_id, sam_account_id = engagement.id, account.id
    other = signed_in(app, "other.doc@example.org")
    page = other.get(path)
    assert "Confirm that you work at Ashby Private Hospital" in text(soup(page).h1)
    other.post(path)
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).confirmed_at is not None
        actors = set(
            db.session.scalars(
                select(AuditEvent.account_id).where(
                    AuditEvent.action.in_(("engagement.confirmed", "invitation.accepted"))
                )
            )
        )
        assert actors == {sam_account_id}


def test_forged_engagement_answers_are_refused(app: Flask, world: dict[str, Any]) -> None:
    other = signed_in(app, "other.doc@example.org")
    northgate_engagement = world["sam_at_northgate"]
    assert (
        other.post(f"/declare/engagements/{northgate_engagement}", data={"answer": "reject"}).status_code
        == 404
    )
    assert other.post("/declare/engagements/999999", data={"answer": "confirm"}).status_code == 404
    assert other.post("/declare/engagements/-1", data={"answer": "confirm"}).status_code == 404
    sam = signed_in(app, SAM_ACCOUNT)
    assert (
        sam.post(f"/declare/engagements/{northgate_engagement}", data={"answer": "both"}).status_code == 400
    )
    # A confirmed engagement cannot be turned into "I do not work here" (only the provider ends it).
    refused = sam.post(
        f"/declare/engagements/{northgate_engagement}", data={"answer": "reject"}, follow_redirects=True
    )
    assert "ask them to end your engagement" in text(soup(refused))
    with app.app_context():
        engagement = db.session.get(Engagement, northgate_engagement)
        assert engagement.confirmed_at is not None and engagement.rejected_at is None


# --- (c) Anonymous scripts, CSRF and other roles ----------------------------------------------


def test_the_new_posts_need_a_csrf_token(app: Flask, world: dict[str, Any]) -> None:
    lead = signed_in(app, "evil@ashby.example")
    assert (
        import_lines(
            lead, f"Sam,Reed,GMC,4455667,{SAM_ACCOUNT},employee,Consultant,,2025-01-06,,no"
        ).status_code
        == 302
    )
    assert import_lines(lead, pat_line("pat@ashby.example")).status_code == 302
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(
                Engagement.provider_id == world["ashby"], Engagement.professional_id == world["sam"]
            )
        )
        pat_link = link_in(emails_to("pat@ashby.example")[0])
    sam = signed_in(app, SAM_ACCOUNT)
    admin = signed_in(app, "sysadmin@register.example")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert (
            sam.post(f"/declare/engagements/{engagement_id}", data={"answer": "confirm"}).status_code == 400
        )
        assert create_account(app.test_client(), pat_link).status_code == 400
        assert admin.post("/admin/claims/1", data={"decision": "transfer", "reason": "x"}).status_code in (
            400,
            404,
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).confirmed_at is None
        assert account_email_of(pat_id()) is None


def _a_claim(app: Flask) -> int:
    """Ashby's attacker address raises a claim on Sam's account."""
    lead = signed_in(app, "evil@ashby.example")
    assert (
        import_lines(lead, f"Sam,Reed,GMC,4455667,{ATTACKER},employee,Consultant,,2025-01-06,,no").status_code
        == 302
    )
    with app.app_context():
        path = link_in(emails_to(ATTACKER)[0])
    app.test_client().post(path)
    with app.app_context():
        return db.session.scalar(select(IdentityClaim.id))


def test_system_admin_pages_are_for_system_admins_only(app: Flask, world: dict[str, Any]) -> None:
    claim_id = _a_claim(app)
    anonymous = app.test_client()
    for path in ("/admin", "/admin/claims", f"/admin/claims/{claim_id}"):
        assert anonymous.get(path).status_code == 302, path
    assert (
        anonymous.post(f"/admin/claims/{claim_id}", data={"decision": "transfer", "reason": "x"}).status_code
        == 302
    )
    for email in ("evil@ashby.example", "lead@northgate.example", "inspector@cqc.example", SAM_ACCOUNT):
        client = signed_in(app, email)
        for path in ("/admin", "/admin/claims", f"/admin/claims/{claim_id}"):
            assert client.get(path).status_code == 403, (email, path)
        forced = client.post(f"/admin/claims/{claim_id}", data={"decision": "transfer", "reason": "x"})
        assert forced.status_code == 403
    with app.app_context():
        claim = db.session.get(IdentityClaim, claim_id)
        assert claim.status == "pending" and account_email_of(world["sam"]) == SAM_ACCOUNT


def test_a_huge_or_hostile_decision_reason_is_refused_or_escaped(app: Flask, world: dict[str, Any]) -> None:
    claim_id = _a_claim(app)
    admin = signed_in(app, "sysadmin@register.example")
    for reason in ("x" * 2001, "y" * 200_000, "   "):
        response = admin.post(f"/admin/claims/{claim_id}", data={"decision": "reject", "reason": reason})
        assert response.status_code == 200 and soup(response).select_one(".nhsuk-error-summary")
    forged = admin.post(f"/admin/claims/{claim_id}", data={"decision": "merge", "reason": "ok"})
    assert forged.status_code == 200 and soup(forged).select_one(".nhsuk-error-summary")
    with app.app_context():
        assert db.session.get(IdentityClaim, claim_id).status == "pending"
    hostile = '<script>alert("x")</script> keep'
    assert (
        admin.post(f"/admin/claims/{claim_id}", data={"decision": "reject", "reason": hostile}).status_code
        == 302
    )
    page = admin.get(f"/admin/claims/{claim_id}")
    assert "<script>alert" not in page.get_data(as_text=True)
    assert hostile in text(soup(page))
    # Decided once: a second decision changes nothing.
    admin.post(f"/admin/claims/{claim_id}", data={"decision": "transfer", "reason": "changed my mind"})
    with app.app_context():
        assert db.session.get(IdentityClaim, claim_id).status == "rejected"
        assert account_email_of(world["sam"]) == SAM_ACCOUNT


# --- (a) A hostile provider admin ------------------------------------------------------------------


def test_a_stale_claim_cannot_move_an_account_a_system_admin_already_moved(
    app: Flask, world: dict[str, Any]
) -> None:
    """The attacker takes Pat's account through Ashby's link, and raises a second claim through a
    second Ashby engagement. Pat's own claim (Northgate's link) moves the account to Pat. The
    second claim still names the attacker's address as the account's: it must not move Pat's
    account away on the strength of that stale page."""
    with app.app_context():
        from interests.services import invitations

        pat = factories.make_professional(
            given_name="Pat", family_name="Quinn", registration_number="5566778"
        )
        real = factories.make_engagement(
            pat,
            db.session.get(Provider, world["northgate"]),
            email="pat@northgate.example",
            confirmed_at=None,
        )
        invitations.ask_one(real, actor=None)
        db.session.commit()
        pat_link = link_in(emails_to("pat@northgate.example")[0])
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, pat_line(ATTACKER)).status_code == 302
    second = evil.post(
        "/manage/ashby/engagements/new",
        data={
            "given_name": "Pat",
            "family_name": "Quinn",
            "regulator": "GMC",
            "registration_number": "5566778",
            "email": "second@ashby.example",
            "engagement_type": "locum",
            "role": "Locum consultant",
            "start_date-day": "6",
            "start_date-month": "1",
            "start_date-year": "2025",
            "decision_maker": "no",
        },
    )
    assert second.status_code == 302
    with app.app_context():
        attacker_link = link_in(emails_to(ATTACKER)[0])
        second_link = link_in(emails_to("second@ashby.example")[-1])
    assert create_account(app.test_client(), attacker_link).status_code == 302
    app.test_client().post(pat_link)  # Pat's claim
    app.test_client().post(second_link)  # the attacker's second claim
    with app.app_context():
        pats, seconds = db.session.scalars(select(IdentityClaim).order_by(IdentityClaim.id)).all()
        assert pats.email == "pat@northgate.example" and seconds.email == "second@ashby.example"
        assert seconds.account_email == ATTACKER
        pats_id, seconds_id = pats.id, seconds.id
    admin = signed_in(app, "sysadmin@register.example")
    moved = admin.post(
        f"/admin/claims/{pats_id}", data={"decision": "transfer", "reason": "GMC confirmed it"}
    )
    assert moved.status_code == 302
    stale = admin.post(
        f"/admin/claims/{seconds_id}", data={"decision": "transfer", "reason": "away from the attacker"}
    )
    assert stale.status_code == 200
    assert "changed since this claim was made" in text(soup(stale).select_one(".nhsuk-error-summary"))
    with app.app_context():
        assert account_email_of(pat_id()) == "pat@northgate.example"
    # It can still be refused, which tells both addresses.
    refused = admin.post(f"/admin/claims/{seconds_id}", data={"decision": "reject", "reason": "stale"})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(IdentityClaim, seconds_id).status == "rejected"
        assert account_email_of(pat_id()) == "pat@northgate.example"
