"""Service-level attacks on identity and consent across providers (see tests/web/test_identity_attacks.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from interests.extensions import db
from interests.models import OutboxEmail, utcnow
from interests.services import reminders
from tests import factories


@pytest.mark.alldb
def test_no_reminder_for_a_provider_the_professional_said_they_do_not_work_at(app_ctx: Flask) -> None:
    """A hostile provider adds Sam, who says "I do not work here": its reminders must not keep
    reaching Sam's own inbox (Sam cannot declare there anyway). The real employer's still do."""
    today = date(2026, 11, 23)
    northgate = factories.make_provider(name="Northgate NHS Trust")
    ashby = factories.make_provider(name="Ashby Private Hospital")
    sam = factories.make_professional(given_name="Sam", family_name="Reed")
    factories.make_account("professional", email="sam@personal.example", professional=sam)
    factories.make_engagement(sam, northgate, start_date=today - timedelta(days=100))
    factories.make_engagement(
        sam,
        ashby,
        start_date=today - timedelta(days=100),
        email="attacker@ashby.example",
        confirmed_at=None,
        rejected_at=utcnow(),
    )
    db.session.commit()
    reminders.send_reminders(today)
    subjects = list(db.session.scalars(select(OutboxEmail.subject).where(OutboxEmail.kind == "reminder")))
    assert subjects == ["Declare your interests to Northgate NHS Trust"]
