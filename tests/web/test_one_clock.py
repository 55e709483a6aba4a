"""One clock: at half past midnight in British Summer Time every page agrees it is already the new
UK day, whatever the server's own clock zone says (interests/clock.py).

At 00:30 BST on 1 July 2026 the server's UTC clock still reads 30 June. An interest that ended on
31 December 2025 left the register at the start of 1 July (it is published for 6 months after it
ends); one that ended on 1 January 2026 is still published. Every audience must see the same.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from interests import clock
from interests.extensions import db
from interests.services import search_index
from tests.factories import (
    make_account,
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_provider,
    sign_in,
)

HALF_PAST_MIDNIGHT_BST = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July 2026, UK time
GONE = "Yesterday Devices Ltd"  # ended 31 December 2025: no longer published on 1 July
KEPT = "Still Shown Pharma Ltd"  # ended 1 January 2026: published until the end of 1 July


def text_of(html: bytes) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


@pytest.fixture
def uk_new_day(app: Flask) -> Any:
    with time_machine.travel(HALF_PAST_MIDNIGHT_BST, tick=False):
        with app.app_context():
            provider = make_provider(slug="northfield", name="Northfield Hospital")
            person = make_professional(given_name="Priya", family_name="Raman", registration_number="7654321")
            make_engagement(person, provider, start_date=date(2020, 1, 1))
            gone = make_interest(
                person, other_party=GONE, date_from=date(2024, 1, 1), date_to=date(2025, 12, 31)
            )
            kept = make_interest(
                person, other_party=KEPT, date_from=date(2024, 1, 1), date_to=date(2026, 1, 1)
            )
            make_declaration(person, provider, [gone, kept], declared_on=date(2026, 6, 1))
            account = make_account("professional", professional=person)
            facts = {"professional": person.id, "email": account.email}
            db.session.commit()
            search_index.rebuild()
        yield facts


def test_the_clock_gives_the_uk_date_not_the_servers(uk_new_day: dict[str, Any]) -> None:
    assert clock.now().date() == date(2026, 6, 30)  # the server's UTC clock: still 30 June
    assert clock.today() == date(2026, 7, 1)  # but it is 1 July in the UK
    assert clock.uk_now().hour == 0 and clock.uk_now().minute == 30


def test_register_api_search_and_declare_pages_agree_at_half_past_midnight_bst(
    client: FlaskClient, uk_new_day: dict[str, Any]
) -> None:
    person = uk_new_day["professional"]
    register = text_of(client.get("/providers/northfield").data)
    professional_page = text_of(client.get(f"/professionals/{person}").data)
    api_register = client.get("/api/v1/providers/northfield/register").get_data(as_text=True)
    api_person = client.get(f"/api/v1/professionals/{person}").get_data(as_text=True)
    search_gone = text_of(client.get("/search?q=Yesterday+Devices").data)
    search_kept = text_of(client.get("/search?q=Still+Shown+Pharma").data)
    api_search_gone = client.get("/api/v1/search?q=Yesterday+Devices").get_json()
    api_search_kept = client.get("/api/v1/search?q=Still+Shown+Pharma").get_json()
    csv_file = client.get("/providers/northfield/register.csv").get_data(as_text=True)

    for published in (register, professional_page, api_register, api_person, csv_file):
        assert KEPT in published
        assert GONE not in published
    assert "Priya Raman" in search_kept
    assert "Priya Raman" not in search_gone
    assert [hit for hit in api_search_kept["items"] if "Raman" in str(hit)]
    assert not [hit for hit in api_search_gone["items"] if "Raman" in str(hit)]

    sign_in(client, uk_new_day["email"])
    declare = BeautifulSoup(client.get("/declare").data, "html.parser")
    rows = {" ".join(row.get_text(" ").split()) for row in declare.select("tr")}
    assert any(KEPT in row and "Included in your next declaration" in row for row in rows)
    assert any(GONE in row and "no longer declared" in row for row in rows)


def test_nothing_else_reads_the_server_clock() -> None:
    """Only interests/clock.py asks the system for the date or time (a grep, so a new call fails)."""
    package = Path(__file__).resolve().parents[2] / "interests"
    offenders = []
    pattern = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|datetime\.today)\(")
    for path in package.rglob("*.py"):
        if path.name == "clock.py" and path.parent == package:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(package.parent)}:{number}: {line.strip()}")
    assert offenders == []
