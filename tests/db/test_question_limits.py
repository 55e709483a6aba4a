"""The daily question limits and the single-use confirmation count the same on SQLite and PostgreSQL
(timestamps compared across a day, addresses compared without regard to capitals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import InvalidRecord, PatientQuestion, SecurityEvent, utcnow
from interests.services import questions
from tests import factories

pytestmark = pytest.mark.alldb


def test_a_day_of_questions_from_an_address_counts_whatever_the_capitals_and_provider(app_ctx: Flask) -> None:
    one, two = factories.make_provider(), factories.make_provider()
    now = utcnow()
    factories.make_patient_question(one, email="Sam@Example.org", asked_at=now - timedelta(hours=23))
    factories.make_patient_question(two, email="sam@example.org", asked_at=now - timedelta(hours=1))
    factories.make_patient_question(
        one, email="sam@example.org", asked_at=now - timedelta(hours=25)
    )  # yesterday
    factories.make_patient_question(one, email="other@example.org", asked_at=now)
    db.session.commit()
    assert questions.over_limit("SAM@example.org", "192.0.2.1") is None  # 2 of 3
    factories.make_patient_question(two, email="sam@example.org", asked_at=now)
    db.session.commit()
    assert questions.over_limit("sam@example.org", "192.0.2.1") == questions.OverLimit(asked=3, per="address")


def test_a_day_of_questions_from_a_client_counts_across_providers(app_ctx: Flask) -> None:
    one, two = factories.make_provider(), factories.make_provider()
    now = utcnow()
    key = questions.client_key("198.51.100.7")
    for hours in (1, 2, 3, 4):
        factories.make_patient_question(
            (one, two)[hours % 2], email=None, client_key=key, asked_at=now - timedelta(hours=hours)
        )
    factories.make_patient_question(
        one, email=None, client_key=key, asked_at=now - timedelta(hours=24, seconds=1)
    )
    db.session.commit()
    assert questions.over_limit(None, "198.51.100.7") is None  # 4 of 5
    assert questions.over_limit(None, "198.51.100.8") is None
    factories.make_patient_question(two, email=None, client_key=key, asked_at=now)
    db.session.commit()
    assert questions.over_limit(None, "198.51.100.7") == questions.OverLimit(asked=5, per="client")


def test_a_confirmation_link_works_once_and_not_after_it_expires(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    asked = questions.ask(provider, "Who funds the team?", None, "sam@example.org", ip_address="192.0.2.1")
    db.session.commit()
    assert asked.email_state == "waiting"
    assert questions.confirm(asked) is False  # no reply yet to send
    db.session.commit()
    assert asked.email_state == "confirmed" and asked.email_token_hash is None
    with pytest.raises(InvalidRecord):
        questions.confirm(asked)
    db.session.rollback()

    late = questions.ask(provider, "And the other team?", None, "kim@example.org", ip_address="192.0.2.1")
    late.email_token_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert late.email_state == "expired"
    with pytest.raises(InvalidRecord):
        questions.confirm(late)


def test_the_daily_pruning_forgets_each_questions_client_key_once_the_limit_no_longer_needs_it(
    app_ctx: Flask,
) -> None:
    from interests.tasks import prune_security_events

    provider = factories.make_provider()
    key = questions.client_key("198.51.100.7")
    now = utcnow()
    old = factories.make_patient_question(
        provider, email=None, client_key=key, asked_at=now - timedelta(days=3)
    )
    today = factories.make_patient_question(
        provider, email=None, client_key=key, asked_at=now - timedelta(hours=1)
    )
    db.session.commit()
    old_id, today_id = old.id, today.id
    prune_security_events()  # the worker's daily job
    db.session.expire_all()
    assert db.session.get(PatientQuestion, old_id).client_key is None
    assert db.session.get(PatientQuestion, today_id).client_key == key  # still counted today
    assert db.session.get(PatientQuestion, old_id).question  # the question itself is kept


def test_the_prune_command_forgets_a_two_day_old_questions_client_key_and_keeps_a_one_day_olds(
    app: Flask,
) -> None:
    """`security-events prune` (what the worker's daily job runs) does both halves of the pruning in
    one run: the security log's old events go, and so do the client keys the limit no longer needs."""
    app.config["SECURITY_LOG_KEEP_DAYS"] = 400
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        now = utcnow()
        with app.app_context():
            key = questions.client_key("198.51.100.7")
            provider = factories.make_provider()
            two_days = factories.make_patient_question(
                provider, email=None, client_key=key, asked_at=now - timedelta(days=2)
            )
            one_day = factories.make_patient_question(
                provider, email=None, client_key=key, asked_at=now - timedelta(days=1)
            )
            db.session.add(SecurityEvent(kind="sign_in", occurred_at=now - timedelta(days=401), detail="old"))
            db.session.add(SecurityEvent(kind="sign_in", occurred_at=now - timedelta(days=1), detail="kept"))
            db.session.commit()
            two_days_id, one_day_id = two_days.id, one_day.id
        result = app.test_cli_runner().invoke(args=["security-events", "prune"])
    assert result.exit_code == 0, result.output
    assert (
        "Deleted 1 security event older than 400 days; forgot the client key of 1 patients' questions"
        in result.output
    )
    with app.app_context():
        assert db.session.get(PatientQuestion, two_days_id).client_key is None
        assert db.session.get(PatientQuestion, one_day_id).client_key == key  # the limit still counts it
        assert [event.detail for event in db.session.scalars(select(SecurityEvent))] == ["kept"]
