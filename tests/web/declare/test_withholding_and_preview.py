"""Asking for an entry to be withheld, and previewing each register."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, Interest
from tests import factories
from tests.pages import error_summary, soup, text
from tests.web.declare.helpers import (
    TODAY,
    add,
    count,
    date_parts,
    long_date,
    send_all,
)

# --- Withholding and preview ------------------------------------------------------------------


@pytest.mark.alldb
def test_withholding_request_is_pending_per_provider_and_its_status_is_shown(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], scheduled: list[int | None]
) -> None:
    add(signed_in)
    response = signed_in.post(
        "/declare/interests/1/withhold",
        data={"providers": [str(me["providers"][0])], "reason": "A former patient has threatened my family."},
    )
    assert response.status_code == 302
    with app.app_context():
        from interests.models import Provider, WithholdingRequest

        request = db.session.scalars(select(WithholdingRequest)).one()
        assert (request.status, request.provider_id) == ("pending", me["providers"][0])
        assert db.session.get(Provider, me["providers"][0]).register_updated_at is not None
        assert scheduled == [me["professional_id"]]  # a pending entry leaves the public register
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "withholding.requested")
        ).one()
    interest_page = soup(signed_in.get("/declare/interests/1"))
    assert "Waiting for a decision Northgate NHS Trust" in text(
        interest_page.select_one("#withholding-requests")
    )
    assert "Waiting for a decision Northgate NHS Trust" in text(
        soup(signed_in.get("/declare")).select_one("#interests")
    )
    preview = soup(signed_in.get("/declare/preview"))
    sections = {text(s.h2): text(s.select_one(".app-entry")) for s in preview.select("section.app-preview")}
    assert "Not published" in sections["Register of declared interests Northgate NHS Trust"]
    # Withholding follows the interest: sent to Ashby, it would wait for Ashby's decision too.
    assert (
        "Ashby Private Hospital will be asked to decide too, for the same reason"
        in (sections["Register of declared interests Ashby Private Hospital"])
    )

    again = signed_in.post(
        "/declare/interests/1/withhold", data={"providers": [str(me["providers"][0])], "reason": "Again"}
    )
    assert error_summary(again) == ["You have already asked for this entry to be withheld there"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"providers": ["1"], "reason": ""}, "Enter why this entry should be withheld from publication"),
        ({"providers": ["1"], "reason": "r" * 2001}, "Reason must be 2,000 characters or fewer"),
        ({"providers": [], "reason": "Risk of harm"}, "Select where you want this entry withheld"),
        ({"providers": ["424242"], "reason": "Risk of harm"}, "Select where you want this entry withheld"),
    ],
)
def test_withholding_request_with_bad_input_saves_nothing(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], data: dict[str, Any], message: str
) -> None:
    add(signed_in)
    data = {**data, "providers": [str(me["providers"][0]) if p == "1" else p for p in data["providers"]]}
    response = signed_in.post("/declare/interests/1/withhold", data=data)
    assert error_summary(response) == [message]
    with app.app_context():
        from interests.models import WithholdingRequest

        assert count(WithholdingRequest) == 0


def test_preview_shows_each_entry_as_each_providers_register_will(
    signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in, category="indirect", relationship="My wife", interest_type="gifts", value="80")
    page = soup(signed_in.get("/declare/preview"))
    sections = page.select("section.app-preview")
    assert [text(s.h2) for s in sections] == [
        "Register of declared interests Ashby Private Hospital",
        "Register of declared interests Northgate NHS Trust",
    ]
    northgate = sections[1]
    assert text(northgate.h3).startswith("Alex Tester")
    assert text(northgate.select_one(".app-declaration p")).startswith("Consultant urogynaecologist · GMC ")
    entry = northgate.select_one("li.app-entry")
    assert text(entry.p) == "Gifts · Indirect"
    details = dict(
        zip([text(dt) for dt in entry.select("dt")], [text(dd) for dd in entry.select("dd")], strict=True)
    )
    assert details == {
        "Other party": "Medivance Surgical Ltd",
        "Description": "Paid member of the advisory board on pelvic floor devices",
        "Whose interest": "My wife",
        "Value": "£80",
        "Dates": f"From {long_date(TODAY - timedelta(days=30))}, ongoing",
        "Action taken by the provider": "Not recorded yet",
    }
    assert "dr.okafor@example.org" not in text(page.main)


@pytest.mark.alldb
def test_preview_entries_are_exactly_what_each_public_register_shows_once_sent(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    """Declare, let a provider record an action, ask to withhold one entry, preview, send: every
    entry the preview says will be published is on the public register, in the same order, as
    the same HTML; the withheld one is marked in the preview and absent from that register.
    At Northgate they hold two roles: the line under the name shows the one the register shows."""
    with app.app_context():
        from interests.models import Professional, Provider

        professional = db.session.get(Professional, me["professional_id"])
        factories.make_engagement(
            professional,
            db.session.get(Provider, me["providers"][0]),
            role="Clinical lead for pelvic health",
            start_date=TODAY - timedelta(days=60),
        )
        db.session.commit()
    month_ago = TODAY - timedelta(days=30)
    add(signed_in, other_party="Medivance Surgical Ltd", **date_parts("date_from", month_ago))
    add(  # started the same day: the register orders these two by when they were declared
        signed_in,
        category="indirect",
        relationship="My wife",
        interest_type="gifts",
        value="80",
        other_party="Helix Orthopaedics UK",
        description="A framed print\ngiven at a study day <b>with thanks</b>",
        **date_parts("date_from", month_ago),
    )
    add(  # ended recently: still published for 6 months
        signed_in,
        interest_type="hospitality",
        value="45",
        other_party="Northbridge Pharma plc",
        description="Dinner after a product training day",
        ongoing="no",
        **date_parts("date_from", TODAY - timedelta(days=100)),
        **date_parts("date_to", TODAY - timedelta(days=20)),
    )
    assert send_all(signed_in, me).status_code == 302

    # Northgate's register lead records an action on the Medivance entry.
    with app.app_context():
        from interests.models import Provider

        northgate = db.session.get(Provider, me["providers"][0])
        slugs = {p: db.session.get(Provider, p).slug for p in me["providers"]}
        factories.make_account(
            "provider_admin", email="register@northgate.example.org", providers=[northgate]
        )
        db.session.commit()
    lead = app.test_client()
    assert factories.sign_in(lead, "register@northgate.example.org").status_code == 302
    listing = soup(lead.get(f"/manage/{slugs[me['providers'][0]]}/declarations"))
    declaration = soup(lead.get(listing.select_one("a[href*='/declarations/']")["href"]))
    record = next(a for a in declaration.select("a[href$='/action']") if "Medivance" in text(a))
    action = "Not to take part in buying decisions for pelvic mesh"
    assert lead.post(record["href"], data={"action": action}).status_code == 302

    # A new interest, which the professional asks Northgate (only) to withhold.
    add(signed_in, other_party="Quantock Devices Ltd", **date_parts("date_from", TODAY - timedelta(days=10)))
    with app.app_context():
        newest = db.session.scalar(select(func.max(Interest.id)))
    withheld = signed_in.post(
        f"/declare/interests/{newest}/withhold",
        data={"providers": [str(me["providers"][0])], "reason": "A former patient has threatened my family."},
    )
    assert withheld.status_code == 302

    preview = soup(signed_in.get("/declare/preview"))
    previewed = {
        text(s.h2).removeprefix("Register of declared interests "): s for s in preview.select("section")
    }
    assert send_all(signed_in, me).status_code == 302

    public = app.test_client()  # a patient, not signed in
    for provider_id, name in zip(me["providers"], me["provider_names"], strict=True):
        section = previewed[name]
        register = soup(public.get(f"/providers/{slugs[provider_id]}"))
        (person,) = register.select("li.app-declaration")
        shown = [li for li in section.select("li.app-entry") if "app-entry--hidden" not in li["class"]]
        hidden = section.select("li.app-entry--hidden")
        assert [str(li) for li in shown] == [str(li) for li in person.select("li.app-entry")]
        assert text(section.h3) == text(person.h3)
        assert text(section.select_one(".app-declaration p")) == text(person.select_one("h3 + p"))

        others = [text(li.select_one("dd")) for li in shown]
        if provider_id == me["providers"][0]:  # Northgate: the action shows, Quantock is withheld
            assert others == ["Medivance Surgical Ltd", "Helix Orthopaedics UK", "Northbridge Pharma plc"]
            assert action in text(shown[0])
            assert [text(li.select_one("dd")) for li in hidden] == ["Quantock Devices Ltd"]
            assert "Not published" in text(hidden[0]) and "Quantock" not in text(register.main)
        else:  # Ashby: withholding follows the interest, so Quantock arrives awaiting Ashby's decision
            assert others == ["Medivance Surgical Ltd", "Helix Orthopaedics UK", "Northbridge Pharma plc"]
            assert [text(li.select_one("dd")) for li in hidden] == ["Quantock Devices Ltd"]
            assert "Ashby Private Hospital will be asked to decide too" in text(hidden[0])
            assert "Quantock" not in text(register.main) and action not in text(section)
