"""The professional's own page says, for each interest, the declaration it was last sent in, and
shows clearly when a change (or a new interest) has not been sent yet (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Declaration, Provider
from tests import factories
from tests.pages import soup, text
from tests.web.declare.helpers import TODAY, add, interest_form, long_date, send_all

pytestmark = pytest.mark.alldb  # the last-sent query on SQLite and PostgreSQL


def _rows(client: FlaskClient) -> dict[str, str]:
    """Each interest's "Last sent" cell, by the interest's link text."""
    page = soup(client.get("/declare"))
    headers = [text(th) for th in page.select("#interests thead th")]
    column = headers.index("Last sent")
    return {
        text(row.select_one("a")): text(row.select("td")[column])
        for row in page.select("#interests tbody tr")
    }


def _not_sent_callout(client: FlaskClient) -> str | None:
    callout = soup(client.get("/declare")).select_one("#not-sent")
    return text(callout) if callout is not None else None


def _references(app: Flask) -> dict[str, list[str]]:
    """Each provider's declaration references, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(Provider.name, Declaration.reference)
            .join(Provider, Provider.id == Declaration.provider_id)
            .order_by(Declaration.id)
        ).all()
    found: dict[str, list[str]] = {}
    for name, reference in rows:
        found.setdefault(name, []).append(reference)
    return found


def test_a_new_interest_is_shown_as_not_sent_yet(signed_in: FlaskClient) -> None:
    add(signed_in)
    assert _rows(signed_in) == {"Outside employment: Medivance Surgical Ltd": "Not sent yet"}
    callout = _not_sent_callout(signed_in)
    assert callout is not None
    assert "1 of your interests is new or has changed since you last sent a declaration" in callout
    link = soup(signed_in.get("/declare")).select_one("#not-sent a")
    assert (text(link), link["href"]) == ("Check and send your declaration", "/declare/check")


def test_each_interest_says_which_declarations_it_was_last_sent_in(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    add(signed_in, other_party="Pelvica Devices plc")
    assert send_all(signed_in, me).status_code == 302

    refs = _references(app)
    sent = (
        f"Sent on {long_date(TODAY)} in {refs['Ashby Private Hospital'][0]} (Ashby Private Hospital), "
        f"{refs['Northgate NHS Trust'][0]} (Northgate NHS Trust)"
    )
    assert _rows(signed_in) == {
        "Outside employment: Medivance Surgical Ltd": sent,
        "Outside employment: Pelvica Devices plc": sent,
    }
    assert _not_sent_callout(signed_in) is None
    assert "Not sent yet" not in soup(signed_in.get("/declare")).select_one("main").get_text()


def test_a_change_after_sending_is_shown_clearly_until_it_is_sent(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    add(signed_in, other_party="Pelvica Devices plc")
    send_all(signed_in, me)
    first = _references(app)
    response = signed_in.post(
        "/declare/interests/1/change", data=interest_form(description="Chair of the advisory board")
    )
    assert response.status_code == 302

    rows = _rows(signed_in)
    changed = rows["Outside employment: Medivance Surgical Ltd"]
    assert changed.startswith("Changed: not sent yet Before the change, sent on ")
    assert first["Northgate NHS Trust"][0] in changed
    assert rows["Outside employment: Pelvica Devices plc"].startswith("Sent on ")
    tag = soup(signed_in.get("/declare")).select_one("#interests .nhsuk-tag--orange")
    assert text(tag) == "Changed: not sent yet"
    assert "1 of your interests is new or has changed" in (_not_sent_callout(signed_in) or "")

    # Sent again, to one provider only: the change is sent, and that declaration is the one named.
    send_all(signed_in, me, providers=[str(me["providers"][0])])
    latest = _references(app)["Northgate NHS Trust"][-1]
    assert latest != first["Northgate NHS Trust"][0]
    rows = _rows(signed_in)
    assert rows["Outside employment: Medivance Surgical Ltd"] == (
        f"Sent on {long_date(TODAY)} in {latest} (Northgate NHS Trust)"
    )
    assert rows["Outside employment: Pelvica Devices plc"] == (
        f"Sent on {long_date(TODAY)} in {latest} (Northgate NHS Trust)"
    )
    assert _not_sent_callout(signed_in) is None


def test_another_professionals_declarations_are_never_named(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    with app.app_context():
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        provider = db.session.get(Provider, me["providers"][0])
        factories.make_engagement(stranger, provider)
        version = factories.make_interest(stranger, other_party="Stranger Holdings Ltd")
        theirs = factories.make_declaration(stranger, provider, [version]).reference
        db.session.commit()
    page = soup(signed_in.get("/declare"))
    assert theirs not in page.get_text()
    assert "Stranger Holdings" not in page.get_text()
    assert _rows(signed_in) == {"Outside employment: Medivance Surgical Ltd": "Not sent yet"}
