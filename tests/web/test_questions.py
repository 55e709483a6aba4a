"""Asking a provider a question: the reply address is confirmed by a link before any reply is emailed
to it, and a day's questions are limited per address and per client."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, OutboxEmail, PatientQuestion, utcnow
from tests import factories
from tests.pages import error_summary, soup, text

ADDRESS = "sam.patient@example.org"
LINK = re.compile(r"http://localhost(/providers/riverside/ask/confirm/(\S+))")


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        riverside = factories.make_provider(
            name="Riverside Hospital NHS Trust", slug="riverside", contact_email="coi@riverside.example"
        )
        factories.make_provider(name="Elsewhere Clinic", slug="elsewhere")
        factories.make_provider(
            name="Quiet Practice", slug="quiet", contact_email=None, contact_phone=None, website_url=None
        )
        admin = factories.make_account(
            "provider_admin", providers=[riverside], email="lead@riverside.example"
        )
        db.session.commit()
        return {"admin": admin.email}


def ask(client: FlaskClient, slug: str = "riverside", ip: str = "192.0.2.1", **fields: str) -> Any:
    data = {"question": "Who funds the urology team?", "name": "Sam", **fields}
    return client.post(f"/providers/{slug}/ask", data=data, environ_base={"REMOTE_ADDR": ip})


def emails(app: Flask, kind: str) -> list[OutboxEmail]:
    with app.app_context():
        found = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
        db.session.expunge_all()
        return list(found)


def confirmation_link(app: Flask) -> str:
    """The path of the link in the (only) confirmation email."""
    [email] = emails(app, "question_confirm")
    match = LINK.search(email.body)
    assert match is not None, email.body
    return match.group(1)


def the_question_id(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(PatientQuestion.id)) or 0)


def counts(app: Flask) -> tuple[int, int, int]:
    """Questions, emails and audit events saved."""
    with app.app_context():
        return (
            int(db.session.scalar(select(func.count()).select_from(PatientQuestion)) or 0),
            int(db.session.scalar(select(func.count()).select_from(OutboxEmail)) or 0),
            int(db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


def reply(client: FlaskClient, world: dict[str, Any], question_id: int, words: str) -> Any:
    factories.sign_in(client, world["admin"])
    return client.post(
        f"/manage/riverside/questions/{question_id}", data={"reply": words}, follow_redirects=True
    )


# --- The confirmation email -------------------------------------------------------------------


def test_asking_with_an_address_emails_it_a_single_use_link_and_keeps_only_its_hash(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    response = ask(client, email=ADDRESS)
    assert response.status_code == 302
    [email] = emails(app, "question_confirm")
    assert email.to_address == ADDRESS
    assert email.subject == "Confirm your email address for your question to Riverside Hospital NHS Trust"
    assert "It works once, within 7 days" in email.body
    # The link is a full address (absolute_url: the request's host), to this provider's page.
    match = LINK.search(email.body)
    assert match is not None
    token = match.group(2)
    with app.app_context():
        question = db.session.scalar(select(PatientQuestion))
        assert question.email_token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr([getattr(question, c.key) for c in PatientQuestion.__table__.columns])
        assert timedelta(days=6, hours=23) < question.email_token_expires_at - utcnow() <= timedelta(days=7)


def test_asking_without_an_address_sends_no_email(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    assert ask(client).status_code == 302
    assert emails(app, "question_confirm") == []
    assert counts(app)[0] == 1


def test_sent_page_tells_the_asker_to_use_the_link_to_get_a_reply(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    asked = ask(client, email=ADDRESS)
    page = soup(client.get(asked.headers["Location"]))
    assert "Your question has gone to Riverside Hospital NHS Trust" in text(page.select_one(".nhsuk-panel"))
    assert "Use the link within 7 days to confirm your email address" in text(
        page.select_one("#confirm-instructions")
    )


# --- Replies before and after confirmation ----------------------------------------------------


def test_reply_to_an_unconfirmed_address_is_recorded_not_emailed_and_the_provider_is_told(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    question_id = the_question_id(app)
    factories.sign_in(client, world["admin"])
    listed = soup(client.get("/manage/riverside/questions"))
    assert "Email address not confirmed" in text(listed.select_one("#questions"))
    form = soup(client.get(f"/manage/riverside/questions/{question_id}"))
    assert "have not confirmed it yet" in text(form.select_one("#email-status"))
    assert "email it to them only if they confirm their address" in text(form.select_one("main form"))
    assert ADDRESS not in str(form)

    done = reply(client, world, question_id, "It is NHS funded.")
    assert "We will email it when the patient confirms their email address" in done.get_data(as_text=True)
    assert emails(app, "question_reply") == []
    shown = soup(client.get(f"/manage/riverside/questions/{question_id}"))
    assert "Not emailed yet: the patient has not confirmed their email address" in text(
        shown.select_one("#reply-status")
    )


def test_confirming_after_the_reply_emails_the_recorded_reply(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    link = confirmation_link(app)
    question_id = the_question_id(app)
    reply(client, world, question_id, "It is NHS funded.")
    client.post("/sign-out")

    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert text(soup(page).select_one("h1")).endswith("Confirm your email address")
    assert emails(app, "question_reply") == []  # opening the link (as a mail scanner does) confirms nothing

    confirmed = client.post(link)
    assert confirmed.status_code == 200
    assert confirmed.headers["Cache-Control"] == "no-store"
    assert "Email address confirmed" in text(soup(confirmed).select_one(".nhsuk-panel"))
    assert "has already replied to your question. We have emailed their reply to you." in text(
        soup(confirmed).select_one("#what-happens")
    )
    [sent] = emails(app, "question_reply")
    assert sent.to_address == ADDRESS and "It is NHS funded." in sent.body

    factories.sign_in(client, world["admin"])
    shown = soup(client.get(f"/manage/riverside/questions/{question_id}"))
    assert "and emailed to the patient" in text(shown.select_one("#reply-status"))
    assert "confirmed it" in text(shown.select_one("#email-status"))


def test_confirming_before_the_reply_means_the_reply_is_emailed(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    confirmed = client.post(confirmation_link(app))
    assert "has not replied yet. When they do, we will email their reply to you." in text(
        soup(confirmed).select_one("#what-happens")
    )
    assert emails(app, "question_reply") == []
    done = reply(client, world, the_question_id(app), "It is NHS funded.")
    assert "Reply recorded and emailed to the patient" in done.get_data(as_text=True)
    [sent] = emails(app, "question_reply")
    assert sent.to_address == ADDRESS


def test_reply_is_not_emailed_when_the_link_expired_unused(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    link = confirmation_link(app)
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        assert client.post(link).status_code == 404
        reply(client, world, the_question_id(app), "It is NHS funded.")
        shown = soup(client.get(f"/manage/riverside/questions/{the_question_id(app)}"))
        assert "Not emailed: the patient did not confirm their email address" in text(
            shown.select_one("#reply-status")
        )
    assert emails(app, "question_reply") == []


# --- Links that do not work -------------------------------------------------------------------


def assert_link_does_not_work(response: Any) -> None:
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    page = soup(response)
    assert text(page.select_one("h1")) == "This link does not work"
    assert "links work for 7 days" in text(page.select_one("main"))


def test_a_used_link_is_a_clear_404_page(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    ask(client, email=ADDRESS)
    link = confirmation_link(app)
    assert client.post(link).status_code == 200
    assert_link_does_not_work(client.get(link))
    assert_link_does_not_work(client.post(link))


def test_an_expired_link_is_a_clear_404_page_and_confirms_nothing(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    link = confirmation_link(app)
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        assert_link_does_not_work(client.get(link))
        assert_link_does_not_work(client.post(link))
    with app.app_context():
        assert db.session.scalar(select(PatientQuestion.email_confirmed_at)) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda link: link[:-4] + "AAAA",  # a forged token
        lambda link: link.replace("/riverside/", "/elsewhere/"),  # another provider's address
        lambda link: link.replace("/riverside/", "/no-such-provider/"),
        lambda link: link + "x" * 300,  # absurdly long
    ],
    ids=["forged-token", "other-provider", "unknown-provider", "too-long"],
)
def test_a_forged_or_altered_link_is_a_clear_404_page(
    app: Flask, client: FlaskClient, world: dict[str, Any], change: Any
) -> None:
    ask(client, email=ADDRESS)
    link = change(confirmation_link(app))
    assert_link_does_not_work(client.get(link))
    assert_link_does_not_work(client.post(link))
    with app.app_context():
        assert db.session.scalar(select(PatientQuestion.email_confirmed_at)) is None


# --- The daily limits -------------------------------------------------------------------------


def test_an_address_can_ask_three_questions_a_day_across_providers_then_nothing_is_saved(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    # From three different clients, so only the address's limit applies; capitals make no difference.
    assert ask(client, "riverside", "192.0.2.1", email=ADDRESS).status_code == 302
    assert ask(client, "elsewhere", "192.0.2.2", email=ADDRESS.upper()).status_code == 302
    assert ask(client, "riverside", "192.0.2.3", email=ADDRESS).status_code == 302
    before = counts(app)
    refused = ask(client, "riverside", "192.0.2.4", email=ADDRESS)
    assert refused.status_code == 200
    assert error_summary(refused) == [
        "You have asked 3 questions today. You can ask more tomorrow, or contact "
        "Riverside Hospital NHS Trust directly: coi@riverside.example"
    ]
    assert text(soup(refused).select_one("title")).startswith("Error:")
    assert "Who funds the urology team?" in text(soup(refused).select_one("textarea"))  # nothing to retype
    assert counts(app) == before  # no question, no email, no audit event
    assert ask(client, "riverside", "192.0.2.4", email="someone.else@example.org").status_code == 302


def test_a_client_can_ask_five_questions_a_day_then_nothing_is_saved(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    for n in range(5):
        assert ask(client, ("riverside", "elsewhere")[n % 2], "198.51.100.7").status_code == 302
    before = counts(app)
    refused = ask(client, "riverside", "198.51.100.7", email="new@example.org")
    assert error_summary(refused) == [
        "You have asked 5 questions today. You can ask more tomorrow, or contact "
        "Riverside Hospital NHS Trust directly: coi@riverside.example"
    ]
    assert counts(app) == before
    assert ask(client, "riverside", "198.51.100.8").status_code == 302  # another client is not limited


def test_the_limit_message_without_a_providers_contact_details_says_to_ask_tomorrow(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    for _ in range(5):
        ask(client, "quiet", "198.51.100.9")
    assert error_summary(ask(client, "quiet", "198.51.100.9")) == [
        "You have asked 5 questions today. You can ask more tomorrow"
    ]


def test_the_limit_lifts_a_day_later(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    for _ in range(5):
        ask(client, ip="198.51.100.10")
    assert ask(client, ip="198.51.100.10").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=24, minutes=1)):
        assert ask(client, ip="198.51.100.10").status_code == 302
    assert counts(app)[0] == 6


def test_the_client_is_counted_by_a_keyed_hash_never_its_ip_address(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, ip="203.0.113.9")
    with app.app_context():
        key = db.session.scalar(select(PatientQuestion.client_key))
    assert key is not None and len(key) == 64
    assert "203.0.113.9" not in key
    assert key != hashlib.sha256(b"203.0.113.9").hexdigest()  # keyed: cannot be found by trying every IP


# --- The address is never public ---------------------------------------------------------------


def test_the_address_is_never_on_a_public_page(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    ask(client, email=ADDRESS)
    link = confirmation_link(app)
    pages = [
        (client.get("/providers/riverside"), 200),
        (client.get("/providers/riverside/ask"), 200),
        (client.get("/providers/riverside/ask/sent"), 200),
        (client.get(link), 200),
        (client.post(link), 200),
        (client.get(link), 404),  # used
        (client.get("/providers"), 200),
        (client.get("/api/v1/providers/riverside/register"), 200),
    ]
    for response, status in pages:
        assert response.status_code == status, response.request.path
        body = response.get_data(as_text=True).lower()
        assert "sam.patient" not in body, response.request.path
