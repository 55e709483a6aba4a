"""Public pages: what a patient sees with no sign-in (BeautifulSoup on every page)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.public_data import Register, build_and_index


def text_of(soup: Any) -> str:
    return " ".join(soup.get_text(" ").split())


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        return build_and_index()


def get(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def test_start_page_has_search_box_and_links_to_providers_and_explanations(client: FlaskClient) -> None:
    page = get(client, "/")
    assert (
        page.select_one("label[for=search-q]").get_text(strip=True) == "Search by name, hospital or company"
    )
    links = {a["href"] for a in page.select("main a")}
    assert "/providers" in links and "/understanding" in links


def test_register_lists_published_declarations_with_names_linking_to_professionals(
    client: FlaskClient, data: Register
) -> None:
    page = get(client, f"/providers/{data.provider_slug}")
    names = [a.get_text(strip=True) for a in page.select(".app-declaration h3 a")]
    assert names == ["Dr William Davies", "Aoife Murphy", "Elizabeth O'Neill", "Mohammed Smith-Jones"]
    assert page.select_one(".app-declaration h3 a")["href"] == f"/professionals/{data.william}"
    text = text_of(page)
    assert "Consultant urogynaecologist" in text
    assert "Not involved in buying Medivance products" in text
    assert "Advisory board chair" in text and "Advisory board, 2024" not in text  # latest snapshot only
    assert "No interests declared" in text  # Elizabeth's nil return
    assert "2 entries are withheld" in page.select_one("#withheld").get_text()
    assert "Pat Lead" in text and "register@st-elsewhere.example.org" in text
    assert "Last updated" in text
    assert page.select_one('a[href="/understanding#type-gifts"]') is not None


def test_register_never_shows_withheld_pending_draft_expired_or_departed_entries(
    client: FlaskClient, data: Register
) -> None:
    text = text_of(get(client, f"/providers/{data.provider_slug}"))
    for hidden in (
        "Secret Holdings",
        "Pending Partners",
        "Draft Devices",
        "Graham Hughes",
        "Long Gone",
        "Ciaran Byrne",
    ):
        assert hidden not in text
    assert "Recently Ended Ltd" in text  # ended 2 months ago: still shown


def test_register_filters_by_type_and_searches_within(client: FlaskClient, data: Register) -> None:
    page = get(client, f"/providers/{data.provider_slug}?type=gifts")
    assert [a.get_text(strip=True) for a in page.select(".app-declaration h3 a")] == ["Dr William Davies"]
    assert "Medivance" not in text_of(page.select_one(".app-register"))
    page = get(client, f"/providers/{data.provider_slug}?q=heartwise")
    assert [a.get_text(strip=True) for a in page.select(".app-declaration h3 a")] == ["Mohammed Smith-Jones"]
    page = get(client, f"/providers/{data.provider_slug}?q=secret+holdings")
    assert page.select(".app-declaration") == []  # a withheld entry cannot be found by searching either


def test_register_ignores_hostile_filters_and_pages(client: FlaskClient, data: Register) -> None:
    for query in (
        "?type=<script>",
        "?page=-3",
        "?page=99999999999",
        "?category=nonsense&q=" + "x" * 5000,
        "?q=%25_%5C",
    ):
        get(client, f"/providers/{data.provider_slug}{query}")


def test_register_of_unknown_provider_is_not_found(client: FlaskClient, data: Register) -> None:
    for url in ("/providers/no-such-place", "/providers/no-such-place/register.csv", "/providers/nope/print"):
        assert client.get(url).status_code == 404


def test_register_csv_has_stable_columns_and_neutralises_formulas(client: FlaskClient, app: Flask) -> None:
    from interests.extensions import db
    from tests.factories import (
        make_declaration,
        make_engagement,
        make_interest,
        make_professional,
        make_provider,
    )

    with app.app_context():
        provider = make_provider(slug="csv-test")
        person = make_professional(given_name='=HYPERLINK("http://evil")', family_name="Smith")
        make_engagement(person, provider)
        make_declaration(
            person, provider, [make_interest(person, other_party="+SUM(A1:A9)", description="@cmd")]
        )
        db.session.commit()
    response = client.get("/providers/csv-test/register.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    from interests.services.register.export import CSV_COLUMNS

    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["other_party"] == "'+SUM(A1:A9)"
    assert rows[0]["description"] == "'@cmd"


def test_register_downloads_hold_the_same_published_entries(client: FlaskClient, data: Register) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/providers/{data.provider_slug}/register.csv").get_data(as_text=True))
        )
    )
    parties = {r["other_party"] for r in rows}
    assert parties == {
        "Medivance Surgical Ltd",
        "Pelvicare Devices",
        "Heartwise Research",
        "Recently Ended Ltd",
        "",
    }
    nil = [r for r in rows if r["nil_return"] == "True"]
    assert [r["name"] for r in nil] == ["Elizabeth O'Neill"]
    document = client.get(f"/providers/{data.provider_slug}/register.json").get_json()
    assert document["withheld_entries"] == 2
    assert len(document["declarations"]) == 4
    gift = next(e for d in document["declarations"] for e in d["entries"] if e["type"] == "gifts")
    assert gift["value_pounds"] == "75.00"


def test_print_view_has_date_printed_and_web_address(client: FlaskClient, data: Register) -> None:
    page = get(client, f"/providers/{data.provider_slug}/print")
    text = text_of(page)
    assert "Printed on" in text
    assert (
        f"http://localhost/providers/{data.provider_slug}" in page.select_one(".app-web-address").get_text()
    )
    assert page.select_one("link[media=print]") is not None
    assert "Dr William Davies" in text and "Secret Holdings" not in text


def test_professional_page_shows_every_provider_and_history(client: FlaskClient, data: Register) -> None:
    page = get(client, f"/professionals/{data.william}")
    headings = [h.get_text(" ", strip=True) for h in page.select("section h2")]
    assert headings == ["At Riverside Clinic", "At St Elsewhere Hospital NHS Trust"]
    history = text_of(page.select_one("details"))
    assert "Advisory board, 2024" in history


@pytest.mark.parametrize("who", ["graham", "left"])
def test_professional_with_nothing_published_is_not_found(
    client: FlaskClient, data: Register, who: str
) -> None:
    assert client.get(f"/professionals/{getattr(data, who)}").status_code == 404
    assert client.get("/professionals/999999").status_code == 404


def test_professional_page_hides_withheld_and_pending(client: FlaskClient, data: Register) -> None:
    text = text_of(get(client, f"/professionals/{data.mohammed}"))
    assert "Heartwise Research" in text
    assert "Secret Holdings" not in text and "Pending Partners" not in text
    assert "Also known as Mo Smith" in text


def test_providers_page_filters_by_kind_and_searches(client: FlaskClient, data: Register) -> None:
    page = get(client, "/providers?kind=clinic")
    assert [a.get_text(strip=True) for a in page.select("#providers a")] == ["Riverside Clinic"]
    page = get(client, "/providers?q=elsewhere")
    assert [a.get_text(strip=True) for a in page.select("#providers a")] == [
        "St Elsewhere Hospital NHS Trust"
    ]
    page = get(client, "/providers?q=nothing-like-this")
    assert "No organisations match" in text_of(page)


def test_understanding_page_explains_every_type_with_an_anchor(client: FlaskClient) -> None:
    from interests.rules.vocabulary import TYPES

    page = get(client, "/understanding")
    for term in TYPES:
        assert page.select_one(f"#type-{term.code}").get_text(strip=True) == term.label
    assert "does not mean they have done anything wrong" in text_of(page)


def test_search_groups_results_by_professional_with_providers(client: FlaskClient, data: Register) -> None:
    page = get(client, "/search?q=wiliam+davey")
    results = page.select("#professional-results .app-result")
    assert [r.select_one("h3").get_text(strip=True) for r in results] == ["Dr William Davies"]
    assert "Riverside Clinic" in text_of(results[0]) and "St Elsewhere Hospital NHS Trust" in text_of(
        results[0]
    )


def test_search_by_company_finds_professionals_who_declared_it(client: FlaskClient, data: Register) -> None:
    page = get(client, "/search?q=Medivance")
    assert [a.get_text(strip=True) for a in page.select("#professional-results h3 a")] == [
        "Dr William Davies"
    ]
    assert "Declared links with Medivance Surgical Ltd" in text_of(page)


def test_search_by_provider_lists_the_organisation(client: FlaskClient, data: Register) -> None:
    page = get(client, "/search?q=st+elsewhere")
    assert [a["href"] for a in page.select("#provider-results a")] == [f"/providers/{data.provider_slug}"]


def test_search_with_no_match_says_so_and_suggests(client: FlaskClient, data: Register) -> None:
    page = get(client, "/search?q=qqqxxxzzz")
    assert page.select_one("#no-results") is not None
    assert "check the spelling" in text_of(page)


def test_search_escapes_hostile_text(client: FlaskClient, data: Register) -> None:
    response = client.get("/search?q=<script>alert(1)</script>")
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.data


def test_search_without_an_index_says_it_is_unavailable(client: FlaskClient, app: Flask) -> None:
    page = get(client, "/search?q=smith", status=503)
    assert "Search is not available" in text_of(page)


def test_register_links_to_asking_a_question_when_that_feature_exists(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    page = get(client, f"/providers/{data.provider_slug}")
    link = page.find("a", string="Ask a question about this register")
    if "questions.ask" in app.view_functions:
        assert link is not None and link["href"] == f"/providers/{data.provider_slug}/ask"
    else:
        assert link is None
