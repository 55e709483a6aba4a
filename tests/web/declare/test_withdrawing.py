"""Withdrawing a request to withhold (product: withholding follows the interest "unless the
professional withdraws the request"): the entry is published at that provider, and only there;
with the attacks on it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import AuditEvent, Provider, WithholdingRequest
from interests.services import search_index, withholding
from tests import factories
from tests.pages import soup, text
from tests.web.declare.helpers import TODAY, add, send_all

pytestmark = pytest.mark.alldb

PARTY = "Medivance Surgical Ltd"


@pytest.fixture
def withheld(app: Flask, signed_in: FlaskClient, me: dict[str, Any]) -> dict[str, Any]:
    """An interest sent to both providers and withheld at both while they decide; the first approves."""
    add(signed_in)
    signed_in.post(
        "/declare/interests/1/withhold",
        data={"providers": [str(p) for p in me["providers"]], "reason": "A former patient threatened me."},
    )
    assert send_all(signed_in, me).status_code == 302
    with app.app_context():
        requests = {r.provider_id: r for r in db.session.scalars(select(WithholdingRequest))}
        first, second = (requests[p] for p in me["providers"])
        admin = factories.make_account("provider_admin", providers=[first.provider])
        withholding.decide(
            first,
            approve=True,
            reason="Real risk",
            review_on=TODAY.replace(year=TODAY.year + 1),
            actor=admin,
            today=TODAY,
        )
        slugs = [db.session.get(Provider, p).slug for p in me["providers"]]
        db.session.commit()
        search_index.apply_pending()
        db.session.commit()
        return {"approved": first.id, "pending": second.id, "slugs": slugs}


def _published(client: FlaskClient, slug: str) -> bool:
    return PARTY in text(soup(client.get(f"/providers/{slug}")).select_one("main"))


@pytest.mark.parametrize("which", ["approved", "pending"])
def test_withdrawing_publishes_the_entry_at_that_provider_only_and_is_audited(
    app: Flask,
    signed_in: FlaskClient,
    client: FlaskClient,
    me: dict[str, Any],
    withheld: dict[str, Any],
    which: str,
) -> None:
    public = app.test_client()
    assert not _published(public, withheld["slugs"][0]) and not _published(public, withheld["slugs"][1])
    page = soup(signed_in.get("/declare/interests/1"))
    links = [a["href"] for a in page.select("#withholding-requests a")]
    path = f"/declare/interests/1/withholding/{withheld[which]}/withdraw"
    assert path in links
    confirm = soup(signed_in.get(path))
    assert text(confirm.h1) == "Withdraw your request to withhold this entry"
    assert "published on" in text(confirm.select_one(".nhsuk-warning-callout"))
    response = signed_in.post(path)
    assert response.status_code == 302
    assert "Request withdrawn" in text(soup(signed_in.get(response.headers["Location"])))
    with app.app_context():
        request = db.session.get(WithholdingRequest, withheld[which])
        assert request is not None and request.status == "withdrawn"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "withholding.withdrawn")
        ).one()
        assert event.entity_id == request.id and event.data["was"] == which
        search_index.apply_pending()
        db.session.commit()
    index = 0 if which == "approved" else 1
    assert _published(public, withheld["slugs"][index])
    assert not _published(public, withheld["slugs"][1 - index])
    # Withdrawn once: the page no longer offers it, and the address is not found.
    assert signed_in.get(path).status_code == 404
    assert signed_in.post(path).status_code == 404


def test_a_provider_cannot_decide_a_withdrawn_request(
    app: Flask, signed_in: FlaskClient, withheld: dict[str, Any]
) -> None:
    signed_in.post(f"/declare/interests/1/withholding/{withheld['pending']}/withdraw")
    with app.app_context():
        request = db.session.get(WithholdingRequest, withheld["pending"])
        admin = factories.make_account("provider_admin", providers=[request.provider])
        with pytest.raises(Exception, match="already been decided"):
            withholding.decide(request, approve=True, reason="x", review_on=None, actor=admin, today=TODAY)


# --- Attacks -------------------------------------------------------------------------------------


def test_another_professional_cannot_withdraw_my_request(app: Flask, withheld: dict[str, Any]) -> None:
    client = app.test_client()
    with app.app_context():
        other = factories.make_account("professional").email
        db.session.commit()
    factories.sign_in(client, other)
    path = f"/declare/interests/1/withholding/{withheld['pending']}/withdraw"
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    with app.app_context():
        assert db.session.get(WithholdingRequest, withheld["pending"]).status == "pending"


def test_a_request_id_under_another_interest_is_not_found(
    app: Flask, signed_in: FlaskClient, withheld: dict[str, Any]
) -> None:
    add(signed_in, other_party="Orthoflex Devices plc")  # my interest 2
    assert (
        signed_in.post(f"/declare/interests/2/withholding/{withheld['pending']}/withdraw").status_code == 404
    )
    assert signed_in.post("/declare/interests/1/withholding/999999/withdraw").status_code == 404
    with app.app_context():
        assert db.session.get(WithholdingRequest, withheld["pending"]).status == "pending"


def test_a_provider_admin_and_a_signed_out_script_cannot_withdraw(
    app: Flask, withheld: dict[str, Any]
) -> None:
    client = app.test_client()
    path = f"/declare/interests/1/withholding/{withheld['pending']}/withdraw"
    response = client.post(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    with app.app_context():
        email = factories.make_account("provider_admin").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.post(path).status_code == 403
    with app.app_context():
        assert db.session.get(WithholdingRequest, withheld["pending"]).status == "pending"


def test_withdrawing_without_the_csrf_token_changes_nothing(
    app: Flask, signed_in: FlaskClient, withheld: dict[str, Any]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = signed_in.post(f"/declare/interests/1/withholding/{withheld['pending']}/withdraw")
        assert response.status_code in (200, 400)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert db.session.get(WithholdingRequest, withheld["pending"]).status == "pending"
