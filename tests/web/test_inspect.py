"""The inspectors' compliance pages: overview, filters, sorting, dates, export and one provider."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from interests import clock
from interests.extensions import db
from interests.models import (
    ComplianceSnapshot,
    ComplianceSnapshotRun,
    Declaration,
    DisclosureImport,
    Engagement,
    Provider,
)
from interests.services import compliance
from tests import factories
from tests.pages import error_summary
from tests.pages import soup as page

TODAY = date.today()


def text_of(element: Any) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


def table_rows(response: Any) -> list[dict[str, str]]:
    """The overview table as a list of {heading: cell text}."""
    soup = page(response)
    table = soup.select_one("table.app-inspect-table")
    if table is None:
        return []
    headings = [text_of(th.select_one("a")).split(",")[0].rstrip(" ▲▼") for th in table.select("thead th")]
    rows = []
    for tr in table.select("tbody tr"):
        cells = tr.select("td")
        row = {heading: text_of(cell) for heading, cell in zip(headings, cells, strict=True)}
        row["Provider"] = text_of(cells[0].select_one("a"))
        rows.append(row)
    return rows


def names(response: Any) -> list[str]:
    return [row["Provider"] for row in table_rows(response)]


def sign_in_as(client: FlaskClient, app: Flask, role: str) -> None:
    with app.app_context():
        email = factories.make_account(role).email
        db.session.commit()
    assert factories.sign_in(client, email).status_code == 302


def staff(
    provider: Any, declared: int, missing: int, overdue: int = 0, engagement_type: str = "employee"
) -> None:
    """People at `provider`: some declared this year, some never (started long ago), some lapsed."""
    for _ in range(declared):
        person = factories.make_professional()
        factories.make_engagement(person, provider, engagement_type=engagement_type)
        factories.make_declaration(person, provider, declared_on=TODAY - timedelta(days=30))
    for _ in range(missing):
        person = factories.make_professional()
        factories.make_engagement(person, provider, engagement_type=engagement_type)
    for _ in range(overdue):
        person = factories.make_professional()
        factories.make_engagement(
            person, provider, engagement_type=engagement_type, start_date=date(2020, 1, 1)
        )
        factories.make_declaration(person, provider, declared_on=TODAY - timedelta(days=500))


@pytest.fixture
def providers(app: Flask) -> dict[str, str]:
    """Three providers with different records; returns name -> slug."""
    with app.app_context():
        good = factories.make_provider(
            name="Alder Hospital", region="london", kind="independent_hospital", ods_code="AH1"
        )
        staff(good, declared=20, missing=0)
        middling = factories.make_provider(name="Birch Clinic", region="midlands", kind="clinic")
        staff(middling, declared=8, missing=1, overdue=1, engagement_type="locum")
        poor = factories.make_provider(
            name="Cedar Trust", region="london", kind="nhs_trust", cqc_provider_id="1-555000111"
        )
        staff(poor, declared=1, missing=3)
        db.session.commit()
        return {p.name: p.slug for p in (good, middling, poor)}


@pytest.fixture
def inspector(client: FlaskClient, app: Flask) -> FlaskClient:
    sign_in_as(client, app, "inspector")
    return client


# --- Who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/inspect",
        "/inspect/export.csv",
        "/inspect/providers/anything",
        "/inspect/providers/anything/missing/bank",
    ],
)
def test_inspect_pages_when_signed_out_send_you_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["professional", "provider_admin"])
@pytest.mark.parametrize(
    "path",
    [
        "/inspect",
        "/inspect/export.csv",
        "/inspect/providers/alder-hospital",
        "/inspect/providers/alder-hospital/missing/employee",
    ],
)
def test_inspect_pages_for_other_roles_are_forbidden(
    client: FlaskClient, app: Flask, role: str, path: str
) -> None:
    sign_in_as(client, app, role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["inspector", "system_admin"])
def test_overview_for_inspectors_and_system_admins_lists_providers(
    client: FlaskClient, app: Flask, providers: dict[str, str], role: str
) -> None:
    sign_in_as(client, app, role)
    response = client.get("/inspect")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert names(response) == ["Alder Hospital", "Birch Clinic", "Cedar Trust"]


# --- The overview --------------------------------------------------------------------------------


def test_overview_shows_each_providers_figures_and_rating(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    rows = {row["Provider"]: row for row in table_rows(inspector.get("/inspect"))}
    alder, birch, cedar = rows["Alder Hospital"], rows["Birch Clinic"], rows["Cedar Trust"]
    assert (alder["In scope"], alder["Declared"], alder["Missing"], alder["Rating"]) == (
        "20",
        "100%",
        "0",
        "Meets expectations",
    )
    assert alder["Employee declared"] == "100%"
    assert alder["Locum declared"] == "–"
    assert (birch["In scope"], birch["Declared"], birch["Overdue"], birch["Missing"]) == (
        "10",
        "80%",
        "1",
        "1",
    )
    assert birch["Locum declared"] == "80%"
    assert birch["Rating"] == "Requires improvement"
    assert (cedar["Declared"], cedar["Missing"], cedar["Rating"]) == ("25%", "3", "Inadequate")
    assert alder["Register last published"] != "Never"


def test_overview_totals_add_up_the_filtered_providers(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    soup = page(inspector.get("/inspect"))
    assert text_of(soup.select_one("[data-total=in_scope]")) == "34"
    assert text_of(soup.select_one("[data-total=declared]")) == "29 (85%)"
    assert text_of(soup.select_one("[data-total=missing]")) == "4"
    assert text_of(soup.select_one("#results-heading")) == "3 providers"
    soup = page(inspector.get("/inspect?region=london"))
    assert text_of(soup.select_one("[data-total=in_scope]")) == "24"
    assert text_of(soup.select_one("#results-heading")) == "2 providers"


def test_overview_explains_statuses_and_ratings_with_configured_thresholds(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    details = text_of(page(inspector.get("/inspect")).select_one("#what-the-figures-mean"))
    for word in ("Declared", "Due", "Overdue", "Missing", "Meets expectations", "Inadequate"):
        assert word in details
    assert "at least 95% declared" in details
    assert "at least 75% declared" in details


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=london", ["Alder Hospital", "Cedar Trust"]),
        ("kind=clinic", ["Birch Clinic"]),
        ("rating=inadequate", ["Cedar Trust"]),
        ("rating=meets_expectations", ["Alder Hospital"]),
        ("region=london&rating=requires_improvement", []),
        ("q=birch", ["Birch Clinic"]),
        ("q=1-555000111", ["Cedar Trust"]),
        ("q=ah1", ["Alder Hospital"]),
        ("q=%25", []),
    ],
)
def test_overview_filters_and_search_narrow_the_list(
    inspector: FlaskClient, providers: dict[str, str], query: str, expected: list[str]
) -> None:
    response = inspector.get(f"/inspect?{query}")
    assert response.status_code == 200
    assert names(response) == expected
    if not expected:
        assert "No providers match these filters" in text_of(page(response).select_one("#no-results"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("region=atlantis", "Select a region from the list"),
        ("kind=%3Cscript%3E", "Select a kind of provider from the list"),
        ("rating=excellent", "Select a rating from the list"),
        ("q=" + "x" * 201, "Search must be 200 characters or fewer"),
    ],
)
def test_overview_with_a_bad_filter_says_what_is_wrong_and_shows_everyone(
    inspector: FlaskClient, providers: dict[str, str], query: str, message: str
) -> None:
    response = inspector.get(f"/inspect?{query}")
    assert response.status_code == 200
    assert error_summary(response) == [message]
    assert len(names(response)) == 3


def test_overview_sorts_by_any_column_in_both_directions(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    assert names(inspector.get("/inspect?sort=percent_declared")) == [
        "Cedar Trust",
        "Birch Clinic",
        "Alder Hospital",
    ]
    assert names(inspector.get("/inspect?sort=percent_declared&order=descending")) == [
        "Alder Hospital",
        "Birch Clinic",
        "Cedar Trust",
    ]
    assert names(inspector.get("/inspect?sort=missing&order=descending")) == [
        "Cedar Trust",
        "Birch Clinic",
        "Alder Hospital",
    ]
    assert names(inspector.get("/inspect?sort=rating")) == ["Cedar Trust", "Birch Clinic", "Alder Hospital"]
    # Nobody in scope as a locum sorts last both ways; ties fall back to name.
    assert names(inspector.get("/inspect?sort=percent_locum")) == [
        "Birch Clinic",
        "Alder Hospital",
        "Cedar Trust",
    ]
    assert names(inspector.get("/inspect?sort=percent_locum&order=descending")) == [
        "Birch Clinic",
        "Alder Hospital",
        "Cedar Trust",
    ]
    assert names(inspector.get("/inspect?sort=nonsense")) == ["Alder Hospital", "Birch Clinic", "Cedar Trust"]


def test_overview_column_headings_are_sort_links_with_aria_sort(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    soup = page(inspector.get("/inspect?sort=missing&order=descending&region=london"))
    sorted_headers = soup.select("th[aria-sort]")
    assert [(text_of(th.select_one("a")), th["aria-sort"]) for th in sorted_headers] == [
        ("Missing , sort ascending ▼", "descending")
    ]
    missing_link = sorted_headers[0].select_one("a")["href"]
    assert (
        "sort=missing" in missing_link
        and "order=descending" not in missing_link
        and "region=london" in missing_link
    )
    name_link = soup.select("thead th a")[0]["href"]
    assert "sort=" not in name_link and "region=london" in name_link
    assert len(soup.select("thead th a")) == 15  # every column, "Payments not declared" among them


def test_overview_pages_through_providers_with_nhs_pagination(
    client: FlaskClient, app: Flask, app_config: dict[str, Any]
) -> None:
    app.config["PAGE_SIZE"] = 2
    with app.app_context():
        for n in range(5):
            staff(factories.make_provider(name=f"Provider {n}"), declared=1, missing=0)
        db.session.commit()
    sign_in_as(client, app, "inspector")
    first = client.get("/inspect")
    assert names(first) == ["Provider 0", "Provider 1"]
    nav = page(first).select_one("nav.nhsuk-pagination")
    assert [text_of(a) for a in nav.select(".nhsuk-pagination__item a")] == ["1", "2", "3"]
    assert nav.select_one("[aria-current=page]").get_text(strip=True) == "1"
    assert names(client.get("/inspect?page=3")) == ["Provider 4"]
    # Past the end: the last page. Nonsense: the first.
    assert names(client.get("/inspect?page=99")) == ["Provider 4"]
    assert names(client.get("/inspect?page=-1")) == ["Provider 0", "Provider 1"]
    assert names(client.get("/inspect?page=abc")) == ["Provider 0", "Provider 1"]
    assert names(client.get("/inspect", query_string={"page": "²"})) == ["Provider 0", "Provider 1"]
    # Totals are for the whole filtered set, not the page.
    assert text_of(page(client.get("/inspect?page=2")).select_one("[data-total=in_scope]")) == "5"


# --- Dates ---------------------------------------------------------------------------------------


def test_overview_as_of_a_past_date_shows_the_figures_then(inspector: FlaskClient, app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Elm Practice")
        person = factories.make_professional()
        factories.make_engagement(person, provider, start_date=date(2024, 1, 1))
        factories.make_declaration(person, provider, declared_on=date(2024, 1, 10))
        db.session.commit()
    then = table_rows(inspector.get("/inspect?as_of=2024-06-01"))[0]
    assert (then["Declared"], then["Rating"]) == ("100%", "Meets expectations")
    assert "1 June 2024" in text_of(page(inspector.get("/inspect?as_of=2024-06-01")).select_one("h1 + p"))
    before = table_rows(inspector.get("/inspect?as_of=2023-06-01"))[0]
    assert (before["In scope"], before["Rating"]) == ("0", "No staff in scope")
    now = table_rows(inspector.get("/inspect"))[0]
    assert now["Overdue"] == "1"


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("yesterday", "Enter the date as year-month-day, for example 2025-04-01"),
        ("2025-02-30", "Enter the date as year-month-day, for example 2025-04-01"),
        ("2025-1-1", "Enter the date as year-month-day, for example 2025-04-01"),
        ((TODAY + timedelta(days=1)).isoformat(), "The date must be today or in the past"),
        ("9999-12-31", "The date must be today or in the past"),
        ("1066-10-14", "The date must be on or after 1 January 2000"),
        ("<script>", "Enter the date as year-month-day, for example 2025-04-01"),
    ],
)
def test_overview_with_a_bad_date_explains_and_shows_today(
    inspector: FlaskClient, providers: dict[str, str], as_of: str, message: str
) -> None:
    response = inspector.get("/inspect", query_string={"as_of": as_of})
    assert response.status_code == 200
    assert error_summary(response)[0] in (message, "Enter a real date")
    assert page(response).title.get_text().startswith("Error: ")
    assert len(names(response)) == 3
    assert "<script>" not in response.get_data(as_text=True).split("</head>")[1].replace("<script type", "")


# --- Export --------------------------------------------------------------------------------------


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_export_has_the_rows_of_every_page_in_screen_order(inspector: FlaskClient, app: Flask) -> None:
    app.config["PAGE_SIZE"] = 2
    with app.app_context():
        for n, (declared, missing) in enumerate([(3, 0), (1, 1), (0, 2), (5, 1), (2, 2)]):
            staff(
                factories.make_provider(name=f"Provider {n}", region="london"),
                declared=declared,
                missing=missing,
            )
        staff(factories.make_provider(name="Elsewhere", region="north_west"), declared=1, missing=0)
        db.session.commit()
    query = "region=london&sort=percent_declared&order=descending"
    screen: list[dict[str, str]] = []
    for number in (1, 2, 3):
        screen.extend(table_rows(inspector.get(f"/inspect?{query}&page={number}")))
    response = inspector.get(f"/inspect/export.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = csv_rows(response)
    assert len(exported) == len(screen) == 5
    for on_screen, in_file in zip(screen, exported, strict=True):
        for heading in (
            "Provider",
            "In scope",
            "Declared",
            "Due",
            "Overdue",
            "Missing",
            "Withheld",
            "Rating",
        ):
            assert in_file[heading] == on_screen[heading], heading
        assert in_file["Employee declared"] == on_screen["Employee declared"]
    # The same columns as the screen, with the CQC ID and ODS code in columns of their own.
    screen_headings = [h for h in screen[0] if h != "Provider"]
    assert list(exported[0]) == ["Provider", "CQC provider ID", "ODS code", *screen_headings]
    # The export link on the page carries the same filters and order.
    link = page(inspector.get(f"/inspect?{query}")).select_one("a[href^='/inspect/export.csv']")["href"]
    assert "region=london" in link and "sort=percent_declared" in link and "order=descending" in link


def test_export_cells_that_look_like_formulas_are_neutralised(inspector: FlaskClient, app: Flask) -> None:
    with app.app_context():
        factories.make_provider(name='=HYPERLINK("http://evil.example","Click")')
        factories.make_provider(name="@SUM(A1)")
        factories.make_provider(name="-2+3")
        db.session.commit()
    names_in_file = sorted(row["Provider"] for row in csv_rows(inspector.get("/inspect/export.csv")))
    assert names_in_file == ["'-2+3", '\'=HYPERLINK("http://evil.example","Click")', "'@SUM(A1)"]


def test_export_with_a_bad_date_is_refused(inspector: FlaskClient) -> None:
    assert inspector.get("/inspect/export.csv?as_of=not-a-date").status_code == 400


# --- Industry payments not declared -------------------------------------------------------------


def payments_at(app: Flask, slug: str, *matches: str) -> None:
    """A new confirmed member of staff at the provider for each match, with one reported payment
    nobody declared, matched to them with that confidence."""
    with app.app_context():
        provider = db.session.scalars(select(Provider).where(Provider.slug == slug)).one()
        disclosure = db.session.scalars(select(DisclosureImport)).first()
        disclosure = disclosure or factories.make_disclosure_import(TODAY.year - 1)
        for match in matches:
            person = factories.make_professional()
            factories.make_engagement(person, provider)
            factories.make_payment(disclosure, person, match=match)
        db.session.commit()


def test_overview_counts_payments_not_declared_sorts_by_them_adds_them_up_and_exports_them(
    inspector: FlaskClient, app: Flask, providers: dict[str, str]
) -> None:
    payments_at(app, providers["Cedar Trust"], "certain", "certain", "probable", "possible")
    payments_at(app, providers["Birch Clinic"], "certain")
    rows = {row["Provider"]: row["Payments not declared"] for row in table_rows(inspector.get("/inspect"))}
    # A possible match nobody has confirmed may be a namesake: not counted.
    assert rows == {"Alder Hospital": "0", "Birch Clinic": "1", "Cedar Trust": "3"}
    soup = page(inspector.get("/inspect?sort=undeclared_payments&order=descending"))
    assert [(text_of(th.select_one("a")), th["aria-sort"]) for th in soup.select("th[aria-sort]")] == [
        ("Payments not declared , sort ascending ▼", "descending")
    ]
    assert names(inspector.get("/inspect?sort=undeclared_payments&order=descending")) == [
        "Cedar Trust",
        "Birch Clinic",
        "Alder Hospital",
    ]
    assert names(inspector.get("/inspect?sort=undeclared_payments")) == [
        "Alder Hospital",
        "Birch Clinic",
        "Cedar Trust",
    ]
    assert text_of(soup.select_one("[data-total=undeclared_payments]")) == "4"
    assert "Payments not declared" in text_of(soup.select_one("#what-the-figures-mean"))
    exported = csv_rows(inspector.get("/inspect/export.csv?sort=undeclared_payments&order=descending"))
    assert [(row["Provider"], row["Payments not declared"]) for row in exported] == [
        ("Cedar Trust", "3"),
        ("Birch Clinic", "1"),
        ("Alder Hospital", "0"),
    ]
    # The new column comes straight after "Withheld"; the others keep their order.
    headings = list(exported[0])
    assert headings[headings.index("Withheld") + 1 :] == [
        "Payments not declared",
        "Register last published",
        "Rating",
    ]


def test_provider_page_explains_the_figure_and_the_providers_own_list_gives_the_same_count(
    inspector: FlaskClient, app: Flask, providers: dict[str, str]
) -> None:
    slug = providers["Cedar Trust"]
    payments_at(app, slug, "certain", "probable", "possible")
    soup = page(inspector.get(f"/inspect/providers/{slug}"))
    figure = soup.select_one("[data-figure=undeclared_payments]")
    explained = text_of(figure.select_one("#undeclared-payments-explained"))
    assert text_of(figure).startswith("2 ")
    assert "may be someone else with the same name" in explained
    assert "confirmed they work here" in explained
    # The provider's admin sees every payment, and how many of them the inspectors count.
    with app.app_context():
        provider = db.session.scalars(select(Provider).where(Provider.slug == slug)).one()
        email = factories.make_account("provider_admin", providers=[provider]).email
        db.session.commit()
    admin = app.test_client()
    assert factories.sign_in(admin, email).status_code == 302
    own = page(admin.get(f"/manage/{slug}/industry-payments"))
    assert text_of(own.select_one("#payment-totals")).startswith("3 payments to 3 people")
    counted = text_of(own.select_one("#payment-counted"))
    assert counted.startswith("Inspectors see 2 payments not declared")
    assert "The other 1 is a possible match by name that the person has not confirmed." in counted


# --- One provider --------------------------------------------------------------------------------


def test_provider_page_shows_figures_chart_and_who_is_missing(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    response = inspector.get(f"/inspect/providers/{providers['Birch Clinic']}")
    assert response.status_code == 200
    soup = page(response)
    assert text_of(soup.select_one("h1")) == "Birch Clinic"
    assert text_of(soup.select_one("[data-figure=in_scope]")) == "10"
    assert text_of(soup.select_one("[data-figure=declared]")) == "8 (80%)"
    assert text_of(soup.select_one("[data-figure=declared_locum]")) == "8 of 10 declared (80%)"
    assert text_of(soup.select_one("[data-figure=declared_employee]")) == "Nobody in scope"
    svg = soup.select_one("svg.app-chart")
    assert svg["role"] == "img"
    assert (
        svg.select_one("title")
        .get_text(strip=True)
        .startswith("Percentage declared at the end of each month")
    )
    assert "80%" in svg.select_one("desc").get_text()
    assert len(svg.select("rect.app-chart__bar")) >= 1
    trend = soup.select("#trend-table tbody tr")
    assert len(trend) == 12
    assert text_of(trend[-1]) == f"{TODAY.day} {TODAY.strftime('%B %Y')} 80% (8 of 10)"
    assert text_of(soup.select_one("#missing-locum")) == "Locum or agency: 1 person missing"
    assert text_of(soup.select_one("#overdue-locum")) == "Locum or agency: 1 person overdue"
    assert soup.select_one("#missing-employee") is None
    link = soup.find("a", string="See the public register as patients see it")
    assert link["href"] == f"/providers/{providers['Birch Clinic']}"


def test_provider_page_caps_long_lists_and_says_how_many(inspector: FlaskClient, app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Big Trust")
        staff(provider, declared=0, missing=53)
        db.session.commit()
        slug = provider.slug
    soup = page(inspector.get(f"/inspect/providers/{slug}"))
    assert text_of(soup.select_one("#missing-employee")) == "Employee: 53 people missing"
    assert len(soup.select("#missing-employee + table tbody tr")) == 50
    assert "Showing the 50 who started first, of 53" in text_of(soup.select_one("#attention").parent)


def test_provider_page_list_links_to_everyone_a_page_at_a_time(inspector: FlaskClient, app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Big Trust")
        staff(provider, declared=2, missing=53)
        db.session.commit()
        slug = provider.slug
    soup = page(inspector.get(f"/inspect/providers/{slug}"))
    links = [a for a in soup.select("#attention ~ p a") if text_of(a).startswith("See all")]
    assert len(links) == 1
    link = links[0]
    assert text_of(link) == "See all 53 employee missing"
    first = page(inspector.get(link["href"]))
    assert text_of(first.select_one("h1")) == "Employee: 53 people missing"
    assert text_of(first.select_one("#people caption")) == "1 to 50 of 53, in the order they started"
    names_on_first = [text_of(tr.select_one("td")) for tr in first.select("#people tbody tr")]
    assert len(names_on_first) == 50
    # The provider page lists the same first 50, in the same order.
    on_provider_page = [
        text_of(tr.select_one("td")) for tr in soup.select("#missing-employee + table tbody tr")
    ]
    assert names_on_first == on_provider_page
    next_link = first.select_one(".nhsuk-pagination__next a, a.nhsuk-pagination__next")
    assert next_link is not None
    second = page(inspector.get(next_link["href"]))
    assert text_of(second.select_one("#people caption")) == "51 to 53 of 53, in the order they started"
    names_on_second = [text_of(tr.select_one("td")) for tr in second.select("#people tbody tr")]
    assert len(names_on_second) == 3 and not set(names_on_second) & set(names_on_first)
    assert all(text_of(tr.select("td")[-1]) == "Never" for tr in second.select("#people tbody tr"))
    # A page past the end shows the last page.
    past_end = page(inspector.get(f"/inspect/providers/{slug}/missing/employee?page=99"))
    assert [text_of(tr.select_one("td")) for tr in past_end.select("#people tbody tr")] == names_on_second
    nobody = page(inspector.get(f"/inspect/providers/{slug}/overdue/locum"))
    assert text_of(nobody.select_one("#nobody")) == "Nobody is overdue on this date."


@pytest.mark.parametrize(
    "path",
    [
        "/inspect/providers/no-such-provider/missing/employee",
        "/inspect/providers/{slug}/declared/employee",
        "/inspect/providers/{slug}/missing/astronaut",
        "/inspect/providers/{slug}/missing/employee?as_of=2025-02-30",
    ],
)
def test_provider_people_list_with_a_forged_address_is_not_found(
    inspector: FlaskClient, providers: dict[str, str], path: str
) -> None:
    assert inspector.get(path.format(slug=providers["Cedar Trust"])).status_code == 404


def test_provider_page_from_month_end_snapshots_shows_the_same_figures_and_chart(
    inspector: FlaskClient, app: Flask, providers: dict[str, str]
) -> None:
    path = f"/inspect/providers/{providers['Birch Clinic']}"
    live = page(inspector.get(path))
    for day in compliance.month_ends(_uk_today()):
        _snapshot(app, day, datetime.now(UTC))
    stored = page(inspector.get(path))
    for selector in ("#figures", "#trend-table", "svg.app-chart", "#attention"):
        assert text_of(stored.select_one(selector)) == text_of(live.select_one(selector)), selector
    assert str(stored.select_one("svg.app-chart")) == str(live.select_one("svg.app-chart"))
    assert text_of(stored.select("#trend-table tbody tr")[-1]).endswith("80% (8 of 10)")


def test_provider_page_for_an_unknown_slug_is_not_found(inspector: FlaskClient) -> None:
    assert inspector.get("/inspect/providers/no-such-provider").status_code == 404
    assert inspector.get("/inspect/providers/%3Cscript%3E").status_code == 404


def test_provider_page_with_a_bad_date_explains_and_shows_today(
    inspector: FlaskClient, providers: dict[str, str]
) -> None:
    response = inspector.get(f"/inspect/providers/{providers['Cedar Trust']}?as_of=2025-13-01")
    assert response.status_code == 200
    assert error_summary(response) == ["Enter the date as year-month-day, for example 2025-04-01"]
    assert text_of(page(response).select_one("[data-figure=missing]")) == "3"


def test_provider_names_with_html_are_shown_as_text(inspector: FlaskClient, app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="<script>alert(1)</script> Clinic")
        db.session.commit()
        slug = provider.slug
    for path in ("/inspect", f"/inspect/providers/{slug}"):
        body = inspector.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Clinic" in body


def test_overview_ratings_follow_the_configured_thresholds(
    inspector: FlaskClient, app: Flask, providers: dict[str, str]
) -> None:
    app.config["COMPLIANCE_MEETS_PERCENT"] = 80
    app.config["COMPLIANCE_REQUIRES_IMPROVEMENT_PERCENT"] = 20
    rows = {row["Provider"]: row["Rating"] for row in table_rows(inspector.get("/inspect"))}
    assert rows == {
        "Alder Hospital": "Meets expectations",
        "Birch Clinic": "Meets expectations",
        "Cedar Trust": "Requires improvement",
    }
    assert names(inspector.get("/inspect?rating=requires_improvement")) == ["Cedar Trust"]
    assert "at least 80% declared" in text_of(
        page(inspector.get("/inspect")).select_one("#what-the-figures-mean")
    )


# --- Snapshots -------------------------------------------------------------------------------------


def _uk_today() -> date:
    return clock.today()


def _snapshot(app: Flask, as_of: date, finished_at: datetime) -> None:
    with app.app_context():
        compliance.take_snapshot(as_of).finished_at = finished_at
        db.session.commit()


def _declare_for_someone_missing(app: Flask, provider_name: str, declared_on: date) -> None:
    with app.app_context():
        provider = db.session.scalar(select(Provider).where(Provider.name == provider_name))
        assert provider is not None
        declared = select(Declaration.professional_id).where(Declaration.provider_id == provider.id)
        engagement = db.session.scalars(
            select(Engagement).where(
                Engagement.provider_id == provider.id, Engagement.professional_id.not_in(declared)
            )
        ).first()
        assert engagement is not None
        factories.make_declaration(engagement.professional, provider, declared_on=declared_on)
        db.session.commit()


def test_overview_after_a_snapshot_shows_its_figures_and_when_they_were_calculated(
    inspector: FlaskClient, app: Flask, providers: dict[str, str]
) -> None:
    today = _uk_today()
    assert text_of(page(inspector.get("/inspect")).select_one("#figures-calculated")) == (
        "Figures calculated just now."
    )
    _snapshot(app, today, datetime(2026, 11, 23, 3, 5, tzinfo=UTC))
    # A declaration after the snapshot: the snapshot's figures are still shown for today...
    _declare_for_someone_missing(app, "Cedar Trust", today)
    soup = page(inspector.get("/inspect"))
    assert text_of(soup.select_one("#figures-calculated")) == (
        "Figures calculated at 3:05am on 23 November 2026."
    )
    cedar = {row["Provider"]: row for row in table_rows(inspector.get("/inspect"))}["Cedar Trust"]
    assert (cedar["Declared"], cedar["Missing"]) == ("25%", "3")
    assert text_of(soup.select_one("[data-total=declared]")) == "29 (85%)"
    assert names(inspector.get("/inspect?sort=percent_declared")) == [
        "Cedar Trust",
        "Birch Clinic",
        "Alder Hospital",
    ]
    assert names(inspector.get("/inspect?rating=inadequate")) == ["Cedar Trust"]
    exported = {row["Provider"]: row for row in csv_rows(inspector.get("/inspect/export.csv"))}
    assert (exported["Cedar Trust"]["Declared"], exported["Cedar Trust"]["Missing"]) == ("25%", "3")
    # ...while a date with no snapshot is worked out live, and includes it.
    # With the snapshot gone, the same page is worked out live and includes the new declaration.
    with app.app_context():
        db.session.execute(delete(ComplianceSnapshotRun))
        db.session.execute(delete(ComplianceSnapshot))
        db.session.commit()
    soup = page(inspector.get("/inspect"))
    assert text_of(soup.select_one("#figures-calculated")) == "Figures calculated just now."
    cedar = {row["Provider"]: row for row in table_rows(inspector.get("/inspect"))}["Cedar Trust"]
    assert (cedar["Declared"], cedar["Missing"]) == ("50%", "2")


def test_overview_of_a_past_date_reads_its_snapshot_and_other_dates_stay_live(
    inspector: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Elm Practice")
        person = factories.make_professional()
        factories.make_engagement(person, provider, start_date=date(2024, 1, 1))
        db.session.commit()
        slug = provider.slug
    _snapshot(app, date(2024, 6, 1), datetime(2024, 6, 2, 2, 30, tzinfo=UTC))
    _declare_for_someone_missing(app, "Elm Practice", date(2024, 5, 1))  # back-dated, after the snapshot
    snapshot_page = page(inspector.get("/inspect?as_of=2024-06-01"))
    # 2:30am UTC on 2 June 2024 is 3:30am British Summer Time.
    assert text_of(snapshot_page.select_one("#figures-calculated")) == (
        "Figures calculated at 3:30am on 2 June 2024."
    )
    assert table_rows(inspector.get("/inspect?as_of=2024-06-01"))[0]["Declared"] == "0%"
    live_page = page(inspector.get("/inspect?as_of=2024-06-02"))
    assert text_of(live_page.select_one("#figures-calculated")) == "Figures calculated just now."
    assert table_rows(inspector.get("/inspect?as_of=2024-06-02"))[0]["Declared"] == "100%"
    # The provider page is always worked out live.
    provider_page = text_of(page(inspector.get(f"/inspect/providers/{slug}?as_of=2024-06-01")))
    assert "100%" in provider_page
