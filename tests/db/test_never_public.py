"""Nothing that is not published reaches any public output.

A marker ("zqxmark...") is put in every non-public field of a small register; then every
public page, download, print view, API response, search result and suggestion is fetched,
and the index files are read from disk. No marker may appear anywhere.
"""

from __future__ import annotations

import gzip
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Engagement,
    InterestVersion,
    OutboxEmail,
    Professional,
    Provider,
    SearchTask,
    WithholdingRequest,
)
from interests.services import audit, search_index
from interests.services import national_data as national
from tests.alert_digests import every_digest
from tests.factories import (
    make_account,
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_withholding_request,
)
from tests.public_data import TODAY, build_register
from tests.search_engines import index_contents

# On PostgreSQL the search index is its own tables (interests/search/postgres/): scanned too.
pytestmark = pytest.mark.alldb

MARKER = "zqxmark"
_tags = itertools.count(1)


def marker(kind: str) -> str:
    letters = "".join("abcdefghij"[int(d)] for d in str(next(_tags)))
    return f"{MARKER}{kind}{letters}"


def plant_markers() -> list[str]:
    planted: list[str] = []

    def mark(kind: str) -> str:
        value = marker(kind)
        planted.append(value)
        return value

    for engagement in db.session.scalars(select(Engagement)):
        engagement.department = mark("department")
        engagement.email = f"{mark('email')}@example.org"
    for declaration in db.session.scalars(select(Declaration)):
        declaration.statement = mark("statement")
    for request in db.session.scalars(select(WithholdingRequest)):
        request.reason = mark("reason")
        if request.status != "pending":
            request.decision_reason = mark("decision")
        # The withheld and pending entries themselves: every version of the interest.
        for version in request.interest.versions:
            version.other_party = mark("withheldparty")
            version.description = mark("withhelddescription")
            version.relationship_to_professional = None
    # Drafts and unsent versions: versions in no declaration.
    sent = select(DeclarationItem.interest_version_id)
    for version in db.session.scalars(select(InterestVersion).where(InterestVersion.id.not_in(sent))):
        version.other_party = mark("draftparty")
        version.description = mark("draftdescription")
    # Expired more than 6 months ago, and declared by someone who left 2 years ago.
    for version in db.session.scalars(
        select(InterestVersion).where(InterestVersion.date_to < TODAY - timedelta(days=300))
    ):
        version.other_party = mark("expiredparty")
        version.description = mark("expireddescription")
    # A management action typed but not recorded is not published.
    item = db.session.scalars(
        select(DeclarationItem).where(DeclarationItem.action_recorded_at.is_(None))
    ).first()
    item.management_action = mark("unrecordedaction")
    # An unsent newer version of a published interest.
    william = db.session.scalar(select(Professional).where(Professional.given_name == "William"))
    published = db.session.scalars(
        select(DeclarationItem).join(Declaration).where(Declaration.professional_id == william.id)
    ).first()
    interest = published.interest_version.interest
    db.session.add(
        InterestVersion(
            interest=interest,
            version_number=len(interest.versions) + 1,
            category="financial",
            interest_type="gifts",
            other_party=mark("unsentparty"),
            description=mark("unsentdescription"),
            date_from=TODAY,
        )
    )
    # Someone who left long ago, with a declared interest.
    left = db.session.scalar(select(Professional).where(Professional.given_name == "Ciaran"))
    provider = db.session.scalar(select(Provider).where(Provider.slug == "st-elsewhere"))
    make_declaration(
        left,
        provider,
        [make_interest(left, other_party=mark("leftparty"))],
        declared_on=TODAY - timedelta(days=900),
    )
    # Accounts, audit, outbox and task errors.
    admin = make_account(
        "provider_admin",
        email=f"{mark('adminemail')}@example.org",
        providers=[provider],
        full_name=mark("adminname"),
    )
    make_account("professional", email=f"{mark('profemail')}@example.org", professional=william)
    audit.record("test", provider, actor=admin, summary=mark("audit"), provider_id=provider.id)
    db.session.add(
        OutboxEmail(
            kind="reminder",
            to_address=f"{mark('outbox')}@example.org",
            subject=mark("subject"),
            body=mark("body"),
            provider_id=provider.id,
        )
    )
    db.session.add(
        SearchTask(professional_id=william.id, last_error=mark("taskerror"), created_at=datetime.now(UTC))
    )
    db.session.commit()
    return planted


def add_everything_withheld() -> int:
    """Priya Shah: every entry withheld (one approved, one awaiting a decision). She stays listed
    with the count; plant_markers() then marks her entries' content and the requests' reasons."""
    provider = db.session.scalar(select(Provider).where(Provider.slug == "st-elsewhere"))
    priya = make_professional(given_name="Priya", family_name="Shah")
    make_engagement(priya, provider, role="Consultant psychiatrist")
    approved = make_interest(priya, other_party="Hidden Holdings", description="Shares")
    pending = make_interest(priya, other_party="Hidden Partners", description="Trustee")
    make_declaration(priya, provider, [approved, pending])
    make_withholding_request(
        approved,
        provider,
        status="approved",
        decision_reason="Real risk",
        review_on=TODAY + timedelta(days=365),
    )
    make_withholding_request(pending, provider)
    db.session.commit()
    return priya.id


def add_unshown_payments(william: int) -> list[str]:
    """Industry payments about William that no public output may show: matched by name alone (not
    confirmed), and one matched by his registration number that he said is not him. One certain
    payment is shown, so the professional's page is not empty of them."""
    from interests.models import Account, IndustryPayment
    from interests.services.disclosure import importing, own
    from tests.disclosure_files import csv_text

    companies = [marker("company") for _ in range(3)]
    city, address = marker("city"), marker("address")
    rows = [
        ("William Davies", "Leeds", "UK", "", "GMC 1234567", "Shown Pharma Ltd", "", "", "100", "", ""),
        ("William Davies", city, "UK", address, "", companies[0], "", "", "200", "", ""),
        ("Dr W Davies", city, "UK", address, "", companies[1], "", "300", "", "", ""),
        ("William Davies", "Leeds", "UK", "", "GMC 1234567", companies[2], "", "", "400", "", ""),
    ]
    importing.import_year(csv_text(rows).encode(), year=TODAY.year - 1, filename="year.csv", actor=None)
    professional = db.session.get(Professional, william)
    rejected = db.session.scalars(
        select(IndustryPayment).where(IndustryPayment.company == companies[2])
    ).one()
    assert professional is not None and rejected.professional_id == william
    account = db.session.scalars(select(Account).where(Account.professional_id == william)).first()
    if account is None:
        account = make_account("professional", professional=professional)
    own.reject(rejected, professional, actor=account)
    db.session.commit()
    return [*companies, city, address]


def test_no_marker_reaches_any_public_output(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        data = build_register()
        priya = add_everything_withheld()
        planted = plant_markers()
        planted += add_unshown_payments(data.william)
        search_index.rebuild()
        # And through the incremental path too: every professional rewritten.
        for person_id in db.session.scalars(select(Professional.id)):
            search_index.schedule(professional_id=person_id)
        search_index.schedule(provider_id=data.provider)
        db.session.commit()
        search_index.apply_pending()
        professional_ids = list(db.session.scalars(select(Professional.id)))
        slugs = list(db.session.scalars(select(Provider.slug)))
        night = national.publish().night.isoformat()  # the national download (/data)
    from urllib.parse import quote, quote_plus

    urls: list[tuple[str, str]] = [
        (url, "")
        for url in (
            "/",
            "/providers",
            "/understanding",
            "/about",
            "/privacy",
            "/accessibility",
            "/api/v1/providers",
            "/api/v1/openapi.json",
            "/healthz",
            "/data",
        )
    ]
    for slug in slugs:
        urls += [
            (f"/providers/{slug}{suffix}", "")
            for suffix in ("", "/register.csv", "/register.json", "/print", "/feed.atom")
        ]
        urls += [
            (f"/api/v1/providers/{slug}/register?per_page=100", ""),
            (f"/providers/{slug}?q={MARKER}", MARKER),
        ]
    for pid in professional_ids:
        urls += [
            (f"/professionals/{pid}", ""),
            (f"/api/v1/professionals/{pid}", ""),
            (f"/professionals/{pid}/feed.atom", ""),
        ]
    queries = [
        MARKER,
        "zqxmarkk",
        "zqxmarkwithheldparty",
        "secret holdings",
        "pending partners",
        "draft devices",
        "long gone",
        "@example.org",
        "example",
        "withheldparty",
        *planted,
    ]
    for query in queries:
        urls += [
            (f"/search?q={quote(query)}", query),
            (f"/api/v1/search?q={quote(query)}", query),
            (f"/search/feed.atom?q={quote(query)}", query),
            (f"/providers?q={quote(query)}", query),
        ]
    seen = 0
    for url, echoed in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        body = response.get_data(as_text=True).lower()
        if echoed:  # the patient's own query shown back to them is not a leak
            for form in (echoed, quote(echoed), quote_plus(echoed)):
                body = body.replace(form.lower(), "")
        assert MARKER not in body, url
        seen += 1
    assert seen > 50
    # The national download's files, unzipped: the whole register of every provider.
    national_csv = b""
    for name in national.FILES:
        with client.get(f"/data/{night}/{name}") as response:
            assert response.status_code == 200, name
            content = response.get_data()
        if name.endswith(".gz"):
            content = gzip.decompress(content)
            national_csv += content
        assert MARKER.encode() not in content.lower(), name
    assert b"Heartwise Research" in national_csv and b"Priya Shah" in national_csv
    # The pages did show the published data (the scan is not of empty pages).
    assert "Shown Pharma Ltd" in client.get(f"/professionals/{data.william}").get_data(as_text=True)
    assert "Heartwise Research" in client.get("/providers/st-elsewhere").get_data(as_text=True)
    assert "Heartwise Research" in client.get("/providers/st-elsewhere/feed.atom").get_data(as_text=True)
    # Someone whose entries are all withheld is listed, with only the count (the markers in her
    # entries and the reasons were part of the scan above).
    assert "Priya Shah" in client.get("/providers/st-elsewhere").get_data(as_text=True)
    assert "2 entries withheld from publication" in client.get(f"/professionals/{priya}").get_data(
        as_text=True
    )
    # Email alert digests of every provider, professional and search: the same published changes.
    with app.app_context():
        digests = every_digest(queries)
    assert any("Heartwise Research" in digest for digest, _ in digests)
    for digest, echoed in digests:
        body = digest.lower().replace(echoed.lower(), "") if echoed else digest.lower()
        for form in (quote(echoed), quote_plus(echoed)) if echoed else ():
            body = body.replace(form.lower(), "")
        assert MARKER not in body, digest[:200]
    stored = index_contents(app)  # Whoosh's files, or PostgreSQL's search tables
    assert stored
    for where, content in stored:
        assert MARKER.encode() not in content.lower(), where
