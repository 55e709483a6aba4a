"""A professional whose entries are all withheld stays on the register, with the number withheld:
dropping off would tell a patient that something was being withheld. Their name and role are
shown everywhere a published person is (register, print view, their page, CSV, JSON, API,
search); what the withheld entries are never appears anywhere.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.services import search_index
from tests.factories import (
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_provider,
    make_withholding_request,
)

# What the withheld entries are: none of it may reach a public output.
SECRETS = ("Quietwater Holdings", "Shares held in trust", "Risk of harm to my children", "Harbour Trust")


@dataclass
class Data:
    slug: str
    priya: int  # Priya Shah: one entry, withheld (approved)
    tom: int  # Tom Reid: two entries, one withheld and one awaiting a decision
    anna: int  # Anna Lee: one published entry and one withheld


@pytest.fixture
def data(app: Flask) -> Data:
    with app.app_context():
        provider = make_provider(name="Harbourside Hospital", slug="harbourside")
        review_on = date.today() + timedelta(days=365)

        priya = make_professional(given_name="Priya", family_name="Shah", title="Dr")
        make_engagement(priya, provider, role="Consultant psychiatrist")
        hidden = make_interest(
            priya,
            interest_type="shareholdings",
            other_party="Quietwater Holdings",
            description="Shares held in trust",
        )
        make_declaration(priya, provider, [hidden])
        make_withholding_request(
            hidden,
            provider,
            status="approved",
            reason="Risk of harm to my children",
            decision_reason="Real risk",
            review_on=review_on,
        )

        tom = make_professional(given_name="Tom", family_name="Reid")
        make_engagement(tom, provider, role="Staff nurse")
        approved = make_interest(tom, other_party="Harbour Trust", description="Trustee")
        pending = make_interest(tom, other_party="Harbour Trust", description="Trustee, second term")
        make_declaration(tom, provider, [approved, pending])
        make_withholding_request(
            approved, provider, status="approved", decision_reason="Real risk", review_on=review_on
        )
        make_withholding_request(pending, provider)

        anna = make_professional(given_name="Anna", family_name="Lee")
        make_engagement(anna, provider, role="Anaesthetist")
        shown = make_interest(anna, interest_type="gifts", other_party="Sleepwell Devices")
        also_hidden = make_interest(
            anna, other_party="Quietwater Holdings", description="Shares held in trust"
        )
        make_declaration(anna, provider, [shown, also_hidden])
        make_withholding_request(
            also_hidden, provider, status="approved", decision_reason="Real risk", review_on=review_on
        )
        db.session.commit()
        ids = Data(slug=provider.slug, priya=priya.id, tom=tom.id, anna=anna.id)
        search_index.rebuild()
        return ids


def get(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, (url, secret)
    return BeautifulSoup(body, "html.parser")


def text_of(soup: Any) -> str:
    return " ".join(soup.get_text(" ").split())


def listed(page: BeautifulSoup) -> dict[str, str]:
    """Each person on a register page: name -> the text of their listing."""
    return {text_of(li.select_one("h3")): text_of(li) for li in page.select("ol.app-register > li")}


def test_register_lists_people_whose_entries_are_all_withheld_with_the_count(
    client: FlaskClient, data: Data
) -> None:
    page = get(client, "/providers/harbourside")
    people = listed(page)
    assert list(people) == ["Anna Lee", "Tom Reid", "Dr Priya Shah"]
    assert text_of(page.select_one("#declarations-heading")) == "3 people"
    assert "Consultant psychiatrist" in people["Dr Priya Shah"]
    assert "1 entry withheld from publication" in people["Dr Priya Shah"]
    assert "Staff nurse" in people["Tom Reid"]
    assert "2 entries withheld from publication" in people["Tom Reid"]  # one is awaiting a decision
    assert "Sleepwell Devices" in people["Anna Lee"]
    assert "1 entry withheld from publication" in people["Anna Lee"]
    # The counts beside each person add up to the register's own count.
    assert "4 entries are withheld" in text_of(page.select_one("#withheld"))
    # The print view says the same.
    printed = text_of(get(client, "/providers/harbourside/print"))
    assert "Dr Priya Shah" in printed and "1 entry withheld from publication" in printed
    assert "4 entries are withheld" in printed


def test_professional_page_of_someone_all_withheld_shows_name_role_and_count(
    client: FlaskClient, data: Data
) -> None:
    page = get(client, f"/professionals/{data.priya}")
    assert text_of(page.select_one("h1")) == "Declared interests Dr Priya Shah"
    section = text_of(page.select_one("section.app-declaration"))
    assert section.startswith("At Harbourside Hospital Consultant psychiatrist")
    assert "1 entry withheld from publication" in section
    assert page.select("section.app-declaration .app-entry") == []
    assert page.select_one(".app-withheld-entries a")["href"] == "/understanding#withheld"


def test_filtering_by_the_withheld_entrys_type_does_not_reveal_it(client: FlaskClient, data: Data) -> None:
    page = get(client, "/providers/harbourside?type=shareholdings")
    assert listed(page) == {}
    page = get(client, "/providers/harbourside?q=Quietwater")
    assert listed(page) == {}
    # Searching the register by name still finds her.
    assert list(listed(get(client, "/providers/harbourside?q=Shah"))) == ["Dr Priya Shah"]


def test_downloads_and_api_list_them_with_the_count_and_no_entry(client: FlaskClient, data: Data) -> None:
    raw = client.get("/providers/harbourside/register.csv").get_data(as_text=True)
    assert not any(secret in raw for secret in SECRETS)
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(raw))}
    priya = rows["Dr Priya Shah"]
    assert priya["role"] == "Consultant psychiatrist"
    assert priya["nil_return"] == "False"
    assert priya["withheld_entries"] == "1"
    assert priya["other_party"] == priya["description"] == priya["type"] == ""
    assert rows["Tom Reid"]["withheld_entries"] == "2"
    assert (
        rows["Anna Lee"]["other_party"] == "Sleepwell Devices" and rows["Anna Lee"]["withheld_entries"] == "1"
    )

    for url in ("/providers/harbourside/register.json", "/api/v1/providers/harbourside/register"):
        body = client.get(url).get_data(as_text=True)
        assert not any(secret in body for secret in SECRETS), url
        document = client.get(url).get_json()
        declarations = document.get("declarations") or document["items"]
        by_name = {d["name"]: d for d in declarations}
        assert by_name["Dr Priya Shah"]["entries"] == []
        assert by_name["Dr Priya Shah"]["withheld_entries"] == 1
        assert by_name["Dr Priya Shah"]["role"] == "Consultant psychiatrist"
        assert sum(d["withheld_entries"] for d in declarations) == document["withheld_entries"] == 4

    api = client.get(f"/api/v1/professionals/{data.priya}")
    assert api.status_code == 200
    current = api.get_json()["current"]
    assert [(d["provider"], d["entries"], d["withheld_entries"]) for d in current] == [("harbourside", [], 1)]


def test_search_finds_them_by_name_with_their_provider_but_not_by_the_withheld_company(
    client: FlaskClient, data: Data
) -> None:
    page = get(client, "/search?q=Priya+Shah")
    result = text_of(page.select_one("#professional-results"))
    assert "Dr Priya Shah" in result and "Harbourside Hospital (Consultant psychiatrist)" in result
    page = get(client, "/search?q=Quietwater")
    assert page.select("#professional-results") == []
