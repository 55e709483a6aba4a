"""Adding an interest: the page, what is saved and audited, and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
    journey_events,
)

# --- Add an interest ------------------------------------------------------------------------------


def test_add_interest_page_explains_each_type_with_nhs_thresholds(signed_in: FlaskClient) -> None:
    page = soup(signed_in.get("/declare/interests/new"))
    assert text(page.h1) == "Add an interest"
    hints = text(page.select_one("#interest_type-2-item-hint"))
    assert "under £25 need not be declared" in hints
    assert "cash or vouchers are always declined" in text(page.select_one("#interest_type-item-hint"))
    assert "Only for an indirect interest" in text(page.select_one("#relationship-hint"))
    assert "Only if it has ended" in text(page.select_one("#date_to-input-hint"))
    for part in ("day", "month", "year"):
        assert page.select_one(f"input[name=date_from-{part}]") is not None


def test_add_interest_saves_a_first_version_audits_it_and_goes_to_check(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    response = add(
        signed_in,
        interest_type="hospitality",
        other_party="  Medivance Surgical Ltd ",
        value="£1,250.50",
        description="Dinner after\r\nthe device launch",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/declare/check"
    with app.app_context():
        version = db.session.scalars(select(InterestVersion)).one()
        assert version.version_number == 1
        assert version.other_party == "Medivance Surgical Ltd"
        assert version.description == "Dinner after\nthe device launch"
        assert version.value_pence == 125050
        assert version.date_to is None
        assert version.interest.professional_id == me["professional_id"]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "interest.added")).one()
        assert event.professional_id == me["professional_id"]
    check = soup(signed_in.get("/declare/check"))
    assert "Interest added: Medivance Surgical Ltd" in text(check)
    assert "£1,250.50" in text(check.select_one(".app-interest-card"))


def test_add_interest_drops_a_value_for_a_type_without_one(app: Flask, signed_in: FlaskClient) -> None:
    assert add(signed_in, interest_type="shareholdings", value="5000").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().value_pence is None


def test_add_indirect_interest_keeps_the_relationship(app: Flask, signed_in: FlaskClient) -> None:
    assert add(signed_in, category="indirect", relationship="My wife").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().relationship_to_professional == "My wife"


def test_add_ended_interest_keeps_its_to_date(app: Flask, signed_in: FlaskClient) -> None:
    ended = TODAY - timedelta(days=3)
    assert add(signed_in, ongoing="no", **date_parts("date_to", ended)).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().date_to == ended


FUTURE = TODAY + timedelta(days=400)
BAD_INPUT = [
    # (form overrides, field whose message it is, message)
    ({"category": ""}, "category", "Select the category of interest"),
    ({"category": "bribery"}, "category", "Select the category of interest"),
    ({"interest_type": ""}, "interest_type", "Select the type of interest"),
    ({"interest_type": "cash"}, "interest_type", "Select the type of interest"),
    ({"other_party": "   "}, "other_party", "Enter the name of the company, organisation or person"),
    ({"other_party": "x" * 201}, "other_party", "Name of the other party must be 200 characters or fewer"),
    ({"other_party": "Acme\nLtd"}, "other_party", "Name of the other party must be on one line"),
    (
        {"other_party": "Acme\x00Ltd"},
        "other_party",
        "Name of the other party must not include hidden characters such as control codes",
    ),
    ({"description": ""}, "description", "Enter a description of the interest"),
    ({"description": "y" * 2001}, "description", "Description must be 2,000 characters or fewer"),
    (
        {"description": "Board \x1b[31m member"},
        "description",
        "Description must not include hidden characters such as control codes",
    ),
    (
        {"description": "evil\u202egpj.exe"},
        "description",
        "Description must not include hidden characters such as control codes",
    ),
    (
        {"category": "indirect", "relationship": ""},
        "relationship",
        "Enter whose interest it is, for example my wife or my business partner",
    ),
    (
        {"category": "indirect", "relationship": "z" * 201},
        "relationship",
        "Whose interest it is must be 200 characters or fewer",
    ),
    (
        {"interest_type": "gifts", "value": ""},
        "value",
        "Enter the value of the gifts in pounds, like 1,250 or 1,250.50",
    ),
    ({"interest_type": "gifts", "value": "-5"}, "value", "Value must be £0 or more"),
    (
        {"interest_type": "gifts", "value": "12.345"},
        "value",
        "Value must have no more than 2 numbers after the decimal point",
    ),
    (
        {"interest_type": "gifts", "value": "lots"},
        "value",
        "Value must be an amount of money, like 1,250 or 1,250.50",
    ),
    (
        {"interest_type": "gifts", "value": "1e9"},
        "value",
        "Value must be an amount of money, like 1,250 or 1,250.50",
    ),
    ({"interest_type": "gifts", "value": "99999999999"}, "value", "Value must be £10,000,000 or less"),
    ({"date_from-day": "", "date_from-month": "", "date_from-year": ""}, "date_from", "Enter date from"),
    ({"date_from-month": ""}, "date_from", "Date from must include a month"),
    ({"date_from-day": "", "date_from-year": ""}, "date_from", "Date from must include a day and a year"),
    (
        {"date_from-day": "31", "date_from-month": "2", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    (
        {"date_from-day": "1", "date_from-month": "13", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    (
        {"date_from-day": "one", "date_from-month": "1", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    ({"date_from-year": "25"}, "date_from", "Year must include 4 numbers"),
    ({"date_from-year": "0999"}, "date_from", "Date from must be a real date"),
    ({"date_from-year": "1949"}, "date_from", "Date from must be the same as or after 1 January 1950"),
    (
        date_parts("date_from", FUTURE),
        "date_from",
        f"Date from must be the same as or before {(TODAY + timedelta(days=365)).day} "
        f"{(TODAY + timedelta(days=365)):%B %Y}",
    ),
    ({"ongoing": ""}, "ongoing", "Select yes if this interest is still going on"),
    ({"ongoing": "no"}, "date_to", "Enter date to, or select yes if the interest is still going on"),
    (
        {"ongoing": "no", **date_parts("date_to", TODAY - timedelta(days=60))},
        "date_to",
        "Date to must be the same as or after date from",
    ),
    (
        {"ongoing": "no", "date_to-day": "30", "date_to-month": "2", "date_to-year": "2026"},
        "date_to",
        "Date to must be a real date",
    ),
    (
        {"ongoing": "no", **date_parts("date_to", FUTURE)},
        "date_to",
        f"Date to must be the same as or before {(TODAY + timedelta(days=365)).day} "
        f"{(TODAY + timedelta(days=365)):%B %Y}",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT, ids=[m for _, _, m in BAD_INPUT])
def test_add_interest_with_bad_input_shows_the_message_and_saves_nothing(
    app: Flask, signed_in: FlaskClient, overrides: dict[str, str], field: str, message: str
) -> None:
    response = add(signed_in, **overrides)

    assert response.status_code == 200
    assert error_summary(response) == [message]
    page = soup(response)
    assert page.title.get_text().startswith("Error: ")
    beside = page.select_one(f"#{field}-error")
    assert beside is not None and text(beside) == f"Error: {message}"
    # The summary links to the field (the day box, for a date; the first radio, for radios).
    href = page.select_one(".nhsuk-error-summary li a")["href"]
    assert page.select_one(href) is not None
    with app.app_context():
        assert count(Interest) == 0
        assert count(InterestVersion) == 0
        assert journey_events() == 0


def test_add_interest_with_a_bad_date_keeps_what_was_typed_and_highlights_the_box(
    signed_in: FlaskClient,
) -> None:
    response = add(signed_in, **{"date_from-day": "12", "date_from-month": "", "date_from-year": "2024"})
    page = soup(response)
    assert page.select_one("#date_from")["value"] == "12"
    assert page.select_one("#date_from-year")["value"] == "2024"
    assert "nhsuk-input--error" in page.select_one("#date_from-month")["class"]
    assert "nhsuk-input--error" not in page.select_one("#date_from")["class"]


def test_add_interest_with_a_bad_date_to_while_ongoing_ignores_the_to_date(
    app: Flask, signed_in: FlaskClient
) -> None:
    response = add(
        signed_in, ongoing="yes", **{"date_to-day": "99", "date_to-month": "x", "date_to-year": "1"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().date_to is None


@pytest.mark.alldb
def test_add_interest_html_and_script_are_stored_as_typed_and_shown_escaped(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    hostile = '<script>alert("x")</script><b>Acme</b>'
    assert add(signed_in, other_party=hostile, description=hostile).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().other_party == hostile
    for path in ("/declare", "/declare/check", "/declare/preview", "/declare/interests/1"):
        html = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert" in html, path
        assert "<b>Acme</b>" not in html, path
