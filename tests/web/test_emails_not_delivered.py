"""Emails not delivered: a provider's admin sees their provider's emails the mail server refused,
in production as in development, and asks for one failed for good to be tried again - never an
email's body (one-time links), never an address the provider did not give us, never another
provider's email or the service's own (sign-in links). A system admin sees them all.

The emails fail for real: queued, then refused by a local SMTP server at each of the 5 attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import AuditEvent, OutboxEmail, SecurityEvent
from interests.services import outbox
from interests.services.undelivered import why_not_sent
from tests import factories
from tests.mail_server import deliver_until_failed_for_good
from tests.pages import banners, soup, text

pytestmark = pytest.mark.alldb  # the page's query (correlated, case-folded addresses) on both databases

QUEUED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATH = "/manage/northgate/emails-not-delivered"
SECRET_LINK = "http://localhost/invitations/secret-one-time-token"
REFUSED = ("sam.work@northgate.example", "sam@home.example", "patient@example.net", "jo@elsewhere.example")


@pytest.fixture
def world(app: Flask, unreliable_smtp: Any) -> dict[str, Any]:
    """Northgate's emails: one to the address it recorded for Sam, one to Sam's own account
    address (queued with no provider, as reminders are), one a hostile change could have queued
    for Northgate to an address it never recorded, a reply to a patient; a sign-in link (no
    provider); Elsewhere's email; one still being tried; one sent."""
    with app.app_context():
        northgate = factories.make_provider(slug="northgate", name="Northgate NHS Trust")
        elsewhere = factories.make_provider(slug="elsewhere", name="Elsewhere Hospital")
        factories.make_account("provider_admin", email="lead@northgate.example", providers=[northgate])
        factories.make_account("provider_admin", email="lead@elsewhere.example", providers=[elsewhere])
        factories.make_account("system_admin", email="root@service.example")
        sam = factories.make_account("professional", email="sam@home.example").professional
        sam.given_name, sam.family_name = "Sam", "Okoro"
        engagement = factories.make_engagement(sam, northgate, email="sam.work@northgate.example")
        jo = factories.make_professional(given_name="Jo", family_name="Stranger")
        factories.make_engagement(jo, elsewhere, email="jo@elsewhere.example")
        with time_machine.travel(QUEUED_AT, tick=False):
            queued = {
                "invitation": outbox.send_email(
                    kind="invitation",
                    to="sam.work@northgate.example",
                    subject="Declare your interests to Northgate NHS Trust",
                    body=f"Use this link once: {SECRET_LINK}",
                    provider_id=northgate.id,
                    professional_id=sam.id,
                ),
                "own_address": outbox.send_email(
                    kind="reminder",
                    to="sam@home.example",
                    subject="Declare your interests to Northgate NHS Trust (own address)",
                    body="A reminder",
                    provider_id=None,
                    professional_id=sam.id,
                ),
                "not_recorded": outbox.send_email(
                    kind="withholding_decision",
                    to="sam@home.example",
                    subject="Northgate NHS Trust has decided your request",
                    body="Decided",
                    provider_id=northgate.id,
                    professional_id=sam.id,
                ),
                "patient": outbox.send_email(
                    kind="question_reply",
                    to="patient@example.net",
                    subject="Your question about Northgate NHS Trust's register of interests",
                    body="You asked",
                    provider_id=northgate.id,
                ),
                "sign_in": outbox.send_email(
                    kind="password_reset",
                    to="sam@home.example",
                    subject="Choose a new password",
                    body=f"Use this link once: {SECRET_LINK}",
                ),
                "elsewhere": outbox.send_email(
                    kind="invitation",
                    to="jo@elsewhere.example",
                    subject="Declare your interests to Elsewhere Hospital",
                    body=f"Use this link once: {SECRET_LINK}",
                    provider_id=elsewhere.id,
                    professional_id=jo.id,
                ),
            }
            db.session.commit()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(unreliable_smtp.server_address[1]))
        unreliable_smtp.refused.update(REFUSED)
        deliver_until_failed_for_good(QUEUED_AT)
        # Queued later: one refused once so far (tried again later), one delivered.
        later = QUEUED_AT + timedelta(hours=5)
        with time_machine.travel(later, tick=False):
            queued["retrying"] = outbox.send_email(
                kind="reminder",
                to="sam.work@northgate.example",
                subject="A second reminder",
                body="Please declare",
                provider_id=northgate.id,
                professional_id=sam.id,
            )
            queued["sent"] = outbox.send_email(
                kind="reminder",
                to="fine@northgate.example",
                subject="Delivered fine",
                body="Please declare",
                provider_id=northgate.id,
            )
            db.session.commit()
            outbox.deliver_pending()
        ids = {name: email.id for name, email in queued.items()}
        assert db.session.get(OutboxEmail, ids["sent"]).sent_at is not None
        assert db.session.get(OutboxEmail, ids["invitation"]).attempts == outbox.MAX_ATTEMPTS
        engagement_id = engagement.id
    # Outside the app context: each request then has its own (and its own signed-in account).
    return {**ids, "engagement": engagement_id, "smtp": unreliable_smtp}


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert factories.sign_in(client, email).status_code == 302
    return client


def _cards(page: Any) -> dict[int, str]:
    """Each email's card, its words as read (no space before a comma or full stop after a link)."""
    return {
        int(card["id"].removeprefix("email-")): text(card).replace(" ,", ",").replace(" .", ".")
        for card in page.select("div[id^=email-]")
    }


def _email(app: Flask, email_id: int) -> OutboxEmail:
    with app.app_context():
        email = db.session.get(OutboxEmail, email_id)
        assert email is not None
        db.session.expunge(email)
        return email


# --- What a provider's admin sees ------------------------------------------------------------


def test_a_provider_admin_sees_their_emails_not_delivered_with_why_and_what_to_do(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "lead@northgate.example")
    response = client.get(PATH)
    assert response.status_code == 200
    page = soup(response)
    assert text(page.select_one("#emails-count")) == "4 emails could not be sent."
    cards = _cards(page)
    assert set(cards) == {world["invitation"], world["not_recorded"], world["patient"], world["retrying"]}

    invitation = cards[world["invitation"]]
    assert "Invitation to confirm they work here" in invitation
    assert "To Sam Okoro, sam.work@northgate.example" in invitation
    assert "Queued 2 March 2026 at 9:00am" in invitation
    assert (
        "Not sent after 5 attempts: the recipient's mail server refused the address. "
        "We will not try again unless you ask." in invitation
    )
    assert "The mail server's reply 550 no such mailbox" in invitation
    assert "Check the email address on their staff record, then try again." in invitation
    card = page.select_one(f"#email-{world['invitation']}")
    record = f"a[href$='/manage/northgate/engagements/{world['engagement']}']"
    assert card.select_one(record) is not None
    assert text(card.select_one("form button")) == "Try again"

    retrying = cards[world["retrying"]]
    assert "Tried 1 time: the recipient's mail server refused the address." in retrying
    assert "We will try again from" in retrying
    assert "Nothing yet: we try again by ourselves." in retrying
    assert page.select_one(f"#email-{world['retrying']} form") is None  # no "Try again" while it is tried

    patient = cards[world["patient"]]
    assert "Your reply to a patient's question" in patient
    assert "The patient who asked the question (we do not show their address)" in patient


def test_the_page_never_shows_a_body_a_link_or_an_address_the_provider_did_not_give_us(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "lead@northgate.example")
    html = client.get(PATH).get_data(as_text=True)
    for secret in ("secret-one-time-token", "/invitations/", "Use this link once", "You asked", "Decided"):
        assert secret not in html
    # Sam's own account address (the reminder to it has no provider; the decision that went to it
    # under Northgate is listed without it) and the patient's address never show.
    assert "sam@home.example" not in html
    assert "patient@example.net" not in html
    assert "(own address)" not in html  # the email to the account's own address is not listed
    page = soup(client.get(PATH))
    not_recorded = _cards(page)[world["not_recorded"]]
    assert "To Sam Okoro at an address you did not give us, which we do not show" in not_recorded
    assert "550 no such mailbox" in not_recorded


def test_the_services_own_emails_and_another_providers_are_shown_to_no_provider_admin(
    app: Flask, world: dict[str, Any]
) -> None:
    mine = _signed_in(app, "lead@northgate.example").get(PATH).get_data(as_text=True)
    assert "Choose a new password" not in mine and "Elsewhere Hospital" not in mine
    theirs_client = _signed_in(app, "lead@elsewhere.example")
    theirs = theirs_client.get("/manage/elsewhere/emails-not-delivered").get_data(as_text=True)
    assert "Choose a new password" not in theirs and "Northgate" not in theirs
    assert set(_cards(soup(theirs_client.get("/manage/elsewhere/emails-not-delivered")))) == {
        world["elsewhere"]
    }
    # In production, with a mail server (where the development outbox is hidden), the same page.
    client = _signed_in(app, "lead@northgate.example")
    app.config.update(INTERESTS_ENV="production", MFA_REQUIRED_ROLES=())  # (a second factor aside)
    try:
        assert client.get("/manage/outbox").status_code == 404
        assert set(_cards(soup(client.get(PATH)))) == {
            world["invitation"],
            world["not_recorded"],
            world["patient"],
            world["retrying"],
        }
        assert "emails could not be sent" in text(soup(client.get("/manage")))
    finally:
        app.config.update(INTERESTS_ENV="development")


def test_home_overview_and_staff_record_say_how_many_emails_could_not_be_sent(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "lead@northgate.example")
    home = soup(client.get("/manage"))
    link = home.select_one("#providers a.app-emails-not-delivered")
    assert text(link) == "4 emails could not be sent" and link["href"].endswith(PATH)
    overview = soup(client.get("/manage/northgate"))
    assert text(overview.select_one("#emails-not-delivered")) == "4 emails could not be sent"
    record = soup(client.get(f"/manage/northgate/engagements/{world['engagement']}"))
    callout = text(record.select_one("#emails-not-delivered"))
    assert "3 emails to them could not be sent" in callout
    # Elsewhere's admin has one; a provider with none shows no count on the home page.
    other = soup(_signed_in(app, "lead@elsewhere.example").get("/manage"))
    assert text(other.select_one("a.app-emails-not-delivered")) == "1 email could not be sent"


# --- Try again ------------------------------------------------------------------------------


def test_try_again_lets_the_worker_send_it_once_more_and_is_audited(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "lead@northgate.example")
    response = client.post(f"{PATH}/{world['invitation']}/try-again")
    assert response.status_code == 302 and response.headers["Location"].endswith(PATH)
    page = client.get(PATH)
    assert banners(page) == [
        "We will try to send \u201cDeclare your interests to Northgate NHS Trust\u201d again within a minute"
    ]
    assert world["invitation"] not in _cards(soup(page))
    # A second click (a double submit) changes nothing more.
    client.post(f"{PATH}/{world['invitation']}/try-again")
    assert banners(client.get(PATH)) == ["This email is still being tried: there is no need to ask again yet"]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email.retried")).one()
        assert event.entity_id == world["invitation"] and event.provider_id is not None
        assert event.account_id is not None and event.data["server_said"] == "550 no such mailbox"
        # The address was wrong and is now fixed at the recipient's end: the worker's next run sends it.
        world["smtp"].refused.discard("sam.work@northgate.example")
        delivered = outbox.deliver_pending()
    assert delivered.sent >= 1
    received = [m for m in world["smtp"].messages if "Declare your interests to Northgate" in m]
    assert len(received) == 1 and "secret-one-time-token" in received[0]
    assert _email(app, world["invitation"]).sent_at is not None


def test_an_email_still_being_tried_cannot_be_made_due_again(app: Flask, world: dict[str, Any]) -> None:
    before = _email(app, world["retrying"])
    client = _signed_in(app, "lead@northgate.example")
    response = client.post(f"{PATH}/{world['retrying']}/try-again")
    assert response.status_code == 302
    assert banners(client.get(PATH)) == ["This email is still being tried: there is no need to ask again yet"]
    after = _email(app, world["retrying"])
    assert (after.attempts, after.next_attempt_at) == (before.attempts, before.next_attempt_at)


# --- Attacks --------------------------------------------------------------------------------


def _unchanged(app: Flask, email_id: int) -> None:
    email = _email(app, email_id)
    assert email.attempts == outbox.MAX_ATTEMPTS and email.sent_at is None
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email.retried")).all() == []


def test_another_providers_admin_gets_404_for_the_list_and_for_try_again(
    app: Flask, world: dict[str, Any]
) -> None:
    hostile = _signed_in(app, "lead@elsewhere.example")
    assert hostile.get(PATH).status_code == 404
    assert hostile.post(f"{PATH}/{world['invitation']}/try-again").status_code == 404
    # A forged id under their own provider: Northgate's email is not theirs.
    forged = f"/manage/elsewhere/emails-not-delivered/{world['invitation']}/try-again"
    assert hostile.post(forged).status_code == 404
    _unchanged(app, world["invitation"])


def test_the_services_own_email_cannot_be_tried_again_by_a_provider_admin(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "lead@northgate.example")
    for name in ("sign_in", "own_address", "elsewhere"):
        assert client.post(f"{PATH}/{world[name]}/try-again").status_code == 404
        _unchanged(app, world[name])


def test_a_professional_is_refused_and_a_signed_out_visitor_is_sent_to_sign_in(
    app: Flask, world: dict[str, Any]
) -> None:
    professional = _signed_in(app, "sam@home.example")
    assert professional.get(PATH).status_code == 403
    assert professional.post(f"{PATH}/{world['invitation']}/try-again").status_code == 403
    assert professional.get("/admin/emails-not-delivered").status_code == 403
    anonymous = app.test_client()
    for response in (
        anonymous.get(PATH),
        anonymous.post(f"{PATH}/{world['invitation']}/try-again"),
        anonymous.get("/admin/emails-not-delivered"),
    ):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], (
            response.request.path
        )
    provider_admin = _signed_in(app, "lead@northgate.example")
    assert provider_admin.get("/admin/emails-not-delivered").status_code == 403
    assert (
        provider_admin.post(f"/admin/emails-not-delivered/{world['invitation']}/try-again").status_code == 403
    )
    _unchanged(app, world["invitation"])


def test_try_again_without_the_csrf_token_is_refused(app: Flask, world: dict[str, Any]) -> None:
    client = _signed_in(app, "lead@northgate.example")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{PATH}/{world['invitation']}/try-again").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    _unchanged(app, world["invitation"])


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_try_again_is_limited_for_each_account(app: Flask, world: dict[str, Any]) -> None:
    client = _signed_in(app, "lead@northgate.example")
    statuses = [client.post(f"{PATH}/{world['retrying']}/try-again").status_code for _ in range(31)]
    assert statuses == [302] * 30 + [429]
    # Another admin is not held back by it.
    other = _signed_in(app, "lead@elsewhere.example")
    assert (
        other.post(f"/manage/elsewhere/emails-not-delivered/{world['elsewhere']}/try-again").status_code
        == 302
    )


# --- The system admin ------------------------------------------------------------------------


def test_the_system_admin_sees_every_email_not_delivered_and_may_try_one_again(
    app: Flask, world: dict[str, Any]
) -> None:
    client = _signed_in(app, "root@service.example")
    home = soup(client.get("/admin"))
    assert text(home.select_one("#emails-not-delivered")).startswith("Emails not delivered : 7 emails")
    page = soup(client.get("/admin/emails-not-delivered"))
    cards = _cards(page)
    assert set(cards) == {
        world[name]
        for name in (
            "invitation",
            "own_address",
            "not_recorded",
            "patient",
            "sign_in",
            "elsewhere",
            "retrying",
        )
    }
    assert "Provider None: a message from the service itself" in cards[world["sign_in"]]
    assert "sam@home.example" in cards[world["sign_in"]]
    assert "Provider Elsewhere Hospital" in cards[world["elsewhere"]]
    assert "secret-one-time-token" not in str(page)
    response = client.post(f"/admin/emails-not-delivered/{world['sign_in']}/try-again")
    assert response.status_code == 302
    assert _email(app, world["sign_in"]).attempts == 0
    with app.app_context():
        logged = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "admin_action")).all()
        assert [event.detail for event in logged] == [
            f"Email {world['sign_in']}: asked to try sending it again"
        ]
    assert client.post("/admin/emails-not-delivered/999999/try-again").status_code == 404


# --- The mail server's reply, as a person reads it -------------------------------------------


@pytest.mark.parametrize(
    ("stored", "reason", "shown"),
    [
        (
            "{'gone@example.org': (550, b'5.1.1 <gone@example.org>: no such mailbox')}",
            "the recipient's mail server refused the address",
            "550 5.1.1 <gone@example.org>: no such mailbox",
        ),
        ("(552, b'5.2.2 mailbox full')", "the recipient's mailbox is full, or the email was too big", None),
        ("(554, b'5.7.1 message rejected as spam')", "the recipient's mail server refused it", None),
        (
            "(451, b'4.7.1 greylisted, try again later')",
            "the mail server was busy and asked us to try later",
            None,
        ),
        ("Connection unexpectedly closed", "the mail server hung up", None),
        ("timed out", "we could not reach the mail server", "timed out"),
        ("[Errno 111] Connection refused", "we could not reach the mail server", None),
        (None, "the mail server did not say why", ""),
    ],
)
def test_the_mail_servers_reply_is_told_in_plain_english(
    stored: str | None, reason: str, shown: str | None
) -> None:
    assert why_not_sent(stored)[0] == reason
    if shown is not None:
        assert why_not_sent(stored)[1] == shown


def test_a_long_reply_is_shortened_to_one_line() -> None:
    reason, shown = why_not_sent(
        "(550, b'" + "very long reason\\r\\n" * 100 + "')\nTraceback (most recent call last):"
    )
    assert "\n" not in shown and len(shown) <= 200 and shown.endswith("…")
    assert "Traceback" not in shown
