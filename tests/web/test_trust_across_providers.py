"""A provider's mistakes, or its malice, reach no further than its own register.

The findings of an outside test, step by step as a hostile provider admin took them, and what the
register does now: an invitation never hands over an account; a provider never sees another's
contact details; withholding follows the interest to every provider it is sent to; declarations
go only where the professional confirmed they work; a second claim on one registration number
waits for a system admin, who tells both addresses.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import (
    Account,
    AuditEvent,
    Engagement,
    IdentityClaim,
    OutboxEmail,
    WithholdingRequest,
)
from tests import factories
from tests.identity_helpers import emails_to, import_lines, link_in, signed_in
from tests.pages import soup, text

TODAY = date.today()
WITHHELD_REASON = "A former patient has threatened my family"
NORTHGATE_ADDRESS = "sam.reed@northgate.example"  # what Northgate recorded for Sam
SAM_ACCOUNT = "sam@personal.example"  # Sam's own account
ATTACKER = "attacker@ashby.example"


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Northgate employs Dr Sam Reed, who has an account; one interest withheld there, one pending.
    Ashby's register lead is hostile."""
    with app.app_context():
        northgate = factories.make_provider(name="Northgate NHS Trust", slug="northgate")
        ashby = factories.make_provider(
            name="Ashby Private Hospital", slug="ashby", kind="independent_hospital"
        )
        factories.make_account("provider_admin", email="lead@northgate.example", providers=[northgate])
        factories.make_account("provider_admin", email="evil@ashby.example", providers=[ashby])
        factories.make_account("system_admin", email="sysadmin@register.example")
        sam = factories.make_professional(
            given_name="Sam", family_name="Reed", title="Dr", registration_number="4455667"
        )
        factories.make_engagement(sam, northgate, role="Consultant urogynaecologist", email=NORTHGATE_ADDRESS)
        factories.make_account("professional", email=SAM_ACCOUNT, professional=sam)
        withheld = factories.make_interest(sam, other_party="Medivance Surgical Ltd")
        pending = factories.make_interest(sam, other_party="Ravensworth Medical plc")
        public = factories.make_interest(sam, other_party="Helix Orthopaedics UK")
        factories.make_declaration(
            sam, northgate, [withheld, pending, public], declared_on=TODAY - timedelta(days=5)
        )
        factories.make_withholding_request(
            withheld,
            northgate,
            reason=WITHHELD_REASON,
            status="approved",
            decision_reason="Credible threat",
            review_on=TODAY + timedelta(days=180),
        )
        factories.make_withholding_request(pending, northgate, reason="My partner's employer is confidential")
        db.session.commit()
        return {"sam": sam.id, "northgate": northgate.id, "ashby": ashby.id}


SAM_AT_ASHBY = f"Sam,Reed,GMC,4455667,{ATTACKER},employee,Consultant,Surgery,2025-01-06,,no"


# --- Finding 1: account takeover ---------------------------------------------------------------


def test_hostile_admin_importing_another_providers_professional_cannot_take_over_their_account(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY).status_code == 302
    with app.app_context():
        # The address Ashby typed gets a link; Sam hears about it at the account's own address.
        (to_attacker,) = emails_to(ATTACKER)
        notice = [e for e in emails_to(SAM_ACCOUNT) if e.kind == "confirm_engagement"]
        assert len(notice) == 1 and "Ashby Private Hospital says that you work there" in notice[0].body
        path = link_in(to_attacker)
        assert WITHHELD_REASON not in to_attacker.body and "Medivance" not in to_attacker.body

    attacker = app.test_client()  # not signed in: whoever reads the attacker's mailbox
    page = attacker.get(path)
    assert page.status_code == 200
    assert "This registration number already has an account" in text(soup(page).h1)
    assert soup(page).select("input[type=password]") == []  # no way to set a password
    # Posting a password anyway creates nothing and signs nobody in.
    forced = attacker.post(
        path, data={"password": "attacker password 123", "confirm": "attacker password 123"}
    )
    assert "We will check and tell you" in text(soup(forced).h1)
    assert attacker.get("/declare").status_code == 302  # still signed out
    assert (
        factories.sign_in(app.test_client(), ATTACKER, "attacker password 123").status_code == 200
    )  # refused

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.professional_id == world["sam"]))
        assert account.email == SAM_ACCOUNT
        assert (
            db.session.scalar(select(func.count()).select_from(Account).where(Account.email == ATTACKER)) == 0
        )
        ashby = db.session.scalar(select(Engagement).where(Engagement.provider_id == world["ashby"]))
        assert ashby.confirmed_at is None and ashby.email == ATTACKER
        northgate = db.session.scalar(select(Engagement).where(Engagement.provider_id == world["northgate"]))
        assert northgate.email == NORTHGATE_ADDRESS  # Ashby's file changed nobody else's record
        claim = db.session.scalar(select(IdentityClaim))
        assert (claim.status, claim.email, claim.account_email) == ("pending", ATTACKER, SAM_ACCOUNT)
        # Both addresses are told; neither email carries anything Sam withheld.
        told = {
            e.to_address
            for e in db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "identity_claim"))
        }
        assert told == {ATTACKER, SAM_ACCOUNT}
        for email in emails_to(ATTACKER):
            assert WITHHELD_REASON not in email.body and "Ravensworth" not in email.body

    # Ashby cannot publish anything in Sam's name: Sam never confirmed working there.
    assert "Reed" not in app.test_client().get("/providers/ashby/register.csv").get_data(as_text=True)


def test_hostile_admin_adding_one_person_cannot_take_over_their_account(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    response = evil.post(
        "/manage/ashby/engagements/new",
        data={
            "given_name": "Sam",
            "family_name": "Reed",
            "regulator": "GMC",
            "registration_number": "4455667",
            "email": ATTACKER,
            "engagement_type": "locum",
            "role": "Locum consultant",
            "start_date-day": "6",
            "start_date-month": "1",
            "start_date-year": "2025",
            "decision_maker": "no",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        path = link_in(emails_to(ATTACKER)[0])
    attacker = app.test_client()
    assert soup(attacker.get(path)).select("input[type=password]") == []
    attacker.post(path)
    assert attacker.get("/declare").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Account.email).where(Account.professional_id == world["sam"]))
            == SAM_ACCOUNT
        )


def test_first_link_to_a_person_without_an_account_reaches_only_its_own_provider_and_admin_decides(
    app: Flask, world: dict[str, Any]
) -> None:
    """Pat has no account. Northgate invited Pat's real address; Ashby's hostile lead imports Pat with
    the attacker's address and uses that link first. The attacker's account reaches Ashby only; Pat's
    own link raises a claim; a system admin moves the account to Pat, and the attacker is out."""
    with app.app_context():
        from interests.models import Provider
        from interests.services import invitations

        pat = factories.make_professional(
            given_name="Pat", family_name="Quinn", registration_number="5566778"
        )
        northgate = db.session.get(Provider, world["northgate"])
        real = factories.make_engagement(
            pat, northgate, email="pat.quinn@northgate.example", confirmed_at=None
        )
        assert invitations.ask_one(real, actor=None)
        db.session.commit()
        pat_link = link_in(emails_to("pat.quinn@northgate.example")[0])
        real_id, pat_id = real.id, pat.id

    evil = signed_in(app, "evil@ashby.example")
    assert (
        import_lines(
            evil, f"Pat,Quinn,GMC,5566778,{ATTACKER},employee,Consultant,,2025-01-06,,no"
        ).status_code
        == 302
    )
    with app.app_context():
        attacker_link = link_in(emails_to(ATTACKER)[0])
    attacker = app.test_client()
    created = attacker.post(
        attacker_link, data={"password": "attacker password 123", "confirm": "attacker password 123"}
    )
    assert created.status_code == 302  # an account for Pat's number, with the attacker's address

    # It reaches Ashby only: Northgate's engagement needs the link Northgate sent to its own record.
    home = soup(attacker.get("/declare"))
    card = home.select_one(f"#engagement-{real_id}")
    assert card is not None and "recorded a different email address" in text(card)
    assert card.select("button[value=confirm]") == []
    forced = attacker.post(
        f"/declare/engagements/{real_id}", data={"answer": "confirm"}, follow_redirects=True
    )
    assert "recorded a different email address" in text(soup(forced))
    with app.app_context():
        assert db.session.get(Engagement, real_id).confirmed_at is None

    # Pat uses Northgate's link: the account exists with another address, so it becomes a claim.
    pat_client = app.test_client()
    assert "This registration number already has an account" in text(soup(pat_client.get(pat_link)).h1)
    assert "We will check and tell you" in text(soup(pat_client.post(pat_link)).h1)
    with app.app_context():
        claim = db.session.scalar(select(IdentityClaim).where(IdentityClaim.professional_id == pat_id))
        assert claim.email == "pat.quinn@northgate.example" and claim.account_email == ATTACKER

    # Only a system admin decides.
    assert signed_in(app, "evil@ashby.example").get(f"/admin/claims/{claim.id}").status_code == 403
    assert attacker.get("/admin/claims").status_code == 403
    admin = signed_in(app, "sysadmin@register.example")
    listing = soup(admin.get("/admin/claims"))
    assert "Pat Quinn, GMC 5566778" in text(listing.select_one("#claims"))
    refused = admin.post(f"/admin/claims/{claim.id}", data={"decision": "transfer", "reason": ""})
    assert "Enter the reason for your decision" in text(soup(refused).select_one(".nhsuk-error-summary"))
    decided = admin.post(
        f"/admin/claims/{claim.id}",
        data={"decision": "transfer", "reason": "GMC confirmed the Northgate address belongs to Dr Quinn"},
    )
    assert decided.status_code == 302

    # The attacker's session ends at once, and their password no longer works.
    assert attacker.get("/declare").status_code == 302
    assert factories.sign_in(app.test_client(), ATTACKER, "attacker password 123").status_code == 200
    with app.app_context():
        decision = [e for e in emails_to("pat.quinn@northgate.example") if e.kind == "identity_claim_decided"]
        assert len(decision) == 1 and "the account is now yours" in decision[0].body
        told_attacker = [e for e in emails_to(ATTACKER) if e.kind == "identity_claim_decided"]
        assert len(told_attacker) == 1 and "can no longer sign in" in told_attacker[0].body
        set_password = link_in(decision[0])
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "identity.claim_transferred"))
            is not None
        )
    page = pat_client.get(set_password)
    assert "Set your password" in text(soup(page).h1)
    done = pat_client.post(
        set_password, data={"password": "pats own long password", "confirm": "pats own long password"}
    )
    assert done.status_code == 302
    assert pat_client.get("/declare").status_code == 200
    with app.app_context():
        assert db.session.get(Engagement, real_id).confirmed_at is not None  # Northgate's, by its own link


# --- Finding 2: another provider's contact details ---------------------------------------------


def test_no_manage_page_shows_another_providers_contact_details(app: Flask, world: dict[str, Any]) -> None:
    """Every GET page of /manage, for every engagement and declaration at Ashby, after Ashby attached
    Northgate's professional by registration number: Northgate's record of the address never shows."""
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY.replace(ATTACKER, "")).status_code == 302
    with app.app_context():
        from interests.models import Declaration, PatientQuestion, StaffImport

        ids = {
            "engagement_id": list(
                db.session.scalars(select(Engagement.id).where(Engagement.provider_id == world["ashby"]))
            ),
            "declaration_id": list(db.session.scalars(select(Declaration.id))),
            "request_id": list(db.session.scalars(select(WithholdingRequest.id))),
            "question_id": list(db.session.scalars(select(PatientQuestion.id))) or [1],
            "import_id": list(db.session.scalars(select(StaffImport.id))),
            "job_id": [1],
            "item_id": [1],
            "email_id": list(db.session.scalars(select(OutboxEmail.id))),
        }
    assert ids["engagement_id"]
    fetched = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/manage") or "GET" not in (rule.methods or ()):
            continue
        combos: list[dict[str, Any]] = [{}]
        for arg in rule.arguments:
            values = ["ashby", "northgate"] if arg == "slug" else ids.get(arg, [1])
            combos = [{**c, arg: v} for c in combos for v in values]
        for values in combos:
            path = rule.build(values)[1]  # type: ignore[index]
            response = evil.get(path)
            body = response.get_data(as_text=True)
            assert NORTHGATE_ADDRESS not in body, path
            assert SAM_ACCOUNT not in body, path
            assert response.status_code in (200, 302, 403, 404), (path, response.status_code)
            fetched += 1
    assert fetched > 20
    # The page that showed it before: Ashby's own engagement page shows Ashby's record only.
    page = soup(evil.get(f"/manage/ashby/engagements/{ids['engagement_id'][0]}"))
    assert "Email address None recorded" in text(page.select_one(".nhsuk-summary-list"))


# --- Finding 3: withheld entries published through a second provider --------------------------


def test_withheld_and_pending_entries_stay_unpublished_when_sent_to_a_second_provider(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY.replace(ATTACKER, SAM_ACCOUNT)).status_code == 302
    sam = signed_in(app, SAM_ACCOUNT)
    with app.app_context():
        ashby_engagement = db.session.scalar(
            select(Engagement.id).where(Engagement.provider_id == world["ashby"])
        )
    # Before confirming, the check page sends to Northgate only and says why.
    check = soup(sam.get("/declare/check"))
    boxes = check.select("input[name=providers]")
    assert [text(check.select_one(f"label[for={b['id']}]")) for b in boxes] == ["Northgate NHS Trust"]
    assert "Ashby Private Hospital says that you work there" in text(
        check.select_one("#awaiting-confirmation")
    )
    # Sam works there (same address as the account, so the account may confirm).
    sam.post(f"/declare/engagements/{ashby_engagement}", data={"answer": "confirm"})
    check = soup(sam.get("/declare/check"))
    boxes = check.select("input[name=providers]")
    assert sorted(b["value"] for b in boxes if b.has_attr("checked")) == sorted(
        [str(world["northgate"]), str(world["ashby"])]
    )
    assert "If you send it to Ashby Private Hospital, they will be asked to withhold it too" in text(check)
    sent = sam.post(
        "/declare/check",
        data={
            "providers": [b["value"] for b in boxes if b.has_attr("checked")],
            "confirm": "y",
            "shown": check.select_one("input[name=shown]")["value"],
        },
    )
    assert sent.status_code == 302

    public = app.test_client()
    csv = public.get("/providers/ashby/register.csv").get_data(as_text=True)
    assert "Helix Orthopaedics UK" in csv  # the send did publish
    assert "Medivance" not in csv and "Ravensworth" not in csv
    for url in (
        "/providers/ashby",
        "/providers/ashby/register.json",
        "/providers/ashby/print",
        f"/professionals/{world['sam']}",
    ):
        body = public.get(url).get_data(as_text=True)
        assert "Medivance" not in body and "Ravensworth" not in body, url
    with app.app_context():
        at_ashby = list(
            db.session.scalars(
                select(WithholdingRequest).where(WithholdingRequest.provider_id == world["ashby"])
            )
        )
        assert sorted((r.status, r.reason) for r in at_ashby) == sorted(
            [("pending", WITHHELD_REASON), ("pending", "My partner's employer is confidential")]
        )
    # Ashby decides for its own register: its lead sees the requests waiting.
    listing = text(soup(evil.get("/manage/ashby/withholding")))
    assert "Medivance Surgical Ltd" in listing and "Ravensworth Medical plc" in listing


# --- Declarations go only where the professional confirmed they work ---------------------------


def test_professional_who_says_they_do_not_work_there_sends_nothing_there(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY).status_code == 302
    sam = signed_in(app, SAM_ACCOUNT)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.provider_id == world["ashby"])
        )
    home = soup(sam.get("/declare"))
    card = home.select_one(f"#engagement-{engagement_id}")
    assert "Ashby Private Hospital" in text(card)
    # Ashby recorded another address: the account alone cannot confirm it, but can reject it.
    assert card.select("button[value=confirm]") == [] and card.select("button[value=reject]")
    response = sam.post(
        f"/declare/engagements/{engagement_id}", data={"answer": "reject"}, follow_redirects=True
    )
    assert "We have told Ashby Private Hospital that you do not work there" in text(soup(response))
    assert soup(sam.get("/declare")).select_one(f"#engagement-{engagement_id}") is None
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).rejected_at is not None
    page = text(soup(evil.get(f"/manage/ashby/engagements/{engagement_id}")))
    assert "they said that they do not work here" in page
    # Someone else's engagement id is a 404, whoever owns it.
    with app.app_context():
        other = factories.make_engagement(
            factories.make_professional(),
            db.session.get(__import__("interests.models", fromlist=["Provider"]).Provider, world["ashby"]),
            confirmed_at=None,
        )
        db.session.commit()
        other_id = other.id
    assert sam.post(f"/declare/engagements/{other_id}", data={"answer": "confirm"}).status_code == 404


def test_declaration_is_refused_for_a_provider_not_confirmed_even_with_a_forged_form(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY).status_code == 302
    sam = signed_in(app, SAM_ACCOUNT)
    check = soup(sam.get("/declare/check"))
    forged = sam.post(
        "/declare/check",
        data={
            "providers": [str(world["northgate"]), str(world["ashby"])],
            "confirm": "y",
            "shown": check.select_one("input[name=shown]")["value"],
        },
    )
    assert forged.status_code == 200  # refused with a message, nothing sent anywhere
    with app.app_context():
        from interests.models import Declaration

        assert (
            db.session.scalar(
                select(func.count()).select_from(Declaration).where(Declaration.provider_id == world["ashby"])
            )
            == 0
        )
        assert db.session.scalar(select(func.count()).select_from(Declaration)) == 1  # the fixture's only
    assert "Reed" not in app.test_client().get("/providers/ashby/register.csv").get_data(as_text=True)


def test_professional_not_yet_registered_gets_an_account_linked_to_the_inviting_provider_only(
    app: Flask, world: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Provider
        from interests.services import invitations

        kim = factories.make_professional(given_name="Kim", family_name="Ng", registration_number="6677889")
        ashby = factories.make_engagement(
            kim, db.session.get(Provider, world["ashby"]), email="kim@ashby.example", confirmed_at=None
        )
        northgate = factories.make_engagement(
            kim, db.session.get(Provider, world["northgate"]), email=None, confirmed_at=None
        )
        invitations.ask_one(ashby, actor=None)
        db.session.commit()
        link = link_in(emails_to("kim@ashby.example")[0])
        ashby_id, northgate_id, kim_id = ashby.id, northgate.id, kim.id
    kim_client = app.test_client()
    assert (
        kim_client.post(
            link, data={"password": "kims long password", "confirm": "kims long password"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Engagement, ashby_id).confirmed_at is not None
        assert db.session.get(Engagement, northgate_id).confirmed_at is None
        assert (
            db.session.scalar(select(Account.email).where(Account.professional_id == kim_id))
            == "kim@ashby.example"
        )
    # Northgate recorded no address: Kim confirms it from the account.
    home = soup(kim_client.get("/declare"))
    assert home.select_one(f"#engagement-{northgate_id} button[value=confirm]") is not None
    kim_client.post(f"/declare/engagements/{northgate_id}", data={"answer": "confirm"})
    with app.app_context():
        assert db.session.get(Engagement, northgate_id).confirmed_at is not None
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "engagement.confirmed")
            )
            == 2
        )


def test_staff_list_shows_who_has_not_confirmed_or_says_they_do_not_work_there(
    app: Flask, world: dict[str, Any]
) -> None:
    evil = signed_in(app, "evil@ashby.example")
    assert import_lines(evil, SAM_AT_ASHBY).status_code == 302
    row = soup(evil.get("/manage/ashby/staff")).select_one("#staff tbody tr")
    assert "Not yet confirmed that they work here" in text(row)
    sam = signed_in(app, SAM_ACCOUNT)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.provider_id == world["ashby"])
        )
    sam.post(f"/declare/engagements/{engagement_id}", data={"answer": "reject"})
    row = soup(evil.get("/manage/ashby/staff")).select_one("#staff tbody tr")
    assert "Says they do not work here" in text(row)
    # Northgate's list: Sam confirmed long ago, so no note.
    lead = signed_in(app, "lead@northgate.example")
    row = soup(lead.get("/manage/northgate/staff")).select_one("#staff tbody tr")
    assert "Reed" in text(row) and "confirmed" not in text(row) and "do not work" not in text(row)
