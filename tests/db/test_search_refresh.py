"""`flask --app interests search refresh`: the search index forgets what the date has taken off the
register (an interest 6 months after it ended, an engagement 6 months after it ended) and learns
what it has put on (an engagement that started), with the clock pinned to UK days.

The register keeps an interest that ended on 29 May 2026 until 29 November 2026 (6 months after
it ended) and drops it on 30 November 2026; an engagement that ended on 29 May 2026 likewise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.services import search_index
from tests.factories import make_declaration, make_engagement, make_interest, make_professional, make_provider

UK = ZoneInfo("Europe/London")
ENDED = date(2026, 5, 29)
LAST_DAY_SHOWN = date(2026, 11, 29)
FIRST_DAY_GONE = date(2026, 11, 30)

pytestmark = pytest.mark.alldb


@contextmanager
def on(day: date) -> Iterator[None]:
    """The clock at noon (UK) on ``day``: the UK date and the server's date agree."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UK), tick=False):
        yield


@dataclass
class People:
    ruth: int  # Ruth Okafor: an Acme Orthopaedics interest that ended 29 May 2026, and an ongoing one
    hughes: int  # Owen Hughes: left Northfield on 29 May 2026, still at Riverside
    patel: int  # Anita Patel: still at Northfield
    quinn: int  # Sinead Quinn: declared to Northfield before starting there on 1 December 2026


@pytest.fixture
def people(app: Flask) -> People:
    with on(LAST_DAY_SHOWN), app.app_context():
        northfield = make_provider(name="Northfield General Hospital", slug="northfield")
        riverside = make_provider(name="Riverside Clinic", slug="riverside", kind="clinic")

        ruth = make_professional(given_name="Ruth", family_name="Okafor")
        make_engagement(ruth, northfield, role="Consultant orthopaedic surgeon")
        ended = make_interest(
            ruth, other_party="Acme Orthopaedics Ltd", date_from=date(2024, 1, 1), date_to=ENDED
        )
        ongoing = make_interest(ruth, other_party="Bonewell Books", description="Royalties")
        make_declaration(ruth, northfield, [ended, ongoing], declared_on=date(2026, 6, 1))

        hughes = make_professional(given_name="Owen", family_name="Hughes")
        make_engagement(hughes, northfield, start_date=date(2020, 1, 6), end_date=ENDED, role="Registrar")
        make_engagement(hughes, riverside, start_date=date(2026, 6, 1), role="Locum surgeon")
        make_declaration(hughes, northfield, declared_on=date(2026, 1, 10))
        make_declaration(hughes, riverside, declared_on=date(2026, 6, 1))

        patel = make_professional(given_name="Anita", family_name="Patel")
        make_engagement(patel, northfield, role="Ward sister")
        make_declaration(patel, northfield)

        quinn = make_professional(given_name="Sinead", family_name="Quinn")
        make_engagement(quinn, northfield, start_date=date(2026, 12, 1), role="Physiotherapist")
        make_declaration(quinn, northfield)
        db.session.commit()
        ids = People(ruth=ruth.id, hughes=hughes.id, patel=patel.id, quinn=quinn.id)
        search_index.rebuild()
        return ids


def results(client: FlaskClient, query: str) -> tuple[list[str], BeautifulSoup]:
    response = client.get(f"/search?q={quote_plus(query)}")
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    return [h.get_text(strip=True) for h in page.select("#professional-results h3")], page


def refresh(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["search", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def index_holds_company(app: Flask, name: str) -> bool:
    """Whether the index (asked directly, not through the page's freshness check) still lists the
    company, whichever engine holds it."""
    from interests.services import search_index

    with app.app_context():
        found = search_index._backend().search(name, 1, 20)
    return any(org.kind == "company" for org in found.companies)


def test_company_of_an_interest_ended_6_months_ago_is_found_until_then_and_gone_after_refresh(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with on(LAST_DAY_SHOWN):
        names, page = results(client, "Acme Orthopaedics")
        assert names == ["Ruth Okafor"]
        assert "Declared links with Acme Orthopaedics Ltd" in page.select_one("#professional-results").text
        assert "Acme Orthopaedics Ltd" in client.get(f"/professionals/{people.ruth}").get_data(as_text=True)
    with on(FIRST_DAY_GONE):
        output = refresh(app)
        assert "Re-indexed 2 professionals" in output  # Ruth, and Owen Hughes who left Northfield
        names, page = results(client, "Acme Orthopaedics")
        assert names == []
        assert "No results for ‘Acme Orthopaedics’" in page.select_one("#no-results").text
        assert not index_holds_company(app, "Acme Orthopaedics")
        # She is still on the register with her other interest, and found by it and by name.
        assert results(client, "Bonewell")[0] == ["Ruth Okafor"]
        assert results(client, "Ruth Okafor")[0] == ["Ruth Okafor"]
        # The pages and the API had already dropped the entry (they read the database).
        assert "Acme" not in client.get(f"/professionals/{people.ruth}").get_data(as_text=True)
        assert "Acme" not in client.get("/providers/northfield").get_data(as_text=True)
        assert "Acme" not in client.get("/providers/northfield/register.csv").get_data(as_text=True)
        assert "Acme" not in client.get(f"/api/v1/professionals/{people.ruth}").get_data(as_text=True)


def test_stale_company_match_is_not_shown_even_before_the_refresh_runs(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with on(FIRST_DAY_GONE):
        names, page = results(client, "Acme Orthopaedics")
        assert names == []
        assert page.select_one("#result-count") is None
        api = client.get("/api/v1/search?q=Acme+Orthopaedics").get_json()
        assert api["items"] == [] and api["total"] == 0
        # Owen Hughes left Northfield 6 months ago: not listed with it, shown with Riverside only.
        at_northfield = results(client, "Northfield")[0]
        assert "Owen Hughes" not in at_northfield and "Ruth Okafor" in at_northfield
        assert declares_to(client, "Owen Hughes") == "Riverside Clinic (Locum surgeon)"
        assert index_holds_company(app, "Acme Orthopaedics")  # the index itself waits for the refresh


def declares_to(client: FlaskClient, name: str) -> str:
    names, page = results(client, name)
    assert names == [name]
    text = " ".join(page.select_one("#professional-results li").text.split())
    return text.split("Declares to: ")[1]


# Search answers a provider's name with the professionals published there (and the provider
# itself), and a person's name with that person and where they declare to. A query that mixes
# both ("Northfield Hughes") finds nobody today, before or after a refresh: so the provider and
# the name are searched separately here.


def test_person_who_left_a_provider_is_not_found_with_it_after_refresh_but_colleagues_are(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with on(LAST_DAY_SHOWN):
        assert "Owen Hughes" in results(client, "Northfield")[0]
        assert "Northfield General Hospital (Registrar)" in declares_to(client, "Owen Hughes")
        assert "Owen Hughes" in client.get("/providers/northfield").get_data(as_text=True)
    with on(FIRST_DAY_GONE):
        refresh(app)
        at_northfield = results(client, "Northfield")[0]
        assert "Owen Hughes" not in at_northfield
        assert "Anita Patel" in at_northfield and "Ruth Okafor" in at_northfield
        assert declares_to(client, "Owen Hughes") == "Riverside Clinic (Locum surgeon)"
        assert "Owen Hughes" in results(client, "Riverside")[0]
        # The register pages and the API already leave him off Northfield's register.
        assert "Owen Hughes" not in client.get("/providers/northfield").get_data(as_text=True)
        register_api = client.get("/api/v1/providers/northfield/register").get_json()
        assert "Owen Hughes" not in [d["name"] for d in register_api["items"]]


def test_person_who_started_is_found_with_the_provider_after_refresh(
    app: Flask, client: FlaskClient, people: People
) -> None:
    with on(LAST_DAY_SHOWN):
        assert results(client, "Sinead Quinn")[0] == []
    with on(date(2026, 12, 1)):
        assert "Re-indexed 3 professionals" in refresh(app)
        assert results(client, "Sinead Quinn")[0] == ["Sinead Quinn"]
        assert "Sinead Quinn" in results(client, "Northfield")[0]


def test_refresh_after_missed_days_still_catches_up_and_a_second_run_changes_nothing(
    app: Flask, client: FlaskClient, people: People
) -> None:
    # The index was last made current on 29 November (the rebuild); cron then stopped for a week.
    with on(date(2026, 12, 7)):
        output = refresh(app, "--days", "1")
        assert "after 29 November 2026 up to 7 December 2026" in output
        assert "Re-indexed 3 professionals" in output
        assert not index_holds_company(app, "Acme Orthopaedics")
        assert "Owen Hughes" not in results(client, "Northfield")[0]
        assert "Sinead Quinn" in results(client, "Northfield")[0]
        # Idempotent: the same day again finds nothing new in the last day.
        assert "Re-indexed 0 professionals" in refresh(app, "--days", "1")
        assert results(client, "Bonewell")[0] == ["Ruth Okafor"]


def test_refresh_builds_a_missing_index(app: Flask, client: FlaskClient, people: People) -> None:
    with app.app_context():
        search_index.remove_index()
    with on(FIRST_DAY_GONE):
        assert "Re-indexed 3 professionals" in refresh(app)  # a rebuild: all who are published
        assert results(client, "Ruth Okafor")[0] == ["Ruth Okafor"]
        assert results(client, "Acme Orthopaedics")[0] == []


@pytest.mark.xfail(
    strict=True,
    reason="Not fixed: before the daily refresh, a total counts matches beyond the page whose entry "
    "passed its 6 months (only the page's own results are checked against the database)",
)
def test_a_total_does_not_count_a_link_that_passed_its_6_months_on_a_later_page(
    app: Flask, client: FlaskClient
) -> None:
    with on(LAST_DAY_SHOWN), app.app_context():
        northfield = make_provider(name="Northfield General Hospital", slug="northfield")
        for i in range(26):  # the page holds 25: the last, whose link ended, is on page 2
            someone = make_professional(given_name=f"Given{chr(97 + i)}", family_name=f"Fam{chr(97 + i)}x")
            make_engagement(someone, northfield)
            link = make_interest(
                someone,
                other_party="Acme Orthopaedics Ltd",
                date_from=date(2024, 1, 1),
                date_to=ENDED if i == 25 else None,
            )
            make_declaration(someone, northfield, [link], declared_on=date(2026, 6, 1))
        db.session.commit()
        search_index.rebuild()
    with on(LAST_DAY_SHOWN):
        assert client.get("/api/v1/search?q=Acme+Orthopaedics").get_json()["total"] == 26
    with on(FIRST_DAY_GONE):  # the refresh has not run yet
        names, page = results(client, "Acme Orthopaedics")
        assert len(names) == 25
        assert client.get("/api/v1/search?q=Acme+Orthopaedics").get_json()["total"] == 25
        assert " ".join(page.select_one("#result-count").text.split()).startswith("25 professionals found")
