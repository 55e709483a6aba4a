"""Atom feeds of a provider's register, a professional and a search: what changed, as published."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from interests.extensions import db
from interests.models import Declaration, DeclarationItem, InterestVersion, Professional, Provider
from interests.services import register, search_index
from tests.factories import (
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_withholding_request,
)
from tests.public_data import Register, build_and_index

ATOM_NS = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM_NS}
NEVER = ("Secret Holdings", "Pending Partners", "Long Gone", "Draft Devices", "Ciaran", "Byrne", "Graham")


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        return build_and_index()


def alternate(element: etree._Element) -> etree._Element:
    """The element's one alternate link (rel="alternate", which feedgen writes as no rel: the default)."""
    links = [link for link in element.findall("a:link", NS) if link.get("rel", "alternate") == "alternate"]
    assert len(links) == 1
    return links[0]


def parse_atom(response: object) -> etree._Element:
    """Parse and check the feed is well-formed Atom (RFC 4287): the required elements, absolute ids
    and links, RFC 3339 dates, plain-text content."""
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/atom+xml"
    feed = etree.fromstring(response.data)
    assert feed.tag == f"{{{ATOM_NS}}}feed"
    for required in ("id", "title", "updated"):
        assert len(feed.findall(f"a:{required}", NS)) == 1, required
    assert feed.find("a:author/a:name", NS) is not None
    self_links = feed.findall("a:link[@rel='self']", NS)
    assert len(self_links) == 1 and self_links[0].get("href").startswith("http://localhost/")
    assert alternate(feed).get("href").startswith("http://localhost/")
    datetime.fromisoformat(feed.findtext("a:updated", namespaces=NS))
    ids = []
    for entry in feed.findall("a:entry", NS):
        entry_id = entry.findtext("a:id", namespaces=NS)
        assert entry_id.startswith("tag:localhost,2026:"), entry_id
        ids.append(entry_id)
        assert entry.findtext("a:title", namespaces=NS).strip()
        assert datetime.fromisoformat(entry.findtext("a:updated", namespaces=NS)).tzinfo is not None
        assert alternate(entry).get("href").startswith("http://localhost/professionals/")
        assert entry.find("a:content", NS).get("type") == "text"
    assert len(ids) == len(set(ids)), "entry ids are unique"
    updated = [entry.findtext("a:updated", namespaces=NS) for entry in feed.findall("a:entry", NS)]
    assert updated == sorted(updated, reverse=True), "newest first"
    return feed


def entries(feed: etree._Element) -> list[tuple[str, str, str]]:
    """(kind, title, content) of each entry."""
    return [
        (
            entry.find("a:category", NS).get("term"),
            entry.findtext("a:title", namespaces=NS),
            entry.findtext("a:content", namespaces=NS),
        )
        for entry in feed.findall("a:entry", NS)
    ]


@pytest.mark.alldb
def test_provider_feed_has_an_entry_for_each_kind_of_change_and_nothing_unpublished(
    client: FlaskClient, data: Register
) -> None:
    response = client.get(f"/providers/{data.provider_slug}/feed.atom")
    feed = parse_atom(response)
    assert feed.findtext("a:title", namespaces=NS) == "Register of interests: St Elsewhere Hospital NHS Trust"
    found = entries(feed)
    titles = [title for _, title, _ in found]
    kinds = {kind for kind, _, _ in found}
    assert kinds == {"declared", "changed", "ended", "action"}
    ten_days_ago = date.today() - timedelta(days=10)
    assert (
        f"Dr William Davies declared to St Elsewhere Hospital NHS Trust on {ten_days_ago.day} "
        f"{ten_days_ago:%B %Y}" in titles
    )
    assert any(t.startswith("Elizabeth O'Neill declared no interests to St Elsewhere") for t in titles)
    assert any(t.startswith("Interest changed: Dr William Davies, Medivance Surgical Ltd") for t in titles)
    assert any(t.startswith("Interest ended: Aoife Murphy, Recently Ended Ltd") for t in titles)
    assert any(t.startswith("Management action recorded: Dr William Davies, Medivance") for t in titles)
    action = next(content for kind, _, content in found if kind == "action")
    assert "Not involved in buying Medivance products" in action
    declared = next(content for kind, title, content in found if title.startswith("Mohammed"))
    assert "Heartwise Research" in declared and "2 entries are withheld" in declared
    body = response.get_data(as_text=True)
    for hidden in NEVER:
        assert hidden not in body, hidden
    # The other provider's feed has its own entries only.
    other = entries(parse_atom(client.get(f"/providers/{data.other_provider_slug}/feed.atom")))
    assert [kind for kind, _, _ in other] == ["declared"]
    assert "Pelvicare Devices" in other[0][2]
    assert client.get("/providers/no-such-provider/feed.atom").status_code == 404


def test_an_entry_withheld_after_it_was_published_leaves_that_providers_feed(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    url = f"/providers/{data.provider_slug}/feed.atom"
    assert "Pelvicare Devices" in client.get(url).get_data(as_text=True)
    with app.app_context():
        william = db.session.get(Professional, data.william)
        provider = db.session.get(Provider, data.provider)
        gift = db.session.scalar(
            select(InterestVersion)
            .join(DeclarationItem, DeclarationItem.interest_version_id == InterestVersion.id)
            .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
            .where(
                Declaration.professional_id == william.id, InterestVersion.other_party == "Pelvicare Devices"
            )
        )
        make_withholding_request(gift, provider)
        db.session.commit()
    assert "Pelvicare Devices" not in client.get(url).get_data(as_text=True)
    # Withheld at one provider only: still published at the other.
    other = client.get(f"/providers/{data.other_provider_slug}/feed.atom").get_data(as_text=True)
    assert "Pelvicare Devices" in other
    professional = client.get(f"/professionals/{data.william}/feed.atom").get_data(as_text=True)
    assert professional.count("Pelvicare Devices") == 1  # in the other provider's declaration only


def test_professional_feed_covers_every_provider_and_is_not_found_for_the_unpublished(
    client: FlaskClient, data: Register
) -> None:
    feed = parse_atom(client.get(f"/professionals/{data.william}/feed.atom"))
    assert feed.findtext("a:title", namespaces=NS) == "Declared interests: Dr William Davies"
    titles = [title for _, title, _ in entries(feed)]
    assert any("declared to St Elsewhere Hospital NHS Trust" in t for t in titles)
    assert any("declared to Riverside Clinic" in t for t in titles)
    for nobody in (data.graham, data.left, 999_999, 2**40):
        assert client.get(f"/professionals/{nobody}/feed.atom").status_code == 404


def test_search_feed_follows_the_people_a_search_finds(client: FlaskClient, data: Register) -> None:
    feed = parse_atom(client.get("/search/feed.atom?q=Heartwise+Research"))
    found = entries(feed)
    assert found and all("Mohammed Smith-Jones" in title for _, title, _ in found)
    assert (
        feed.find("a:link[@rel='self']", NS).get("href")
        == "http://localhost/search/feed.atom?q=Heartwise+Research"
    )
    body = client.get("/search/feed.atom?q=Secret+Holdings").get_data(as_text=True)
    assert "Mohammed" not in body and "<entry>" not in body  # a withheld company finds nobody
    assert "<entry>" not in client.get("/search/feed.atom?q=nobody+at+all").get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "q=", "q=+++", "q=" + "a" * 201])
def test_search_feed_without_a_usable_query_is_a_clear_400(
    client: FlaskClient, data: Register, query: str
) -> None:
    response = client.get(f"/search/feed.atom?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "search" in response.get_data(as_text=True).lower()


@pytest.mark.alldb
def test_etag_and_last_modified_give_304_until_the_register_changes(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    url = f"/providers/{data.provider_slug}/feed.atom"
    first = client.get(url)
    etag = first.headers["ETag"]
    last_modified = first.headers["Last-Modified"]
    assert etag and last_modified
    assert client.get(url).headers["ETag"] == etag  # the same feed, the same tag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(first.last_modified - timedelta(seconds=5), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    with app.app_context():
        provider = db.session.get(Provider, data.provider)
        nia = make_professional(given_name="Nia", family_name="Evans")
        make_engagement(nia, provider)
        make_declaration(nia, provider, None, signed_at=datetime.now(UTC) + timedelta(seconds=2))
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag, "If-Modified-Since": last_modified})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Nia Evans declared no interests" in changed.get_data(as_text=True)


def test_hostile_text_in_an_interest_stays_text(app: Flask, client: FlaskClient, data: Register) -> None:
    hostile = '<script>alert("x")</script><a href="javascript:x">]]></a>&amp;'
    with app.app_context():
        provider = db.session.get(Provider, data.provider)
        person = make_professional(given_name="Hostile", family_name="Text")
        make_engagement(person, provider)
        make_declaration(
            person, provider, [make_interest(person, other_party=hostile[:200], description=hostile)]
        )
        db.session.commit()
        search_index.rebuild()
    response = client.get(f"/providers/{data.provider_slug}/feed.atom")
    feed = parse_atom(response)
    assert "<script>" not in response.get_data(as_text=True)
    content = next(c for _, title, c in entries(feed) if title.startswith("Hostile Text"))
    assert '<script>alert("x")</script>' in content  # the text itself, unchanged, as text


def test_feeds_are_linked_from_their_pages(client: FlaskClient, data: Register) -> None:
    for page, feed in (
        (f"/providers/{data.provider_slug}", f"/providers/{data.provider_slug}/feed.atom"),
        (f"/professionals/{data.william}", f"/professionals/{data.william}/feed.atom"),
        ("/search?q=Medivance", "/search/feed.atom?q=Medivance"),
    ):
        soup = BeautifulSoup(client.get(page).data, "html.parser")
        link = soup.select_one('head link[rel="alternate"][type="application/atom+xml"]')
        assert link is not None and link["href"] == feed, page
        assert soup.select_one(f'main a[href="{feed}"]') is not None, page
    assert client.get(link["href"]).status_code == 200


@pytest.mark.alldb
def test_changes_since_a_moment_leave_out_what_was_told_before(app: Flask, data: Register) -> None:
    with app.app_context():
        today = date.today()
        everything = register.provider_changes(data.provider, today)
        assert everything
        newest = max(change.at for change in everything)
        assert register.provider_changes(data.provider, today, since=newest) == []
        provider = db.session.get(Provider, data.provider)
        nia = make_professional(given_name="Nia", family_name="Evans")
        make_engagement(nia, provider)
        make_declaration(nia, provider, [make_interest(nia)], signed_at=newest + timedelta(minutes=1))
        db.session.commit()
        since = register.provider_changes(data.provider, today, since=newest)
        assert [(c.kind, c.professional_name) for c in since] == [("declared", "Nia Evans")]
        assert len(register.provider_changes(data.provider, today, limit=3)) == 3
