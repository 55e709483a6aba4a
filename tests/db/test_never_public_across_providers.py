"""A professional at three providers, with a different withholding decision at each: what one provider
withholds (or has not yet decided) reaches no public output of any provider, after a real send to
all three. Markers ("zqxmark...") go in every field that must stay private; the public pages,
downloads, API, search and index files of every provider are read back.
"""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, Provider, WithholdingRequest
from interests.services import declaring, search_index
from interests.services import national_data as national
from interests.unit_of_work import transaction
from tests import factories
from tests.alert_digests import every_digest
from tests.search_engines import index_contents

MARKER = "zqxmark"
TODAY = date.today()


@pytest.mark.alldb
def test_what_any_provider_withholds_reaches_no_public_output_of_any_provider(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        providers = [
            factories.make_provider(name=name, slug=slug)
            for name, slug in (
                ("Alder NHS Trust", "alder"),
                ("Birch Private Hospital", "birch"),
                ("Cedar Clinic", "cedar"),
            )
        ]
        zara = factories.make_professional(
            given_name="Zara", family_name="Okonjo", registration_number="8899001"
        )
        for n, provider in enumerate(providers):
            factories.make_engagement(zara, provider, email=f"{MARKER}contact{n}@example.org")
        account = factories.make_account("professional", email=f"{MARKER}own@example.org", professional=zara)
        approved_at_alder = factories.make_interest(
            zara, other_party=f"{MARKER}approvedparty", description=f"{MARKER}approveddescription"
        )
        pending_at_birch = factories.make_interest(
            zara, other_party=f"{MARKER}pendingparty", description=f"{MARKER}pendingdescription"
        )
        refused_at_cedar = factories.make_interest(
            zara, other_party="Refused Partners Ltd", description="Refused, so published everywhere"
        )
        public = factories.make_interest(zara, other_party="Open Devices Ltd", description="Published")
        factories.make_withholding_request(
            approved_at_alder,
            providers[0],
            reason=f"{MARKER}reasonapproved",
            status="approved",
            decision_reason=f"{MARKER}decisionapproved",
            review_on=TODAY + timedelta(days=90),
        )
        factories.make_withholding_request(pending_at_birch, providers[1], reason=f"{MARKER}reasonpending")
        factories.make_withholding_request(
            refused_at_cedar,
            providers[2],
            reason=f"{MARKER}reasonrefused",
            status="refused",
            decision_reason=f"{MARKER}decisionrefused",
        )
        db.session.commit()
        versions = declaring.covered_versions(zara, TODAY)
        assert {v.interest_id for v in versions} == {
            approved_at_alder.interest_id,
            pending_at_birch.interest_id,
            refused_at_cedar.interest_id,
            public.interest_id,
        }
        with transaction():
            sent = declaring.send_declaration(
                zara,
                actor=db.session.get(Account, account.id),
                provider_ids=[p.id for p in providers],
                shown_version_ids=[v.id for v in versions],
                nil_return=False,
                on=TODAY,
            )
        assert sent.created == 3
        # Withholding followed the two interests to the providers not yet asked.
        pending = {
            (r.interest_id, r.provider_id): (r.status, r.reason)
            for r in db.session.scalars(select(WithholdingRequest))
        }
        ids = [p.id for p in providers]
        assert pending[(approved_at_alder.interest_id, ids[1])] == ("pending", f"{MARKER}reasonapproved")
        assert pending[(approved_at_alder.interest_id, ids[2])] == ("pending", f"{MARKER}reasonapproved")
        assert pending[(pending_at_birch.interest_id, ids[0])] == ("pending", f"{MARKER}reasonpending")
        assert (refused_at_cedar.interest_id, ids[0]) not in pending  # refused: nothing to follow
        zara_id = zara.id
        search_index.rebuild()
        search_index.schedule(professional_id=zara_id)
        db.session.commit()
        search_index.apply_pending()
        slugs = list(db.session.scalars(select(Provider.slug)))
        night = national.publish().night.isoformat()  # the national download (/data)

    urls = [
        f"/professionals/{zara_id}",
        f"/api/v1/professionals/{zara_id}",
        f"/professionals/{zara_id}/feed.atom",
        "/providers",
        "/api/v1/providers",
        "/data",
    ]
    for slug in slugs:
        urls += [
            f"/providers/{slug}{suffix}"
            for suffix in ("", "/register.csv", "/register.json", "/print", "/feed.atom")
        ]
        urls.append(f"/api/v1/providers/{slug}/register?per_page=100")
    echoed = {}
    for query in (
        "Zara Okonjo",
        "Okonjo",
        "8899001",
        "Refused Partners",
        f"{MARKER}approvedparty",
        f"{MARKER}pendingparty",
    ):
        for base in ("/search", "/api/v1/search", "/search/feed.atom"):
            url = f"{base}?q={quote(query)}"
            urls.append(url)
            echoed[url] = query
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True).lower()
        if url in echoed:  # the patient's own query shown back to them is not a leak
            body = body.replace(echoed[url].lower(), "").replace(quote(echoed[url]).lower(), "")
        assert MARKER not in body, url
    # The national download's files, unzipped: every provider's register in one.
    for name in national.FILES:
        with client.get(f"/data/{night}/{name}") as response:
            assert response.status_code == 200, name
            content = response.get_data()
        content = gzip.decompress(content) if name.endswith(".gz") else content
        assert MARKER.encode() not in content.lower(), name
        if name.endswith(".gz"):  # the published entries are there, at all three providers
            assert content.count(b"Refused Partners Ltd") == 3 and content.count(b"Open Devices Ltd") == 3
    # The scan read real registers: the published entries are on every provider's register.
    for slug in slugs:
        page = client.get(f"/providers/{slug}").get_data(as_text=True)
        assert "Refused Partners Ltd" in page and "Open Devices Ltd" in page, slug
    # Email alert digests of every provider, of Zara and of every search: nothing private either.
    with app.app_context():
        digests = every_digest(sorted(set(echoed.values())))
    assert any("Open Devices Ltd" in digest for digest, _ in digests)
    for digest, query in digests:
        body = digest.lower()
        if query:
            body = body.replace(query.lower(), "").replace(quote(query).lower(), "")
        assert MARKER not in body, digest[:200]
    # And the search index (Whoosh's files, or PostgreSQL's search tables) holds nothing private.
    stored = index_contents(app)
    assert stored
    for where, content in stored:
        assert MARKER.encode() not in content.lower(), where
