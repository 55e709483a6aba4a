"""Pages of a provider admin's area (/manage): what the admin sees, and what each form does."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import (
    AuditEvent,
    DeclarationItem,
    Engagement,
    OutboxEmail,
    PatientQuestion,
    Provider,
    SearchTask,
    WithholdingRequest,
)
from tests import factories
from tests.pages import error_summary, soup, text


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """My provider with staff, a declaration, a withholding request and a question; another provider."""
    with app.app_context():
        mine = factories.make_provider(name="Riverside Hospital NHS Trust", slug="riverside")
        other = factories.make_provider(name="Elsewhere Clinic", slug="elsewhere")
        admin = factories.make_account("provider_admin", providers=[mine], email="lead@riverside.example")
        today = date.today()
        declared = factories.make_professional(given_name="Amira", family_name="Okafor")
        missing = factories.make_professional(given_name="Ben", family_name="Carter")
        newcomer = factories.make_professional(
            given_name="Chloe",
            family_name="Dunn",
            regulator="NMC",
            registration_number="12A3456E",
            profession="Nurse",
        )
        e_declared = factories.make_engagement(
            declared, mine, department="Gynaecology", decision_maker=True, email="amira@example.org"
        )
        factories.make_engagement(missing, mine, engagement_type="locum", department="Urology")
        factories.make_engagement(
            newcomer, mine, engagement_type="bank", start_date=today - timedelta(days=3)
        )
        version = factories.make_interest(declared, other_party="Medivance Surgical Ltd")
        declaration = factories.make_declaration(
            declared, mine, [version], declared_on=today - timedelta(days=10)
        )
        request = factories.make_withholding_request(version, mine)
        question = factories.make_patient_question(mine)
        # The other provider's things, for the 404 checks.
        stranger = factories.make_professional(given_name="Zed", family_name="Other")
        e_other = factories.make_engagement(stranger, other)
        other_version = factories.make_interest(stranger)
        other_declaration = factories.make_declaration(stranger, other, [other_version])
        other_request = factories.make_withholding_request(other_version, other)
        other_question = factories.make_patient_question(other)
        db.session.commit()
        return {
            "admin": admin.email,
            "engagement": e_declared.id,
            "declaration": declaration.id,
            "item": declaration.items[0].id,
            "request": request.id,
            "question": question.id,
            "other": {
                "slug": "elsewhere",
                "engagement": e_other.id,
                "declaration": other_declaration.id,
                "item": other_declaration.items[0].id,
                "request": other_request.id,
                "question": other_question.id,
            },
        }


@pytest.fixture
def search_tasks() -> Any:
    """Professional ids of the search-index work written by each transaction (the indexer applies
    and deletes the tasks after the commit, so they are observed as they are flushed)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    seen: list[int | None] = []

    def note(session: Session, flush_context: Any) -> None:
        seen.extend(obj.professional_id for obj in session.new if isinstance(obj, SearchTask))

    event.listen(Session, "after_flush", note)
    yield seen
    event.remove(Session, "after_flush", note)


@pytest.fixture
def admin_client(client: FlaskClient, world: dict[str, Any]) -> FlaskClient:
    assert factories.sign_in(client, world["admin"]).status_code == 302
    return client


def test_manage_home_lists_only_my_providers(admin_client: FlaskClient) -> None:
    page = soup(admin_client.get("/manage"))
    names = [text(a) for a in page.select("#providers a")]
    assert names == ["Riverside Hospital NHS Trust"]


def test_overview_counts_staff_by_status(admin_client: FlaskClient) -> None:
    response = admin_client.get("/manage/riverside")
    assert response.status_code == 200
    rows = {
        text(tr.select("td")[0]): text(tr.select("td")[1])
        for tr in soup(response).select("#status-counts tbody tr")
    }
    assert rows["Declared"] == "1"
    assert rows["Missing"] == "1"
    assert rows["Due"] == "1"
    assert "1 withholding request to decide" in text(soup(response).select_one("#waiting"))


def test_staff_page_shows_status_type_and_last_declaration(admin_client: FlaskClient) -> None:
    page = soup(admin_client.get("/manage/riverside/staff"))
    rows = page.select("#staff tbody tr")
    assert [text(r.select("td")[0]).split(" GMC")[0].split(" NMC")[0].replace("Name ", "") for r in rows] == [
        "Ben Carter",
        "Chloe Dunn",
        "Amira Okafor",
    ]
    amira = text(rows[2])
    assert "Declared" in amira and "Decision-making staff" in amira
    assert "Missing" in text(rows[0]) and "Locum or agency" in text(rows[0])
    assert "Due" in text(rows[1]) and "Never" in text(rows[1])
    assert "Showing 1 to 3 of 3 people" in text(page.select_one("#staff-count"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=missing", ["Ben Carter"]),
        ("status=declared", ["Amira Okafor"]),
        ("engagement_type=bank", ["Chloe Dunn"]),
        ("department=Urology", ["Ben Carter"]),
        ("decision_maker=yes", ["Amira Okafor"]),
        ("q=okaf", ["Amira Okafor"]),
        ("q=12a3456e", ["Chloe Dunn"]),
        ("q=nobody+at+all", []),
        (
            "status=forged&engagement_type=forged&department=forged",
            ["Ben Carter", "Chloe Dunn", "Amira Okafor"],
        ),
    ],
)
def test_staff_page_filters_and_search(admin_client: FlaskClient, query: str, expected: list[str]) -> None:
    page = soup(admin_client.get(f"/manage/riverside/staff?{query}"))
    names = [text(r.select_one("td a")) for r in page.select("#staff tbody tr")]
    assert names == expected
    if not expected:
        assert "Nobody matches these filters" in text(page.select_one("#staff-count"))


def test_staff_page_paginates(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        provider = db.session.scalar(select(Provider).where(Provider.slug == "riverside"))
        for n in range(30):
            factories.make_engagement(factories.make_professional(family_name=f"Zz{n:02d}"), provider)
        db.session.commit()
    first = soup(admin_client.get("/manage/riverside/staff"))
    assert len(first.select("#staff tbody tr")) == 25
    assert "Showing 1 to 25 of 33 people" in text(first.select_one("#staff-count"))
    second = soup(admin_client.get("/manage/riverside/staff?page=2"))
    assert len(second.select("#staff tbody tr")) == 8
    assert soup(admin_client.get("/manage/riverside/staff?page=999999999")).select("#staff tbody tr") == []


def test_add_engagement_creates_person_invites_and_audits(app: Flask, admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/manage/riverside/engagements/new",
        data={
            "given_name": "Dev",
            "family_name": "Patel",
            "regulator": "GMC",
            "registration_number": "7654321",
            "email": "dev@example.org",
            "engagement_type": "practising_privileges",
            "role": "Consultant surgeon",
            "department": "",
            "start_date-day": "1",
            "start_date-month": "4",
            "start_date-year": "2025",
            "decision_maker": "no",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        engagement = db.session.scalar(select(Engagement).where(Engagement.role == "Consultant surgeon"))
        assert engagement is not None and engagement.professional.registration_number == "7654321"
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "engagement.added")
            )
            == 1
        )
        invitation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))
        assert invitation is not None and invitation.to_address == "dev@example.org"
        assert "/invitations/" in invitation.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"given_name": ""}, "Enter their given name"),
        ({"regulator": "XYZ"}, "Select their regulator"),
        (
            {"registration_number": "12"},
            "Enter a GMC registration number in the right format, for example 1234567",
        ),
        ({"engagement_type": "forged"}, "Select how they work here"),
        ({"role": ""}, "Enter their role"),
        ({"role": "x" * 151}, "Role must be 150 characters or fewer"),
        ({"start_date-day": "31", "start_date-month": "2"}, "Start date must be a real date"),
        (
            {"end_date-day": "1", "end_date-month": "1", "end_date-year": "2020"},
            "End date must be the same as or after the start date",
        ),
        ({"email": "not-an-email"}, "Enter an email address in the correct format, like name@example.org"),
        ({"decision_maker": ""}, "Select yes if they are decision-making staff"),
    ],
)
def test_add_engagement_errors_save_nothing(
    app: Flask, admin_client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    data = {
        "given_name": "Dev",
        "family_name": "Patel",
        "regulator": "GMC",
        "registration_number": "7654321",
        "engagement_type": "employee",
        "role": "Consultant",
        "start_date-day": "1",
        "start_date-month": "4",
        "start_date-year": "2025",
        "decision_maker": "no",
    }
    data.update(changes)
    response = admin_client.post("/manage/riverside/engagements/new", data=data)
    assert response.status_code == 200
    assert message in error_summary(response)
    assert soup(response).title.get_text().startswith("Error: ")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Engagement)) == 4


def test_change_and_end_engagement(app: Flask, admin_client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"/manage/riverside/engagements/{world['engagement']}"
    page = soup(admin_client.get(url))
    assert page.select_one("input[name=role]")["value"] == "Consultant"
    response = admin_client.post(
        url,
        data={
            "engagement_type": "employee",
            "role": "Clinical director",
            "department": "Gynaecology",
            "start_date-day": "1",
            "start_date-month": "1",
            "start_date-year": "2020",
            "decision_maker": "yes",
        },
    )
    assert response.status_code == 302
    response = admin_client.post(
        f"{url}/end", data={"end_date-day": "1", "end_date-month": "1", "end_date-year": "2019"}
    )
    assert "End date must be the same as or after the start date" in error_summary(response)
    end = date.today() + timedelta(days=30)
    response = admin_client.post(
        f"{url}/end",
        data={"end_date-day": str(end.day), "end_date-month": str(end.month), "end_date-year": str(end.year)},
    )
    assert response.status_code == 302
    # The confirmation gives the date as people write it: "9 December 2026", not "09 December".
    assert f"engagement ends on {end.day} {end:%B %Y}" in admin_client.get(response.headers["Location"]).text
    with app.app_context():
        engagement = db.session.get(Engagement, world["engagement"])
        assert engagement.role == "Clinical director" and engagement.end_date == end
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"engagement.changed", "engagement.ended"} <= actions


def test_review_lists_declarations_and_records_action(
    app: Flask, admin_client: FlaskClient, world: dict[str, Any], search_tasks: list[int | None]
) -> None:
    listing = soup(admin_client.get("/manage/riverside/declarations"))
    assert "Amira Okafor" in text(listing.select_one("#declarations"))
    assert "0 of 1" in text(listing.select_one("#declarations"))
    detail = soup(admin_client.get(f"/manage/riverside/declarations/{world['declaration']}"))
    assert "Medivance Surgical Ltd" in text(detail.select_one("#entries"))
    url = f"/manage/riverside/entries/{world['item']}/action"
    assert "Enter the action taken" in error_summary(admin_client.post(url, data={"action": "  "}))
    response = admin_client.post(url, data={"action": "Excluded from mesh procurement decisions"})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(DeclarationItem, world["item"])
        assert item.management_action == "Excluded from mesh procurement decisions"
        assert item.declaration.professional_id in search_tasks
        assert db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "declaration.action_recorded")
        )


def test_withholding_decision_needs_reason_and_future_review_date(
    admin_client: FlaskClient, world: dict[str, Any]
) -> None:
    url = f"/manage/riverside/withholding/{world['request']}"
    assert "Select whether to withhold the entry" in error_summary(admin_client.post(url, data={}))
    errors = error_summary(admin_client.post(url, data={"decision": "approve", "reason": "Risk of harm"}))
    assert "Enter a review date" in errors
    past = date.today() - timedelta(days=1)
    errors = error_summary(
        admin_client.post(
            url,
            data={
                "decision": "approve",
                "reason": "Risk",
                "review_on-day": str(past.day),
                "review_on-month": str(past.month),
                "review_on-year": str(past.year),
            },
        )
    )
    assert "Review date must be in the future" in errors


def test_withholding_approve_is_audited_scheduled_and_told(
    app: Flask, admin_client: FlaskClient, world: dict[str, Any], search_tasks: list[int | None]
) -> None:
    review = date.today() + timedelta(days=180)
    response = admin_client.post(
        f"/manage/riverside/withholding/{world['request']}",
        data={
            "decision": "approve",
            "reason": "Credible threat to the family",
            "review_on-day": str(review.day),
            "review_on-month": str(review.month),
            "review_on-year": str(review.year),
        },
    )
    assert response.status_code == 302
    listing = soup(admin_client.get("/manage/riverside/withholding"))
    assert "Withheld" in text(listing.select_one("#requests"))
    with app.app_context():
        request = db.session.get(WithholdingRequest, world["request"])
        assert request.status == "approved" and request.review_on == review
        assert request.provider.register_updated_at is not None
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "withholding.approved"))
            is not None
        )
        assert request.interest.professional_id in search_tasks
        told = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "withholding_decision"))
        assert told is not None and told.to_address == "amira@example.org"
    # A decided request cannot be decided again.
    again = admin_client.post(
        f"/manage/riverside/withholding/{world['request']}", data={"decision": "refuse", "reason": "x"}
    )
    assert again.status_code == 200
    assert "Withheld on" in text(soup(again).select_one("#decision"))


def test_publication_settings_and_snippet(app: Flask, admin_client: FlaskClient) -> None:
    page = soup(admin_client.get("/manage/riverside/publication"))
    assert 'href="http://localhost/providers/riverside"' in page.select_one("#snippet-link").get_text()
    assert "<iframe" in page.select_one("#snippet-embed").get_text()
    bad = admin_client.post(
        "/manage/riverside/publication", data={"has_website": "yes", "website_url": "javascript:alert(1)"}
    )
    assert "Enter a website address in the correct format, like https://www.example.nhs.uk" in error_summary(
        bad
    )
    response = admin_client.post(
        "/manage/riverside/publication",
        data={
            "has_website": "no",
            "website_url": "",
            "contact_name": "CoI lead",
            "contact_email": "coi@riverside.example",
        },
    )
    assert response.status_code == 302
    page = soup(admin_client.get("/manage/riverside/publication"))
    assert "printable register" in text(page.select_one("#no-website"))
    with app.app_context():
        provider = db.session.scalar(select(Provider).where(Provider.slug == "riverside"))
        assert provider.has_website is False and provider.contact_email == "coi@riverside.example"
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "provider.publication_changed")
        )


def test_patient_question_reaches_inbox_and_reply_is_emailed(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    form = soup(client.get("/providers/riverside/ask"))
    assert "Ask about this register" in text(form.select_one("h1"))
    assert "Enter your question" in error_summary(
        client.post("/providers/riverside/ask", data={"question": ""})
    )
    too_long = client.post("/providers/riverside/ask", data={"question": "x" * 2001})
    assert "Question must be 2,000 characters or fewer" in error_summary(too_long)
    assert client.get("/providers/no-such-provider/ask").status_code == 404
    response = client.post(
        "/providers/riverside/ask",
        data={
            "question": "<script>alert(1)</script> Who funds the urology team?",
            "name": "Sam",
            "email": "sam@example.org",
        },
    )
    assert response.status_code == 302
    # The reply is emailed only to a confirmed address: Sam confirms it by the emailed link.
    with app.app_context():
        confirmation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "question_confirm"))
        link = re.search(r"http://localhost(/providers/riverside/ask/confirm/\S+)", confirmation.body)
    assert link is not None
    assert client.post(link.group(1)).status_code == 200
    factories.sign_in(client, world["admin"])
    inbox = client.get("/manage/riverside/questions")
    assert "<script>alert(1)</script>" not in inbox.get_data(as_text=True)
    assert "Who funds the urology team?" in text(soup(inbox).select_one("#questions"))
    with app.app_context():
        asked = db.session.scalar(select(PatientQuestion).where(PatientQuestion.name == "Sam"))
        question_id = asked.id
    assert "Enter your reply" in error_summary(
        client.post(f"/manage/riverside/questions/{question_id}", data={"reply": ""})
    )
    assert (
        client.post(
            f"/manage/riverside/questions/{question_id}", data={"reply": "Nobody: it is NHS funded."}
        ).status_code
        == 302
    )
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "question_reply"))
        assert email.to_address == "sam@example.org" and "Nobody: it is NHS funded." in email.body
    shown = soup(client.get(f"/manage/riverside/questions/{question_id}"))
    assert "Nobody: it is NHS funded." in text(shown.select_one("#reply-text"))


def test_outbox_shows_my_providers_emails_in_development(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        from interests.services.outbox import send_email

        riverside = db.session.scalar(select(Provider).where(Provider.slug == "riverside"))
        elsewhere = db.session.scalar(select(Provider).where(Provider.slug == "elsewhere"))
        mine = send_email(
            kind="test", to="a@example.org", subject="Mine", body="Hello", provider_id=riverside.id
        )
        theirs = send_email(
            kind="test", to="b@example.org", subject="Theirs", body="Hi", provider_id=elsewhere.id
        )
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    page = soup(admin_client.get("/manage/outbox"))
    subjects = [text(a) for a in page.select("#emails a")]
    assert subjects == ["Mine"]
    assert "Hello" in text(soup(admin_client.get(f"/manage/outbox/{mine_id}")).select_one("#email-body"))
    assert admin_client.get(f"/manage/outbox/{theirs_id}").status_code == 404


def test_outbox_keeps_a_patients_address_and_confirmation_link_from_the_providers_admins(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    asked = client.post(
        "/providers/riverside/ask",
        data={"question": "Who funds the urology team?", "name": "Sam", "email": "sam@example.org"},
    )
    assert asked.status_code == 302
    with app.app_context():
        confirmation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "question_confirm"))
        email_id, body = confirmation.id, confirmation.body
    link = re.search(r"/providers/riverside/ask/confirm/\S+", body)
    assert link is not None
    factories.sign_in(client, world["admin"])
    listed = client.get("/manage/outbox").get_data(as_text=True)
    assert "Confirm your email address for your question" in listed
    assert "sam@example.org" not in listed and "The patient who asked" in listed
    page = client.get(f"/manage/outbox/{email_id}")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "sam@example.org" not in shown and link.group(0) not in shown
    assert soup(page).select_one("#email-body") is None
    # The link still works for the patient, who has it.
    client.post("/sign-out")
    assert client.post(link.group(0)).status_code == 200


def test_outbox_is_hidden_when_smtp_is_configured(app: Flask, admin_client: FlaskClient) -> None:
    app.config["MAIL_SERVER"] = "127.0.0.1"
    assert admin_client.get("/manage/outbox").status_code == 404


def test_other_roles_cannot_manage(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    assert client.get("/manage/riverside/staff").status_code == 302  # anonymous: sign in
    with app.app_context():
        professional = factories.make_account("professional")
        db.session.commit()
        email = professional.email
    factories.sign_in(client, email)
    assert client.get("/manage/riverside/staff").status_code == 403


def test_system_admin_does_not_manage_registers(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    with app.app_context():
        admin = factories.make_account("system_admin")
        db.session.commit()
        email = admin.email
    factories.sign_in(client, email)
    assert client.get("/manage").status_code == 403
    assert client.get("/manage/elsewhere/staff").status_code == 403


def test_ask_form_is_rate_limited(database_url: str, tmp_path: Any) -> None:
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, QUESTION_RATE_LIMIT="2 per minute")
    with app.app_context():
        factories.make_provider(slug="limited")
        db.session.commit()
    client = app.test_client()
    statuses = [
        client.post("/providers/limited/ask", data={"question": f"Question {n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert client.get("/providers/limited/ask").status_code == 200  # reading the form is never limited
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PatientQuestion)) == 2
        db.session.remove()
        db.engine.dispose()
