"""A provider admin sees and changes only their own providers: every /manage route, given another
provider's slug or the id of another provider's engagement, declaration, entry, withholding
request, question, import, import job, email or professional (a payments reminder), answers 404 -
for GET and POST alike."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, StaffImport, StaffImportJob
from interests.services.disclosure import importing
from interests.services.outbox import MAX_ATTEMPTS, send_email
from tests import factories
from tests.conftest import make_app
from tests.disclosure_files import csv_text

ARGUMENT_OBJECTS = {
    "engagement_id": "engagement",
    "declaration_id": "declaration",
    "item_id": "item",
    "request_id": "request",
    "question_id": "question",
    "import_id": "import",
    "email_id": "email",
    "job_id": "job",
    "professional_id": "professional",
}


def _manage_rules() -> list[tuple[str, str]]:
    app = make_app("sqlite://", Path(tempfile.gettempdir()))
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/manage") and rule.arguments:
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                rules.append((rule.endpoint, method))
    return sorted(rules)


MANAGE_RULES = _manage_rules()


def test_every_manage_rule_with_arguments_is_covered() -> None:
    app = make_app("sqlite://", Path(tempfile.gettempdir()))
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/manage"):
            assert set(rule.arguments) <= {"slug", *ARGUMENT_OBJECTS}, rule.rule
    assert len(MANAGE_RULES) >= 20


@pytest.fixture
def two_providers(app: Flask) -> dict[str, Any]:
    with app.app_context():
        mine = factories.make_provider(slug="mine")
        theirs = factories.make_provider(slug="theirs")
        admin = factories.make_account("provider_admin", providers=[mine])
        objects: dict[str, dict[str, Any]] = {}
        people = []
        for name, provider in (("mine", mine), ("theirs", theirs)):
            person = factories.make_professional()
            engagement = factories.make_engagement(person, provider)
            version = factories.make_interest(person)
            declaration = factories.make_declaration(person, provider, [version])
            request = factories.make_withholding_request(version, provider)
            question = factories.make_patient_question(provider)
            staff_import = StaffImport(provider_id=provider.id, filename="x.csv", file_sha256="0" * 64)
            email = send_email(
                kind="test", to="x@example.org", subject="s", body="b", provider_id=provider.id
            )
            # Failed for good: "Try again" on it is real, so a forged id must meet a 404, not a refusal.
            email.attempts, email.last_error = MAX_ATTEMPTS, "(550, b'no such mailbox')"
            job = StaffImportJob(
                provider_id=provider.id,
                filename="big.csv",
                file_sha256="0" * 64,
                content=b"x",
                status="waiting",
            )
            db.session.add_all([staff_import, job])
            db.session.flush()
            objects[name] = {
                "slug": provider.slug,
                "engagement": engagement.id,
                "declaration": declaration.id,
                "item": declaration.items[0].id,
                "request": request.id,
                "question": question.id,
                "import": staff_import.id,
                "email": email.id,
                "job": job.id,
                "professional": person.id,
            }
            people.append(person)
        # A payment no declaration covers for each person: a forged id under my slug is a real one.
        rows = [
            (
                p.display_name,
                "Leeds",
                "UK",
                "",
                f"GMC {p.registration_number}",
                "Acme Pharma",
                "",
                "",
                "900",
                "",
                "",
            )
            for p in people
        ]
        importing.import_year(csv_text(rows).encode(), year=2024, filename="2024.csv", actor=None)
        db.session.commit()
        return {"admin": admin.email, **objects}


def _url(app: Flask, endpoint: str, values: dict[str, Any]) -> str:
    with app.test_request_context():
        from flask import url_for

        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        arguments = {
            name: values["slug" if name == "slug" else ARGUMENT_OBJECTS[name]] for name in rule.arguments
        }
        return url_for(endpoint, **arguments)


@pytest.mark.parametrize(("endpoint", "method"), MANAGE_RULES)
def test_another_providers_ids_give_404(
    app: Flask, two_providers: dict[str, Any], endpoint: str, method: str
) -> None:
    client = app.test_client()
    assert factories.sign_in(client, two_providers["admin"]).status_code == 302
    with app.app_context():
        audits_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    # Their slug with their ids; and my slug with their ids (a forged id under my own provider).
    theirs = two_providers["theirs"]
    forged = {**theirs, "slug": two_providers["mine"]["slug"]}
    for values in (theirs, forged):
        url = _url(app, endpoint, values)
        if set(values) and url == _url(app, endpoint, two_providers["mine"]):
            continue  # a rule with no object argument under my own slug is mine to use
        response = client.open(
            url, method=method, data={"action": "x", "reply": "x", "decision": "refuse", "reason": "x"}
        )
        assert response.status_code == 404, f"{method} {url} gave {response.status_code}"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits_before


@pytest.mark.parametrize(("endpoint", "method"), [r for r in MANAGE_RULES if r[1] == "GET"])
def test_my_own_ids_work(app: Flask, two_providers: dict[str, Any], endpoint: str, method: str) -> None:
    client = app.test_client()
    factories.sign_in(client, two_providers["admin"])
    response = client.get(_url(app, endpoint, two_providers["mine"]))
    assert response.status_code == 200
