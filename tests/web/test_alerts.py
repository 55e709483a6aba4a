"""Email alerts at /alerts: double opt-in by a signed, expiring link; a daily digest of what changed,
as published, through the outbox; one-click unsubscribe (RFC 8058); limits that keep the form from
being used against someone's inbox, and that never tell whether an address is subscribed."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AlertSubscription, OutboxEmail, Professional, Provider
from interests.services import alerts, outbox, search_index
from tests.conftest import make_app
from tests.factories import make_declaration, make_engagement, make_interest, make_professional, make_provider
from tests.pages import soup, text
from tests.public_data import Register, build_and_index

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESS = "follower@example.org"


@pytest.fixture
def data(app: Flask) -> Register:
    with app.app_context():
        return build_and_index()


def emails(app: Flask, kind: str) -> list[OutboxEmail]:
    with app.app_context():
        found = list(
            db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id))
        )
        db.session.expunge_all()
        return found


def link_in(email: OutboxEmail, path: str) -> str:
    match = re.search(r"http://localhost(" + re.escape(path) + r"[^\s]+)", email.body)
    assert match, email.body
    return match.group(1)


def subscribe(client: FlaskClient, args: str, address: str = ADDRESS) -> Any:
    response = client.post(f"/alerts?{args}", data={"email": address})
    assert response.status_code == 302 and response.headers["Location"] == "/alerts/check-your-email"
    return response


def subscriptions(app: Flask) -> list[tuple[str, str, str, bool]]:
    with app.app_context():
        return [
            (s.email, s.kind, s.target, s.confirmed_at is not None)
            for s in db.session.scalars(select(AlertSubscription).order_by(AlertSubscription.id))
        ]


def confirm(client: FlaskClient, app: Flask) -> None:
    link = link_in(emails(app, "alert_confirm")[-1], "/alerts/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "Start my email alerts" in text(soup(page))
    assert client.post(link).status_code == 200


def test_the_alerts_page_explains_and_says_how_the_address_is_kept(
    client: FlaskClient, data: Register
) -> None:
    page = soup(client.get("/alerts"))
    assert "We use your email address only to send these alerts" in text(page.select_one("#alerts-privacy"))
    form = soup(client.get(f"/alerts?provider={data.provider_slug}"))
    assert "St Elsewhere Hospital NHS Trust" in text(form.select_one("h1"))
    assert form.select_one("input[type=email][name=email]") is not None
    for bad in (
        "provider=nowhere",
        "professional=abc",
        f"professional={data.graham}",
        "professional=99999999999",
        "q=",
        "q=" + "x" * 201,
    ):
        response = client.get(f"/alerts?{bad}")
        assert response.status_code == 404, bad
        assert "There is nothing to follow here" in text(soup(response))
    # Linked from the pages it follows.
    assert soup(client.get(f"/providers/{data.provider_slug}")).select_one(
        f'a[href="/alerts?provider={data.provider_slug}"]'
    )
    assert soup(client.get(f"/professionals/{data.william}")).select_one(
        f'a[href="/alerts?professional={data.william}"]'
    )
    assert soup(client.get("/search?q=Medivance")).select_one('a[href="/alerts?q=Medivance"]')


def test_a_bad_email_address_is_asked_for_again(client: FlaskClient, data: Register) -> None:
    for value, message in (("", "Enter your email address"), ("not an address", "in the correct format")):
        response = client.post(f"/alerts?provider={data.provider_slug}", data={"email": value})
        assert response.status_code == 200 and message in text(soup(response))


def test_opt_in_needs_a_button_press_and_the_link_expires(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        subscribe(client, f"provider={data.provider_slug}", "Follower@Example.org ")
    [email] = emails(app, "alert_confirm")
    assert email.to_address == ADDRESS and "St Elsewhere Hospital NHS Trust" in email.subject
    link = link_in(email, "/alerts/confirm/")
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert client.get(link).status_code == 200  # a mail scanner opening the link confirms nothing
        assert subscriptions(app) == [(ADDRESS, "provider", data.provider_slug, False)]
        confirmed = client.post(link)
        assert confirmed.status_code == 200 and "Your email alerts have started" in text(soup(confirmed))
        assert confirmed.headers["Cache-Control"] == "no-store"
        assert subscriptions(app) == [(ADDRESS, "provider", data.provider_slug, True)]
        assert "This link does not work" in text(soup(client.post(link)))  # spent
    # An expired link, a forged one, a changed one, nonsense: a clear page, never a 500.
    with time_machine.travel(START, tick=False):
        subscribe(client, f"professional={data.william}", "other@example.org")
    late = link_in(emails(app, "alert_confirm")[-1], "/alerts/confirm/")
    token = late.rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        for url in (
            late,
            f"/alerts/confirm/{forged}",
            "/alerts/confirm/nonsense",
            "/alerts/confirm/" + "x" * 5000,
        ):
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code == 404, url
                assert "This link does not work" in text(soup(response))
    assert subscriptions(app)[-1] == ("other@example.org", "professional", str(data.william), False)


def test_one_confirmation_email_a_day_and_never_a_word_on_whether_an_address_is_subscribed(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        first = subscribe(client, f"provider={data.provider_slug}")
        confirm(client, app)
        # Already following: the same answer, and no email.
        again = subscribe(client, f"provider={data.provider_slug}")
        assert again.headers["Location"] == first.headers["Location"]
        subscribe(client, f"professional={data.william}")
        subscribe(client, "q=Medivance")
    assert len(emails(app, "alert_confirm")) == 2  # the first, then one more that day
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        subscribe(client, "q=Pelvicare")
    assert len(emails(app, "alert_confirm")) == 2  # still the same day: nothing more
    with time_machine.travel(START + timedelta(days=1, minutes=1), tick=False):
        subscribe(client, "q=Pelvicare")
    assert len(emails(app, "alert_confirm")) == 3
    searched = emails(app, "alert_confirm")[2]
    assert "Pelvicare" not in searched.subject + searched.body  # anyone's text: not in the email
    with time_machine.travel(START + timedelta(days=1, minutes=2), tick=False):
        assert "Pelvicare" in text(soup(client.get(link_in(searched, "/alerts/confirm/"))))
    page = text(soup(client.get("/alerts/check-your-email")))
    assert "If we can send alerts to this address" in page


def test_an_address_follows_at_most_20_things(app: Flask, client: FlaskClient, data: Register) -> None:
    with app.app_context():
        for n in range(alerts.MAX_PER_ADDRESS):
            db.session.add(
                AlertSubscription(email=ADDRESS, kind="search", target=f"q{n}", label=f"q{n}", nonce=f"n{n}")
            )
        db.session.commit()
    subscribe(client, f"provider={data.provider_slug}")
    assert len(subscriptions(app)) == alerts.MAX_PER_ADDRESS
    assert emails(app, "alert_confirm") == []


def test_the_subscribe_form_is_rate_limited_per_client(tmp_path: Path, database_url: str) -> None:
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, ALERT_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        slug = make_provider(slug="limited").slug
        db.session.commit()
    client = app.test_client()
    for n in range(3):
        subscribe(client, f"provider={slug}", f"person{n}@example.org")
    refused = client.post(f"/alerts?provider={slug}", data={"email": "person9@example.org"})
    assert refused.status_code == 429
    assert client.get(f"/alerts?provider={slug}").status_code == 200  # reading is not limited
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def add_declaration(app: Flask, data: Register, given_name: str, signed_at: datetime) -> None:
    with app.app_context():
        provider = db.session.get(Provider, data.provider)
        person = make_professional(given_name=given_name, family_name="Newcomer")
        make_engagement(person, provider, role="Physiotherapist")
        make_declaration(
            person,
            provider,
            [make_interest(person, other_party=f"{given_name} Devices Ltd")],
            signed_at=signed_at,
        )
        db.session.commit()
        search_index.rebuild()


def digests_at(app: Flask, moment: datetime) -> alerts.Digests:
    with time_machine.travel(moment, tick=False), app.app_context():
        return alerts.send_digests()


def test_the_daily_digest_tells_each_change_once_with_one_click_unsubscribe_headers(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        subscribe(client, f"provider={data.provider_slug}")
        confirm(client, app)
    # What was published before the alerts started is not news.
    assert digests_at(app, START + timedelta(hours=22)).sent == 0
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    assert digests_at(app, START + timedelta(days=1)).sent == 1
    [digest] = emails(app, "alert_digest")
    assert digest.to_address == ADDRESS
    assert digest.subject == "Register of interests: 1 change for St Elsewhere Hospital NHS Trust"
    assert "Olwen Newcomer declared to St Elsewhere Hospital NHS Trust" in digest.body
    assert "Olwen Devices Ltd" in digest.body
    assert "We keep your email address only to send you these alerts" in digest.body
    unsubscribe = link_in(digest, "/alerts/unsubscribe/")
    headers = json.loads(digest.headers)
    assert headers == {
        "List-Unsubscribe": f"<http://localhost{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    # The next day: nothing new, no email; a change, one email with only that change.
    with time_machine.travel(START + timedelta(days=2), tick=False):
        ran = app.test_cli_runner().invoke(args=["alerts", "send"])  # by hand: the same
    assert ran.exit_code == 0 and "0 digests queued" in ran.output, ran.output
    add_declaration(app, data, "Peris", START + timedelta(days=2, hours=1))
    assert digests_at(app, START + timedelta(days=3)).sent == 1
    latest = emails(app, "alert_digest")[-1]
    assert "Peris Newcomer" in latest.body and "Olwen" not in latest.body


def test_a_change_still_being_saved_while_the_digest_runs_is_told_the_next_day(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        subscribe(client, f"provider={data.provider_slug}")
        confirm(client, app)
    run = START + timedelta(days=1)
    assert digests_at(app, run).sent == 0
    # Signed two minutes before the run began, committed after it had read the register.
    add_declaration(app, data, "Quilla", run - timedelta(minutes=2))
    assert digests_at(app, run + timedelta(days=1)).sent == 1
    assert "Quilla Newcomer" in emails(app, "alert_digest")[-1].body
    assert digests_at(app, run + timedelta(days=2)).sent == 0  # told once


def test_one_click_unsubscribe_works_without_cookies_or_csrf_and_deletes_the_address(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        subscribe(client, f"provider={data.provider_slug}")
        confirm(client, app)
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    digests_at(app, START + timedelta(days=1))
    link = link_in(emails(app, "alert_digest")[0], "/alerts/unsubscribe/")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    # Opening the link (or a scanner prefetching it) only asks.
    page = client.get(link)
    assert page.status_code == 200 and "Stop these emails" in text(soup(page))
    assert page.headers["Cache-Control"] == "no-store"
    assert len(subscriptions(app)) == 1
    # Other forms still need their CSRF token: only this endpoint is exempt.
    assert (
        client.post(f"/alerts?provider={data.provider_slug}", data={"email": "x@example.org"}).status_code
        == 400
    )
    # The mail client's one-click POST: no cookie, no token.
    stranger = app.test_client(use_cookies=False)
    done = stranger.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Your email alerts have stopped" in text(soup(done))
    assert subscriptions(app) == []
    with app.app_context():  # the address is gone from the alert emails too
        assert db.session.scalar(select(func.count()).where(OutboxEmail.to_address == ADDRESS)) == 0
    again = stranger.post(link, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 404 and "These alerts have already stopped" in text(soup(again))
    for bad in (link[:-4], "/alerts/unsubscribe/nonsense"):
        assert stranger.post(bad).status_code == 404
        assert stranger.get(bad).status_code == 404


def test_unconfirmed_subscriptions_are_deleted_when_their_link_expires(
    app: Flask, client: FlaskClient, data: Register
) -> None:
    with time_machine.travel(START, tick=False):
        subscribe(client, f"provider={data.provider_slug}")
    assert digests_at(app, START + timedelta(days=6)).expired == 0
    assert len(subscriptions(app)) == 1
    assert digests_at(app, START + timedelta(days=7, minutes=1)).expired == 1
    assert subscriptions(app) == []


def test_the_outbox_sends_the_unsubscribe_headers_and_no_others(app: Flask, smtp_server: Any) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_server.server_address[1]))
    with app.app_context():
        outbox.send_email(
            kind="alert_digest",
            to=ADDRESS,
            subject="Digest",
            body="Hello",
            headers={
                "List-Unsubscribe": "<http://localhost/alerts/unsubscribe/abc>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        with pytest.raises(ValueError):
            outbox.send_email(kind="x", to=ADDRESS, subject="x", body="x", headers={"Bcc": "a@example.org"})
        with pytest.raises(ValueError):
            outbox.send_email(
                kind="x", to=ADDRESS, subject="x", body="x", headers={"List-Unsubscribe": "<a>\r\nBcc: b"}
            )
        db.session.commit()
        assert outbox.deliver_pending().sent == 1
    [message] = smtp_server.messages
    assert "List-Unsubscribe: <http://localhost/alerts/unsubscribe/abc>" in message
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message


@pytest.mark.alldb
def test_the_same_request_twice_at_once_saves_one_subscription(app: Flask) -> None:
    with app.app_context():
        first = AlertSubscription(email=ADDRESS, kind="search", target="acme", label="acme", nonce="a")
        assert alerts.added(first)
        db.session.commit()
        twin = AlertSubscription(email=ADDRESS, kind="search", target="acme", label="acme", nonce="b")
        assert not alerts.added(twin)
        other = AlertSubscription(email=ADDRESS, kind="search", target="other", label="other", nonce="c")
        assert alerts.added(other)  # the session goes on after the refused one
        db.session.commit()
        assert sorted(db.session.scalars(select(AlertSubscription.nonce))) == ["a", "c"]


def follow(app: Flask, address: str, kind: str, target: str, label: str, since: datetime) -> None:
    """A confirmed subscription, last told up to `since` (as if confirmed then)."""
    with app.app_context():
        db.session.add(
            AlertSubscription(
                email=address,
                kind=kind,
                target=target,
                label=label,
                nonce=f"{kind}-{target}-{address}"[:32],
                confirmed_at=since,
                told_up_to=since,
                created_at=since,
            )
        )
        db.session.commit()


def statements_reading_declarations(app: Flask) -> Any:
    """A context manager counting the SQL statements that read the register's declarations."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting() -> Any:
        seen: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "declaration" in statement.lower():
                seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting()


@pytest.mark.alldb
def test_two_addresses_following_one_provider_get_one_email_each_from_one_reading_of_its_changes(
    app: Flask, data: Register
) -> None:
    for address in ("one@example.org", "two@example.org"):
        follow(app, address, "provider", data.provider_slug, "St Elsewhere Hospital NHS Trust", START)
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    run = START + timedelta(days=1)
    with time_machine.travel(run, tick=False), app.app_context():
        with statements_reading_declarations(app) as during_the_run:
            done = alerts.send_digests()
        # What working out the provider's changes once reads, on the same register and day.
        provider = db.session.scalar(select(Provider).where(Provider.slug == data.provider_slug))
        with statements_reading_declarations(app) as once:
            assert alerts.target_changes("provider", provider.slug, date(2026, 3, 3), START)
    assert done.sent == 2 and done.worked_out == 1
    assert len(during_the_run) == len(once) > 0
    digests = emails(app, "alert_digest")
    assert sorted(d.to_address for d in digests) == ["one@example.org", "two@example.org"]
    for digest in digests:
        assert digest.subject == "Register of interests: 1 change for St Elsewhere Hospital NHS Trust"
        assert "Olwen Newcomer declared to St Elsewhere Hospital NHS Trust" in digest.body
    # Each address's own unsubscribe link: stopping one leaves the other.
    client = app.test_client(use_cookies=False)
    mine = link_in(digests[0], "/alerts/unsubscribe/")
    assert client.post(mine, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert [s[0] for s in subscriptions(app)] == [digests[1].to_address]


@pytest.mark.alldb
def test_one_address_following_two_things_gets_one_email_with_a_part_and_a_link_for_each(
    app: Flask, data: Register
) -> None:
    follow(app, ADDRESS, "provider", data.provider_slug, "St Elsewhere Hospital NHS Trust", START)
    follow(app, ADDRESS, "professional", str(data.william), "Dr William Davies", START)
    follow(app, ADDRESS, "search", "Nobody Matches This", "a search for ‘Nobody Matches This’", START)
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    with app.app_context():
        william = db.session.get(Professional, data.william)
        provider = db.session.get(Provider, data.provider)
        make_declaration(
            william,
            provider,
            [make_interest(william, other_party="Newfound Devices Ltd")],
            signed_at=START + timedelta(hours=22),
        )
        db.session.commit()
    assert digests_at(app, START + timedelta(days=1)).sent == 1
    [digest] = emails(app, "alert_digest")
    assert digest.to_address == ADDRESS
    assert digest.subject == "Register of interests: 3 changes for 2 things you follow"
    body = digest.body
    provider_part = body.index(
        "What changed on the register of interests for St Elsewhere Hospital NHS Trust:"
    )
    william_part = body.index("What changed on the register of interests for Dr William Davies:")
    assert provider_part < william_part
    assert "Olwen Newcomer" in body[provider_part:william_part]
    assert "Newfound Devices Ltd" in body[william_part:]
    assert "Nobody Matches This" not in body  # nothing changed for it: no part
    part_links = re.findall(r"Stop emails about [^:]+: http://localhost(/alerts/unsubscribe/\S+)", body)
    assert len(part_links) == 2
    stop_all = re.search(r"Stop all your email alerts: http://localhost(/alerts/unsubscribe-all/\S+)", body)
    assert stop_all
    assert json.loads(digest.headers) == {
        "List-Unsubscribe": f"<http://localhost{stop_all.group(1)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    # A part's link stops only that part.
    client = app.test_client(use_cookies=False)
    page = client.get(part_links[1])
    assert page.status_code == 200 and "Dr William Davies" in text(soup(page))
    assert client.post(part_links[1], data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert [s[1] for s in subscriptions(app)] == ["provider", "search"]
    # The header's one-click POST (no cookie, no CSRF token) stops everything the address follows.
    app.config["WTF_CSRF_ENABLED"] = True
    asked = client.get(stop_all.group(1))
    assert asked.status_code == 200 and "Stop all my email alerts" in text(soup(asked))
    assert asked.headers["Cache-Control"] == "no-store"
    assert len(subscriptions(app)) == 2  # opening the link only asks
    done = client.post(stop_all.group(1), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Your email alerts have stopped" in text(soup(done))
    assert subscriptions(app) == []
    with app.app_context():  # the address is gone from the alert emails too
        assert db.session.scalar(select(func.count()).where(OutboxEmail.to_address == ADDRESS)) == 0
    again = client.post(stop_all.group(1), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 404 and "These alerts have already stopped" in text(soup(again))


@pytest.mark.alldb
def test_a_forged_or_old_stop_all_link_stops_nothing(app: Flask, data: Register) -> None:
    follow(app, ADDRESS, "provider", data.provider_slug, "St Elsewhere Hospital NHS Trust", START)
    follow(app, ADDRESS, "professional", str(data.william), "Dr William Davies", START)
    follow(app, "someone.else@example.org", "provider", data.provider_slug, "St Elsewhere", START)
    add_declaration(app, data, "Olwen", START + timedelta(hours=23))
    digests_at(app, START + timedelta(days=1))
    [mine] = [d for d in emails(app, "alert_digest") if d.to_address == ADDRESS]
    stop_all = re.search(r"http://localhost(/alerts/unsubscribe-all/\S+)", mine.body)
    assert stop_all
    link = stop_all.group(1)
    token = link.rsplit("/", 1)[1]
    client = app.test_client(use_cookies=False)
    with app.app_context():
        ids = sorted(db.session.scalars(select(AlertSubscription.id)))
        # Signed with another key, or with the single-alert salt, or naming every subscription.
        from itsdangerous import URLSafeTimedSerializer

        wrong_key = URLSafeTimedSerializer("not the secret", salt="alert-unsubscribe-all").dumps(ids)
        other_salt = alerts._serializer("alert-unsubscribe").dumps(ids)
    for bad in (
        f"/alerts/unsubscribe-all/{token[:-3]}{'AAA' if not token.endswith('AAA') else 'BBB'}",
        f"/alerts/unsubscribe-all/{wrong_key}",
        f"/alerts/unsubscribe-all/{other_salt}",
        "/alerts/unsubscribe-all/nonsense",
        "/alerts/unsubscribe-all/" + "x" * 5000,
    ):
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 404, bad
            assert "These alerts have already stopped" in text(soup(response))
    assert len(subscriptions(app)) == 3
    # Used once: the address's alerts stop; the other address's stay.
    assert client.post(link).status_code == 200
    assert [s[0] for s in subscriptions(app)] == ["someone.else@example.org"]
    # Following again later: the old email's link does not stop the new alerts.
    follow(app, ADDRESS, "provider", data.provider_slug, "St Elsewhere", START + timedelta(days=2))
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert client.post(link).status_code == 404
    assert sorted(s[0] for s in subscriptions(app)) == [ADDRESS, "someone.else@example.org"]


@pytest.mark.alldb
def test_a_withheld_or_pending_entry_is_in_no_digest_however_the_address_follows_it(
    app: Flask, data: Register
) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    follows = [
        ("provider", data.provider_slug, "St Elsewhere Hospital NHS Trust"),
        ("professional", str(data.mohammed), "Mohammed Smith-Jones"),
        ("search", "Smith-Jones", "a search for ‘Smith-Jones’"),
    ]
    for kind, target, label in follows:  # one address following all three, and one address each
        follow(app, "all@example.org", kind, target, label, long_ago)
        follow(app, f"{kind}@example.org", kind, target, label, long_ago)
    done = digests_at(app, datetime.now(UTC) + timedelta(hours=1))
    assert done.sent == 4 and done.worked_out == 3
    digests = emails(app, "alert_digest")
    combined = next(d for d in digests if d.to_address == "all@example.org")
    assert combined.body.count("Heartwise Research") >= 3  # published: in each of the three parts
    for digest in digests:
        assert "Heartwise Research" in digest.body, digest.to_address
        for private in ("Secret Holdings", "Pending Partners", "Risk of harm", "Shares", "Trustee"):
            assert private not in digest.subject + digest.body, (digest.to_address, private)
