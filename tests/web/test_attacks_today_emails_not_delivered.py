"""Attacks on "Emails not delivered" (/manage/<slug>/emails-not-delivered, "Try again"), as a hostile
provider admin, a former one and an anonymous script would make them. Each test is an attack that
must fail; tests/web/test_emails_not_delivered.py holds the page's ordinary behaviour.

The emails fail for real: a local SMTP server refuses them, with its own words, at each attempt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import Account, AuditEvent, OutboxEmail, Provider
from interests.services import outbox
from tests import factories
from tests.mail_server import deliver_until_failed_for_good
from tests.pages import soup, text

pytestmark = pytest.mark.alldb

QUEUED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATH = "/manage/northgate/emails-not-delivered"
PATIENT = "margaret.featherstonehaugh@patients.example.net"


def _refusal_naming(address: str, at: int) -> bytes:
    """A mail server's refusal that names the address so that, as the page shows the reply
    ("550 " and the server's words), the address starts at character `at` (real servers do name
    the recipient, often after a long explanation)."""
    start = "550 5.1.1 Recipient address rejected: the mailbox you tried to reach does not exist "
    filler = "here, please check the spelling or ask the postmaster of this domain for help with "
    words = start + filler
    while len(words) < at:
        words += "and "
    words = words[: at - 1] + " "
    assert len(words) == at
    return f"{words}{address} is unknown".encode()


@pytest.fixture
def world(app: Flask, unreliable_smtp: Any) -> dict[str, int]:
    """Northgate's admin; a former admin of Northgate (now Elsewhere's only); Jo, on Elsewhere's
    staff at jo@elsewhere.example; two of Northgate's emails failed for good: a reply to a patient
    whose address the server's long refusal names, and one to the address Elsewhere (not Northgate)
    recorded for Jo."""
    with app.app_context():
        northgate = factories.make_provider(slug="northgate", name="Northgate NHS Trust")
        elsewhere = factories.make_provider(slug="elsewhere", name="Elsewhere Hospital")
        factories.make_account("provider_admin", email="lead@northgate.example", providers=[northgate])
        factories.make_account("system_admin", email="root@service.example")
        former = factories.make_account(
            "provider_admin", email="former@northgate.example", providers=[northgate, elsewhere]
        )
        jo = factories.make_professional(given_name="Jo", family_name="Stranger")
        factories.make_engagement(jo, elsewhere, email="jo@elsewhere.example")
        with time_machine.travel(QUEUED_AT, tick=False):
            patient = outbox.send_email(
                kind="question_reply",
                to=PATIENT,
                subject="Your question about Northgate NHS Trust's register of interests",
                body="You asked",
                provider_id=northgate.id,
            )
            elsewheres_address = outbox.send_email(
                kind="withholding_decision",
                to="jo@elsewhere.example",
                subject="Northgate NHS Trust has decided your request",
                body="Decided",
                provider_id=northgate.id,
                professional_id=jo.id,
            )
            db.session.commit()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(unreliable_smtp.server_address[1]))
        unreliable_smtp.refused.update({PATIENT, "jo@elsewhere.example"})
        unreliable_smtp.refusal = _refusal_naming(PATIENT, at=186)
        deliver_until_failed_for_good(QUEUED_AT)
        assert db.session.get(OutboxEmail, patient.id).attempts == outbox.MAX_ATTEMPTS
        # The former admin stops managing Northgate.
        former = db.session.get(Account, former.id)
        former.providers = [db.session.get(Provider, elsewhere.id)]
        db.session.commit()
        return {"patient": patient.id, "elsewheres_address": elsewheres_address.id}


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert factories.sign_in(client, email).status_code == 302
    return client


def test_a_long_refusal_cut_short_shows_no_part_of_the_patients_address(
    app: Flask, world: dict[str, int]
) -> None:
    """The page shortens the server's words to 200 characters: cut in the middle of an address,
    the start of the patient's address must not be left on the page (nor in the audit record of
    "Try again", which the provider's admins may read)."""
    client = _signed_in(app, "lead@northgate.example")
    response = client.get(PATH)
    assert response.status_code == 200
    card = text(soup(response).select_one(f"#email-{world['patient']}"))
    assert "550 5.1.1 Recipient address rejected" in card  # the reply is shown...
    html = response.get_data(as_text=True)
    for part in ("margaret", "featherstonehaugh", "patients.example"):  # ...never the address
        assert part not in html
    assert client.post(f"{PATH}/{world['patient']}/try-again").status_code == 302
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "email.retried"))
        assert "margaret" not in str(event.data) and "margaret" not in event.summary


def test_an_address_another_provider_recorded_is_not_shown_to_this_provider(
    app: Flask, world: dict[str, int]
) -> None:
    page = soup(_signed_in(app, "lead@northgate.example").get(PATH))
    card = text(page.select_one(f"#email-{world['elsewheres_address']}"))
    assert "Decision on a request to withhold an entry" in card
    assert "jo@elsewhere.example" not in card
    assert "Jo Stranger" not in card  # Northgate has no staff record of Jo


def test_a_provider_admin_who_no_longer_manages_the_provider_sees_and_retries_nothing(
    app: Flask, world: dict[str, int]
) -> None:
    client = _signed_in(app, "former@northgate.example")
    assert client.get(PATH).status_code == 404
    assert client.post(f"{PATH}/{world['patient']}/try-again").status_code == 404
    # Nor through the provider they still manage.
    elsewhere = "/manage/elsewhere/emails-not-delivered"
    assert client.post(f"{elsewhere}/{world['patient']}/try-again").status_code == 404
    assert not soup(client.get(elsewhere)).select(f"#email-{world['patient']}")
    assert "could not be sent" not in text(soup(client.get("/manage")))
    with app.app_context():
        assert db.session.get(OutboxEmail, world["patient"]).attempts == outbox.MAX_ATTEMPTS


@pytest.mark.parametrize(
    "email_id",
    ["0", "-1", "2147483648", "9" * 40, "1e3", "0x10", "%00", "1%00", " 1"],
)
def test_a_forged_email_id_is_a_404_never_an_error(app: Flask, world: dict[str, int], email_id: str) -> None:
    client = _signed_in(app, "lead@northgate.example")
    assert client.post(f"{PATH}/{email_id}/try-again").status_code == 404
    assert (
        client.post(f"/manage/north%00gate/emails-not-delivered/{world['patient']}/try-again").status_code
        == 404
    )
    assert client.get("/manage/north%00gate/emails-not-delivered").status_code == 404


def test_other_methods_on_try_again_change_nothing(app: Flask, world: dict[str, int]) -> None:
    client = _signed_in(app, "lead@northgate.example")
    url = f"{PATH}/{world['patient']}/try-again"
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert client.open(url, method=method).status_code == 405, method
    assert client.head(url).status_code == 405
    head = client.head(PATH)
    assert head.status_code == 200 and head.get_data() == b""
    with app.app_context():
        assert db.session.get(OutboxEmail, world["patient"]).attempts == outbox.MAX_ATTEMPTS


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=" + "9" * 40,
        "page=%00",
        "page=abc",
        "page=1&page=2",
        "page=" + "1" * 1_000_000,
    ],
)
def test_odd_page_numbers_never_give_an_error(app: Flask, world: dict[str, int], query: str) -> None:
    for path in (PATH, "/admin/emails-not-delivered"):
        client = _signed_in(app, "lead@northgate.example" if path == PATH else "root@service.example")
        assert client.get(f"{path}?{query}").status_code in (200, 404, 414), path


def test_an_anonymous_script_with_a_megabyte_of_form_data_changes_nothing(
    app: Flask, world: dict[str, int]
) -> None:
    signed_in = _signed_in(app, "lead@northgate.example")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        anonymous = app.test_client()
        response = anonymous.post(
            f"{PATH}/{world['patient']}/try-again", data={"csrf_token": "x" * 1_000_000}
        )
        assert response.status_code in (302, 400, 413)
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]
        response = signed_in.post(
            f"{PATH}/{world['patient']}/try-again", data={"csrf_token": "x" * 1_000_000}
        )
        assert response.status_code in (400, 413)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert db.session.get(OutboxEmail, world["patient"]).attempts == outbox.MAX_ATTEMPTS


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_a_system_admins_try_again_is_limited_as_a_provider_admins_is(
    app: Flask, world: dict[str, int]
) -> None:
    """A system admin's session in a script's hands: "Try again" is a person clicking, not a loop
    over every email the service ever failed to send."""
    client = _signed_in(app, "root@service.example")
    url = f"/admin/emails-not-delivered/{world['patient']}/try-again"
    statuses = [client.post(url).status_code for _ in range(31)]
    assert statuses == [302] * 30 + [429]


def test_another_providers_email_and_no_email_at_all_get_the_same_answer(
    app: Flask, world: dict[str, int]
) -> None:
    """Elsewhere's admin probing Northgate's email ids: an id that exists (at Northgate) and one that
    exists nowhere answer alike, so the answer says nothing about other providers' emails; the same
    for another provider's page and a provider that does not exist."""
    with app.app_context():
        elsewhere = db.session.scalar(select(Provider).where(Provider.slug == "elsewhere"))
        factories.make_account("provider_admin", email="lead@elsewhere.example", providers=[elsewhere])
        db.session.commit()
    hostile = _signed_in(app, "lead@elsewhere.example")
    base = "/manage/elsewhere/emails-not-delivered"
    exists = hostile.post(f"{base}/{world['patient']}/try-again")
    nowhere = hostile.post(f"{base}/2147483647/try-again")
    assert (exists.status_code, text(soup(exists))) == (nowhere.status_code, text(soup(nowhere)))
    assert exists.status_code == 404
    theirs = hostile.get(PATH)
    missing = hostile.get("/manage/no-such-provider/emails-not-delivered")
    assert (theirs.status_code, text(soup(theirs))) == (missing.status_code, text(soup(missing)))
