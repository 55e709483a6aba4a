"""The security log: sign-ins, refusals, inspectors' reads and admins' decisions are recorded (with
the account, the client's address and browser, never a password), the system admins' page filters
and exports them, and old events are pruned."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from interests.extensions import db
from interests.models import IdentityClaim, InvalidRecord, Invitation, SecurityEvent
from interests.services import security_log
from tests import factories
from tests.conftest import make_app
from tests.pages import error_summary, soup, text

MARKER_PASSWORD = "marker-Pa55word-never-logged-7f3a"  # noqa: S105 - the value no column may hold
BROWSER = "Mozilla/5.0 (SecurityLogTest) " + "x" * 400
ADDRESS = "192.0.2.44"


def request_from(client: FlaskClient) -> FlaskClient:
    """Every request from this client comes from ADDRESS with BROWSER."""
    client.environ_base.update({"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER})
    return client


def events(app: Flask, kind: str | None = None) -> list[SecurityEvent]:
    with app.app_context():
        statement = select(SecurityEvent).order_by(SecurityEvent.id)
        if kind:
            statement = statement.where(SecurityEvent.kind == kind)
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


def account(app: Flask, role: str, email: str | None = None, password: str = factories.PASSWORD) -> int:
    with app.app_context():
        made = factories.make_account(role, email=email)
        if password != factories.PASSWORD:
            from interests.services.accounts import set_password

            set_password(made, password)
        db.session.commit()
        return made.id


def signed_in_client(app: Flask, role: str, email: str | None = None) -> tuple[FlaskClient, int]:
    account_id = account(app, role, email)
    client = request_from(app.test_client())
    with app.app_context():
        from interests.models import Account

        address = db.session.get(Account, account_id).email
    assert factories.sign_in(client, address).status_code == 302
    return client, account_id


def assert_no_column_holds(app: Flask, secret: str) -> None:
    with app.app_context():
        for event in db.session.scalars(select(SecurityEvent)):
            for column in SecurityEvent.__table__.columns:
                assert secret not in str(getattr(event, column.key) or ""), column.key


# --- Sign-in and sign-out --------------------------------------------------------------------------


def test_sign_in_records_the_account_address_and_browser_and_never_the_password(app: Flask) -> None:
    account_id = account(app, "inspector", "ines@cqc.example", password=MARKER_PASSWORD)
    client = request_from(app.test_client())
    assert factories.sign_in(client, "ines@cqc.example", MARKER_PASSWORD).status_code == 302
    [event] = events(app, security_log.SIGN_IN)
    assert event.account_id == account_id
    assert event.ip_address == ADDRESS
    assert event.user_agent == BROWSER[:300]
    assert event.occurred_at.tzinfo is not None
    assert_no_column_holds(app, MARKER_PASSWORD)


def test_a_failed_sign_in_records_the_address_typed_and_never_the_password(app: Flask) -> None:
    account(app, "inspector", "ines@cqc.example")
    client = request_from(app.test_client())
    assert factories.sign_in(client, "Ines@CQC.example", MARKER_PASSWORD).status_code == 200
    assert factories.sign_in(client, "nobody@nowhere.example", MARKER_PASSWORD).status_code == 200
    failed = events(app, security_log.SIGN_IN_FAILED)
    assert [e.email for e in failed] == ["Ines@CQC.example", "nobody@nowhere.example"]
    assert all(e.account_id is None and e.ip_address == ADDRESS for e in failed)
    assert_no_column_holds(app, MARKER_PASSWORD)


def test_sign_out_records_who_signed_out(app: Flask) -> None:
    client, account_id = signed_in_client(app, "inspector")
    assert client.post("/sign-out").status_code == 302
    [event] = events(app, security_log.SIGN_OUT)
    assert event.account_id == account_id and event.ip_address == ADDRESS


# --- Refused requests ----------------------------------------------------------------------------


@pytest.mark.alldb
def test_a_forbidden_page_is_recorded_with_the_account_and_path_without_its_query(app: Flask) -> None:
    client, account_id = signed_in_client(app, "professional")
    assert client.get("/inspect?q=secret-search").status_code == 403
    [event] = events(app, security_log.FORBIDDEN)
    assert (event.account_id, event.ip_address, event.detail) == (account_id, ADDRESS, "GET /inspect")


def test_a_forbidden_page_is_still_a_403_when_the_log_cannot_be_written(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = signed_in_client(app, "professional")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    with app.app_context():
        monkeypatch.setattr(type(db.engine), "begin", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/inspect")
    assert response.status_code == 403
    assert text(soup(response).select_one("h1"))
    assert "Could not write a forbidden security event" in caplog.text
    monkeypatch.undo()
    assert events(app, security_log.FORBIDDEN) == []


@pytest.mark.alldb
def test_a_refused_form_is_recorded_even_though_nothing_else_is_saved(
    tmp_path: Path, database_url: str
) -> None:
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    client = request_from(app.test_client())
    assert factories.sign_in(client, "someone@example.org", MARKER_PASSWORD).status_code == 400
    [event] = events(app, security_log.CSRF_REFUSED)
    assert (event.email, event.ip_address, event.detail) == ("someone@example.org", ADDRESS, "POST /sign-in")
    assert events(app, security_log.SIGN_IN_FAILED) == []
    assert_no_column_holds(app, MARKER_PASSWORD)
    with app.app_context():
        db.engine.dispose()


def test_too_many_sign_ins_are_recorded_with_the_address_typed(tmp_path: Path, database_url: str) -> None:
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    client = request_from(app.test_client())
    statuses = [
        factories.sign_in(client, "target@example.org", MARKER_PASSWORD).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    [event] = events(app, security_log.RATE_LIMITED)
    assert (event.email, event.ip_address, event.detail) == ("target@example.org", ADDRESS, "POST /sign-in")
    assert_no_column_holds(app, MARKER_PASSWORD)
    with app.app_context():
        db.engine.dispose()


# --- Inspectors and system admins ----------------------------------------------------------------


def test_an_inspectors_export_and_provider_page_are_recorded(app: Flask) -> None:
    with app.app_context():
        provider = factories.make_provider(name="Alder Hospital")
        db.session.commit()
        slug = provider.slug
    client, account_id = signed_in_client(app, "inspector")
    assert client.get("/inspect/export.csv?region=london").status_code == 200
    assert client.get(f"/inspect/providers/{slug}").status_code == 200
    [export] = events(app, security_log.INSPECTOR_EXPORT)
    assert export.account_id == account_id and "region=london" in export.detail
    [read] = events(app, security_log.INSPECTOR_PROVIDER_READ)
    assert (read.account_id, read.ip_address) == (account_id, ADDRESS) and slug in read.detail


def test_a_system_admins_claim_decision_is_recorded(app: Flask) -> None:
    with app.app_context():
        professional = factories.make_professional()
        holder = factories.make_account("professional", professional=professional)
        invitation = Invitation(
            professional_id=professional.id,
            email="claimant@example.org",
            token_hash="a" * 64,
            expires_at=datetime.now(UTC) + timedelta(days=7),
        )
        db.session.add(invitation)
        db.session.flush()
        claim = IdentityClaim(
            professional_id=professional.id,
            account_id=holder.id,
            invitation_id=invitation.id,
            email="claimant@example.org",
            account_email=holder.email,
        )
        db.session.add(claim)
        db.session.commit()
        claim_id = claim.id
    admin, admin_id = signed_in_client(app, "system_admin")
    decided = admin.post(f"/admin/claims/{claim_id}", data={"decision": "reject", "reason": "Not them"})
    assert decided.status_code == 302
    [event] = events(app, security_log.ADMIN_ACTION)
    assert event.account_id == admin_id
    assert event.detail == f"Identity claim {claim_id} decided: refused"


# --- The system admins' page ---------------------------------------------------------------------


def add_event(app: Flask, kind: str, when: datetime, **fields: Any) -> None:
    with app.app_context():
        db.session.add(SecurityEvent(kind=kind, occurred_at=when, **fields))
        db.session.commit()


def rows(response: Any) -> list[dict[str, str]]:
    table = soup(response).select_one("table#events")
    if table is None:
        return []
    headings = [text(th) for th in table.select("thead th")]
    return [
        dict(zip(headings, [text(td) for td in tr.select("td")], strict=True))
        for tr in table.select("tbody tr")
    ]


@pytest.fixture
def logged(app: Flask) -> dict[str, Any]:
    """Three events over three days (UK noon), plus the admin's own sign-in."""
    ines = account(app, "inspector", "ines@cqc.example")
    day = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
    add_event(app, "sign_in_failed", day, email='=HYPERLINK("http://evil")', ip_address="198.51.100.7")
    add_event(app, "sign_in", day + timedelta(days=1), account_id=ines, ip_address="203.0.113.9")
    add_event(
        app, "forbidden", day + timedelta(days=2), account_id=ines, ip_address="203.0.113.9", detail="GET /x"
    )
    admin, _ = signed_in_client(app, "system_admin", "sysadmin@register.example")
    return {"admin": admin}


@pytest.mark.alldb
def test_security_log_lists_events_newest_first_and_is_linked_from_admin(logged: dict[str, Any]) -> None:
    admin = logged["admin"]
    home = admin.get("/admin")
    assert soup(home).select_one("a[href='/admin/security-events']")
    response = admin.get("/admin/security-events")
    assert response.status_code == 200
    assert text(soup(response).select_one("h1")) == "Security log"
    listed = rows(response)
    assert [row["What happened"] for row in listed] == [
        "Signed in",
        "Page refused (not allowed)",
        "Signed in",
        "Sign-in failed",
    ]
    assert listed[1]["Account or email typed"] == "ines@cqc.example"
    assert listed[1]["Detail"] == "GET /x"
    assert listed[1]["When"].startswith("12 June 2026")


@pytest.mark.alldb
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=forbidden", ["Page refused (not allowed)"]),
        ("email=INES%40cqc", ["Page refused (not allowed)", "Signed in"]),
        ("email=hyperlink", ["Sign-in failed"]),
        ("address=198.51.", ["Sign-in failed"]),
        ("since=2026-06-11&until=2026-06-11", ["Signed in"]),
        ("kind=sign_in&until=2026-06-30", ["Signed in"]),
    ],
)
def test_security_log_filters_narrow_the_list(
    logged: dict[str, Any], query: str, expected: list[str]
) -> None:
    response = logged["admin"].get(f"/admin/security-events?{query}")
    assert response.status_code == 200 and error_summary(response) == []
    assert [row["What happened"] for row in rows(response)] == expected


@pytest.mark.parametrize(
    ("query", "message", "listed"),
    [
        ("since=2026-13-45", "Enter a real date as year-month-day, for example 2026-04-01", 4),
        ("until=yesterday", "Enter a real date as year-month-day, for example 2026-04-01", 4),
        ("since=1999-12-31", "Enter a real date as year-month-day, for example 2026-04-01", 4),
        ("since=" + "9" * 50, "Enter a real date", 4),
        ("until=9999-12-31", "Enter a real date as year-month-day, for example 2026-04-01", 4),
        # The good 'from' still applies (the 12th and the admin's sign-in today); the bad 'to' is ignored.
        ("since=2026-06-12&until=2026-06-11", "The 'to' date must be on or after the 'from' date", 2),
        ("kind=everything", "Select what happened from the list", 4),
    ],
)
def test_security_log_with_a_bad_filter_says_what_is_wrong_and_ignores_only_that_filter(
    logged: dict[str, Any], query: str, message: str, listed: int
) -> None:
    response = logged["admin"].get(f"/admin/security-events?{query}")
    assert response.status_code == 200
    assert error_summary(response) == [message]
    assert len(rows(response)) == listed
    assert logged["admin"].get(f"/admin/security-events.csv?{query}").status_code == 400


def test_security_log_pages_through_events(app: Flask, logged: dict[str, Any]) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n in range(30):
            db.session.add(SecurityEvent(kind="sign_out", occurred_at=start + timedelta(minutes=n)))
        db.session.commit()
    first = logged["admin"].get("/admin/security-events?kind=sign_out")
    assert len(rows(first)) == 25
    next_link = soup(first).select_one(".nhsuk-pagination__next a, a.nhsuk-pagination__link--next")
    assert next_link is not None and "page=2" in next_link["href"] and "kind=sign_out" in next_link["href"]
    second = logged["admin"].get(next_link["href"])
    assert len(rows(second)) == 5


def test_security_log_export_has_the_filtered_events_safe_for_spreadsheets(
    app: Flask, logged: dict[str, Any]
) -> None:
    response = logged["admin"].get("/admin/security-events.csv?kind=sign_in_failed")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(lines) == 1
    assert lines[0]["Email typed"] == '\'=HYPERLINK("http://evil")'
    assert lines[0]["Code"] == "sign_in_failed" and lines[0]["Address"] == "198.51.100.7"
    # Downloading the log is itself logged.
    [download] = [e for e in events(app, security_log.ADMIN_ACTION) if "Downloaded" in e.detail]
    assert "kind=sign_in_failed" in download.detail


def test_security_log_is_for_system_admins_only(app: Flask) -> None:
    for path in ("/admin/security-events", "/admin/security-events.csv"):
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    for role in ("professional", "provider_admin", "inspector"):
        client, _ = signed_in_client(app, role)
        for path in ("/admin/security-events", "/admin/security-events.csv"):
            assert client.get(path).status_code == 403, (role, path)


def test_user_text_in_the_log_is_escaped(app: Flask) -> None:
    add_event(app, "sign_in_failed", datetime.now(UTC), email="<script>alert(1)</script>@x")
    admin, _ = signed_in_client(app, "system_admin")
    body = admin.get("/admin/security-events").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


# --- Append-only, and retention ------------------------------------------------------------------


def test_security_events_cannot_be_changed_or_deleted_through_the_session(app: Flask) -> None:
    add_event(app, "sign_in", datetime.now(UTC))
    with app.app_context():
        event = db.session.scalar(select(SecurityEvent))
        event.detail = "rewritten"
        with pytest.raises(InvalidRecord, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(SecurityEvent)))
        with pytest.raises(InvalidRecord, match="append-only"):
            db.session.flush()
        db.session.rollback()


@pytest.mark.alldb
def test_prune_deletes_only_events_older_than_the_setting(app: Flask) -> None:
    app.config["SECURITY_LOG_KEEP_DAYS"] = 400
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        now = datetime.now(UTC)
        add_event(app, "sign_in", now - timedelta(days=401), detail="old")
        add_event(app, "sign_in", now - timedelta(days=399), detail="kept")
        add_event(app, "sign_in", now, detail="today")
        result = app.test_cli_runner().invoke(args=["security-events", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 security event older than 400 days" in result.output
    assert [e.detail for e in events(app)] == ["kept", "today"]


def test_keep_days_must_be_a_positive_number(tmp_path: Path, database_url: str) -> None:
    from interests.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="SECURITY_LOG_KEEP_DAYS"):
        make_app(database_url, tmp_path, SECURITY_LOG_KEEP_DAYS="forever")
    assert make_app(database_url, tmp_path).config["SECURITY_LOG_KEEP_DAYS"] == 400


# --- Emails in development -----------------------------------------------------------------------


def test_queued_emails_are_written_to_the_log_in_development_only(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    from interests.services.outbox import send_email

    with app.app_context(), caplog.at_level(logging.INFO, logger="interests.services.outbox"):
        send_email(kind="test", to="dev@example.org", subject="Hello", body="Follow http://localhost/x")
        app.config["MAIL_SERVER"] = "127.0.0.1"  # a staging server sending real email
        send_email(kind="test", to="staging@example.org", subject="Link", body="http://localhost/staging")
        app.config["MAIL_SERVER"] = ""
        app.config["INTERESTS_ENV"] = "production"
        send_email(kind="test", to="prod@example.org", subject="Secret", body="http://localhost/secret")
        db.session.rollback()
    assert "dev@example.org" in caplog.text and "Follow http://localhost/x" in caplog.text
    assert "staging@example.org" not in caplog.text and "staging" not in caplog.text
    assert "prod@example.org" not in caplog.text and "secret" not in caplog.text


def test_invitations_queued_in_bulk_are_logged_with_their_links(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    from interests.services import invitations

    with app.app_context(), caplog.at_level(logging.INFO, logger="interests.services.outbox"):
        provider = factories.make_provider(name="Kestrel NHS Trust")
        person = factories.make_professional()
        engagement = factories.make_engagement(
            person, provider, email="new@kestrel.example", confirmed_at=None
        )
        db.session.flush()
        assert invitations.ask_to_confirm(provider, [engagement.id], actor=None) == 1
        db.session.rollback()
    assert "Email queued to new@kestrel.example" in caplog.text
    assert "http://localhost/invitations/" in caplog.text
