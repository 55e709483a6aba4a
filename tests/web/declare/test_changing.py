"""Changing and ending an interest: new versions, the history, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import AuditEvent, Interest, InterestVersion
from tests.pages import error_summary, soup, text
from tests.web.declare.helpers import (
    TODAY,
    add,
    count,
    date_parts,
    interest_form,
    long_date,
)

# --- Change, end, history ---------------------------------------------------------------------


def test_change_interest_makes_a_new_version_and_keeps_the_old_one_in_the_history(
    app: Flask, signed_in: FlaskClient
) -> None:
    add(signed_in)
    form = soup(signed_in.get("/declare/interests/1/change"))
    assert form.select_one("#other_party")["value"] == "Medivance Surgical Ltd"
    assert form.select_one("input#ongoing[value=yes]").has_attr("checked")

    response = signed_in.post(
        "/declare/interests/1/change", data=interest_form(description="Chair of the advisory board")
    )

    assert response.status_code == 302
    with app.app_context():
        versions = db.session.scalars(select(InterestVersion).order_by(InterestVersion.version_number)).all()
        assert [(v.version_number, v.description) for v in versions] == [
            (1, "Paid member of the advisory board on pelvic floor devices"),
            (2, "Chair of the advisory board"),
        ]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "interest.changed")).one()
        assert event.data["changed"] == ["description"]
    history = [text(row) for row in soup(signed_in.get("/declare/interests/1")).select("#versions tbody tr")]
    assert history[0].startswith("2 ") and "Chair of the advisory board" in history[0]
    assert history[1].startswith("1 ") and "Paid member of the advisory board" in history[1]


def test_change_interest_page_shows_every_answer_as_it_was(signed_in: FlaskClient) -> None:
    ended = TODAY - timedelta(days=3)
    add(
        signed_in,
        category="indirect",
        relationship="My husband",
        interest_type="gifts",
        value="1250.5",
        ongoing="no",
        **date_parts("date_to", ended),
    )
    form = soup(signed_in.get("/declare/interests/1/change"))
    assert form.select_one("input[name=category][checked]")["value"] == "indirect"
    assert form.select_one("input[name=interest_type][checked]")["value"] == "gifts"
    assert form.select_one("#relationship")["value"] == "My husband"
    assert form.select_one("#value")["value"] == "1,250.50"
    assert form.select_one("input[name=ongoing][checked]")["value"] == "no"
    assert [form.select_one(f"#date_to{p}")["value"] for p in ("", "-month", "-year")] == [
        str(ended.day),
        str(ended.month),
        str(ended.year),
    ]


def test_change_interest_without_changes_makes_no_new_version(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    unchanged = {k: v for k, v in interest_form().items()}
    response = signed_in.post("/declare/interests/1/change", data=unchanged, follow_redirects=True)
    assert "You did not change anything" in text(soup(response))
    with app.app_context():
        assert count(InterestVersion) == 1


def test_change_interest_with_bad_input_saves_nothing(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    response = signed_in.post("/declare/interests/1/change", data=interest_form(other_party=""))
    assert error_summary(response) == ["Enter the name of the company, organisation or person"]
    with app.app_context():
        assert count(InterestVersion) == 1


def test_end_interest_sets_its_to_date_in_a_new_version(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    ended = TODAY - timedelta(days=2)
    response = signed_in.post("/declare/interests/1/end", data=date_parts("date_to", ended))
    assert response.status_code == 302
    with app.app_context():
        current = db.session.get(Interest, 1).current
        assert (current.version_number, current.date_to) == (2, ended)
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "interest.ended")
        ).one()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (date_parts("date_to", None), "Enter date to"),
        ({"date_to-day": "1", "date_to-month": "", "date_to-year": "2026"}, "Date to must include a month"),
        (date_parts("date_to", TODAY - timedelta(days=31)), None),  # before it started: see below
    ],
)
def test_end_interest_with_bad_date_saves_nothing(
    app: Flask, signed_in: FlaskClient, data: dict[str, str], message: str | None
) -> None:
    add(signed_in)
    response = signed_in.post("/declare/interests/1/end", data=data)
    started = TODAY - timedelta(days=30)
    expected = message or f"Date to must be the same as or after {long_date(started)}, when it started"
    assert error_summary(response) == [expected]
    assert text(soup(response).select_one("#date_to-error")) == f"Error: {expected}"
    with app.app_context():
        assert count(InterestVersion) == 1
