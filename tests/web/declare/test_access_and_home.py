"""Who may see the declaration pages, My declarations, and nobody else's interests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.models import InterestVersion
from interests.rules.compliance import anniversary_of
from tests import factories
from tests.pages import soup, text
from tests.web.declare.helpers import (
    TODAY,
    count,
    date_parts,
    interest_form,
    journey_events,
    long_date,
    other_professionals_interest,
)

# --- Who may see the pages -------------------------------------------------------------------


def test_declare_pages_signed_out_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in (
        "/declare",
        "/declare/interests/new",
        "/declare/check",
        "/declare/nil-return",
        "/declare/preview",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_declare_pages_for_a_provider_admin_are_forbidden(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = factories.make_account("provider_admin").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.get("/declare").status_code == 403
    assert client.post("/declare/interests/new", data=interest_form()).status_code == 403


# --- My declarations --------------------------------------------------------------------------


@pytest.mark.alldb
def test_my_declarations_lists_each_workplace_with_status_next_due_and_last_sent(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Professional, Provider

        professional = db.session.get(Professional, me["professional_id"])
        northgate = db.session.get(Provider, me["providers"][0])
        factories.make_declaration(professional, northgate, declared_on=TODAY - timedelta(days=10))
        db.session.commit()

    page = soup(signed_in.get("/declare"))

    rows = {
        text(row.select("td")[0]): [text(td) for td in row.select("td")]
        for row in page.select("#workplaces tbody tr")
    }
    northgate_row = rows["Northgate NHS Trust Consultant urogynaecologist"]
    assert northgate_row[1] == "Declared"
    assert northgate_row[2] == long_date(anniversary_of(TODAY - timedelta(days=10)))
    assert "nil return" in northgate_row[3]
    ashby_row = rows["Ashby Private Hospital Consultant"]
    # Engaged 400 days ago and never declared there: missing.
    assert ashby_row[1] == "Missing"
    assert ashby_row[3] == "Nothing yet"
    assert text(page.select_one("a.nhsuk-button")) == "Send a nil return"


def test_my_declarations_without_a_workplace_says_so(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = factories.make_account("professional").email
        db.session.commit()
    factories.sign_in(client, email)
    page = soup(client.get("/declare"))
    assert "You are not recorded as working at any provider yet" in text(page.main)
    assert not page.select("#workplaces")


def test_my_declarations_leaves_out_ended_engagements(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Professional

        old = factories.make_provider(name="Closed Clinic Ltd", kind="clinic")
        factories.make_engagement(
            db.session.get(Professional, me["professional_id"]),
            old,
            start_date=TODAY - timedelta(days=900),
            end_date=TODAY - timedelta(days=1),
        )
        db.session.commit()
    assert "Closed Clinic Ltd" not in text(soup(signed_in.get("/declare")).main)


# --- Nobody else's interests --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/change", "/end", "/withhold"])
def test_another_professionals_interest_is_not_found_and_unchanged(
    app: Flask, signed_in: FlaskClient, path: str
) -> None:
    theirs = other_professionals_interest(app)
    assert signed_in.get(f"/declare/interests/{theirs}{path}").status_code == 404
    if path:
        data = {**interest_form(), **date_parts("date_to", TODAY), "reason": "x", "providers": ["1"]}
        assert signed_in.post(f"/declare/interests/{theirs}{path}", data=data).status_code == 404
    assert signed_in.get(f"/declare/interests/99999{path}").status_code == 404
    with app.app_context():
        assert count(InterestVersion) == 1
        assert journey_events() == 0
        from interests.models import WithholdingRequest

        assert count(WithholdingRequest) == 0


def test_another_professionals_confirmation_page_is_not_found(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Provider

        stranger = factories.make_professional()
        provider = db.session.get(Provider, me["providers"][0])
        factories.make_engagement(stranger, provider)
        declaration = factories.make_declaration(stranger, provider)
        declaration.submission_key = "a" * 40
        db.session.commit()
        assert declaration.submission_key == "a" * 40
    assert signed_in.get("/declare/sent/" + "a" * 40).status_code == 404
    assert signed_in.get("/declare/sent/not-a-key").status_code == 404
