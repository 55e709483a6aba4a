"""What the declaration journey's page tests share: dates, counts and the forms they post."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests import clock
from interests.extensions import db
from interests.models import AuditEvent
from tests import factories
from tests.pages import soup

TODAY = clock.today()


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def journey_events() -> int:
    """Audit events written by the declaration journey (signing in writes its own)."""
    journey = ("interest.", "declaration.", "withholding.")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    return sum(1 for action in actions if action.startswith(journey))


def date_parts(name: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def interest_form(**overrides: Any) -> dict[str, str]:
    data = {
        "category": "financial",
        "interest_type": "outside_employment",
        "other_party": "Medivance Surgical Ltd",
        "description": "Paid member of the advisory board on pelvic floor devices",
        "value": "",
        "relationship": "",
        "ongoing": "yes",
        **date_parts("date_from", TODAY - timedelta(days=30)),
        **date_parts("date_to", None),
    }
    data.update(overrides)
    return data


def other_professionals_interest(app: Flask) -> int:
    with app.app_context():
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        version = factories.make_interest(stranger, other_party="Stranger Holdings Ltd")
        db.session.commit()
        return version.interest_id


def add(client: FlaskClient, **overrides: Any) -> Any:
    return client.post("/declare/interests/new", data=interest_form(**overrides))


def send_all(client: FlaskClient, me: dict[str, Any], **overrides: Any) -> Any:
    page = soup(client.get("/declare/check"))
    data: dict[str, Any] = {
        "providers": [str(p) for p in me["providers"]],
        "confirm": "y",
        "shown": page.select_one("input[name=shown]")["value"],
    }
    data.update(overrides)
    return client.post("/declare/check", data=data)
