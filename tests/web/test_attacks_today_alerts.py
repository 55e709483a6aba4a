"""Attacks on the alert digests and their "stop all" link (/alerts/unsubscribe-all/<token>), as whoever holds
an old digest, a link scanner or an anonymous script would make them. Each must fail;
tests/web/test_alerts.py holds the ordinary behaviour (and forged, altered and reused links)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from flask import Flask

from interests.extensions import db
from interests.models import Provider
from interests.services import search_index, withholding
from tests.factories import (
    make_account,
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_withholding_request,
)
from tests.pages import soup, text
from tests.public_data import Register, build_and_index
from tests.web.test_alerts import ADDRESS, START, add_declaration, digests_at, emails, follow, subscriptions

pytestmark = pytest.mark.alldb


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        return build_and_index()


def _stop_all_link(app: Flask, data: Register) -> str:
    """ADDRESS follows the provider and Dr William Davies; a digest tells it of a change: its link."""
    follow(app, ADDRESS, "provider", data.provider_slug, "St Elsewhere Hospital NHS Trust", START)
    follow(app, ADDRESS, "professional", str(data.william), "Dr William Davies", START)
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    assert digests_at(app, START + timedelta(days=1)).sent == 1
    [digest] = emails(app, "alert_digest")
    found = re.search(r"http://localhost(/alerts/unsubscribe-all/\S+)", digest.body)
    assert found
    return found.group(1)


def test_a_stop_all_link_still_in_use_never_stops_an_alert_asked_for_after_the_email(
    app: Flask, data: Register
) -> None:
    """One alert of the email's (the provider) is stopped on its own, then the address follows
    something new: the old email's stop-all link (still naming an alert that exists, Dr Davies)
    stops that one only."""
    link = _stop_all_link(app, data)
    client = app.test_client(use_cookies=False)
    [digest] = emails(app, "alert_digest")
    # Only the provider changed: its part (and its own link) is the email's one part.
    provider = re.search(
        r"Stop emails about St Elsewhere[^:]*: http://localhost(/alerts/unsubscribe/\S+)", digest.body
    )
    assert provider and client.post(provider.group(1)).status_code == 200
    follow(app, ADDRESS, "search", "Newfound", "a search for ‘Newfound’", START + timedelta(days=2))
    assert client.post(link).status_code == 200
    assert subscriptions(app) == [(ADDRESS, "search", "Newfound", True)]


def test_a_link_scanner_opening_the_link_any_other_way_stops_nothing(app: Flask, data: Register) -> None:
    link = _stop_all_link(app, data)
    client = app.test_client(use_cookies=False)
    head = client.head(link)
    assert head.status_code == 200 and head.get_data() == b""
    assert client.options(link).status_code == 200
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.open(link, method=method).status_code == 405, method
    assert client.get(f"{link}?List-Unsubscribe=One-Click").status_code == 200
    assert len(subscriptions(app)) == 2


def test_the_confirm_page_never_shows_the_address_the_link_belongs_to(app: Flask, data: Register) -> None:
    """A forwarded digest: whoever opens its link learns nothing about who follows what."""
    link = _stop_all_link(app, data)
    page = app.test_client(use_cookies=False).get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop all my email alerts" in text(soup(page))
    assert ADDRESS not in html and "follower" not in html


@pytest.mark.parametrize(
    "bad",
    [
        "{link}/",
        "{link}%00",
        "{link}{token}",
        "{link}/../x",
        "/alerts/unsubscribe-all/%00",
        "/alerts/unsubscribe-all/" + "A" * 1_000_000,
        "/alerts/unsubscribe-all/{token_upper}",
        "/alerts/unsubscribe-all/..%2F..%2Fadmin",
    ],
)
def test_an_altered_link_is_refused_without_an_error_and_stops_nothing(
    app: Flask, data: Register, bad: str
) -> None:
    link = _stop_all_link(app, data)
    token = link.rsplit("/", 1)[1]
    url = bad.format(link=link, token=token, token_upper=token.swapcase())
    client = app.test_client(use_cookies=False)
    for method in (client.get, client.post):
        assert method(url).status_code in (404, 405, 308, 414), url
    assert len(subscriptions(app)) == 2


def test_an_entry_withheld_or_asked_to_be_withheld_after_it_was_published_is_in_no_digest(
    app: Flask, data: Register
) -> None:
    """Published in the evening, then (before the morning's digest) one entry withheld and another
    asked to be: neither is told, whether the address follows the provider, the person or both."""
    with app.app_context():
        provider = db.session.get(Provider, data.provider)
        olwen = make_professional(given_name="Olwen", family_name="Newcomer")
        make_engagement(olwen, provider, role="Physiotherapist")
        withheld = make_interest(olwen, other_party="Olwen Withheld Ltd")
        pending = make_interest(olwen, other_party="Olwen Pending Ltd")
        public = make_interest(olwen, other_party="Olwen Public Ltd")
        make_declaration(olwen, provider, [withheld, pending, public], signed_at=START + timedelta(hours=20))
        db.session.commit()
        olwen_id = olwen.id
        with time_machine.travel(START + timedelta(hours=21), tick=False):
            admin = make_account("provider_admin", providers=[provider])
            make_withholding_request(pending, provider)
            withholding.decide(
                make_withholding_request(withheld, provider),
                approve=True,
                reason="A real risk",
                review_on=date(2027, 3, 1),
                actor=admin,
                today=date(2026, 3, 2),
            )
            db.session.commit()
        search_index.rebuild()
    follow(app, "provider@example.org", "provider", data.provider_slug, "St Elsewhere", START)
    follow(app, "olwen@example.org", "professional", str(olwen_id), "Olwen Newcomer", START)
    follow(app, "both@example.org", "provider", data.provider_slug, "St Elsewhere", START)
    follow(app, "both@example.org", "professional", str(olwen_id), "Olwen Newcomer", START)
    assert digests_at(app, START + timedelta(days=1)).sent == 3
    for digest in emails(app, "alert_digest"):
        assert "Olwen" in digest.body, digest.to_address
        assert "Olwen Withheld Ltd" not in digest.subject + digest.body, digest.to_address
        assert "Olwen Pending Ltd" not in digest.subject + digest.body, digest.to_address
