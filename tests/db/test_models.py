"""Rules every record keeps, whichever code path writes it."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from interests.extensions import db
from interests.models import AuditEvent, Engagement, InvalidRecord, Professional
from interests.services import accounts, audit
from tests import factories

pytestmark = pytest.mark.alldb


def test_duplicate_registration_number_with_same_regulator_is_refused(app_ctx: Flask) -> None:
    factories.make_professional(regulator="GMC", registration_number="1234567")
    with pytest.raises(IntegrityError):
        factories.make_professional(regulator="GMC", registration_number="1234567")
    db.session.rollback()


def test_same_number_at_different_regulators_is_allowed(app_ctx: Flask) -> None:
    factories.make_professional(regulator="GDC", registration_number="123456")
    factories.make_professional(regulator="PSNI", registration_number="123456")
    db.session.commit()
    assert len(db.session.scalars(select(Professional)).all()) == 2


def test_registration_number_is_normalised_and_checked_against_the_regulators_format(app_ctx: Flask) -> None:
    professional = factories.make_professional(regulator="nmc", registration_number="12a 3456e")
    assert (professional.regulator, professional.registration_number) == ("NMC", "12A3456E")
    with pytest.raises(
        InvalidRecord, match="NMC registration number in the right format, for example 12A3456E"
    ):
        factories.make_professional(regulator="NMC", registration_number="1234567")
    db.session.rollback()
    with pytest.raises(InvalidRecord, match="Choose a regulator"):
        factories.make_professional(regulator="XYZ", registration_number="1234567")
    db.session.rollback()


def test_engagement_ending_before_it_starts_is_refused_with_a_clear_message(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    professional = factories.make_professional()
    with pytest.raises(InvalidRecord, match="An engagement cannot end before it starts"):
        factories.make_engagement(
            professional, provider, start_date=date(2025, 4, 1), end_date=date(2025, 3, 31)
        )
    db.session.rollback()


def test_database_itself_refuses_an_engagement_ending_before_it_starts(app_ctx: Flask) -> None:
    provider = factories.make_provider()
    professional = factories.make_professional()
    db.session.commit()
    table = Engagement.__table__
    with pytest.raises(IntegrityError):
        db.session.execute(
            table.insert().values(
                professional_id=professional.id,
                provider_id=provider.id,
                engagement_type="employee",
                role="Consultant",
                start_date=date(2025, 4, 1),
                end_date=date(2025, 3, 31),
                decision_maker=False,
            )
        )
    db.session.rollback()


def test_declaration_to_a_provider_without_an_engagement_is_refused(app_ctx: Flask) -> None:
    works_here = factories.make_provider()
    elsewhere = factories.make_provider()
    professional = factories.make_professional()
    factories.make_engagement(professional, works_here)
    factories.make_declaration(professional, works_here)
    with pytest.raises(InvalidRecord, match="no engagement at this provider"):
        factories.make_declaration(professional, elsewhere)
    db.session.rollback()


def test_indirect_interest_needs_the_relationship(app_ctx: Flask) -> None:
    professional = factories.make_professional()
    with pytest.raises(InvalidRecord, match="relationship"):
        factories.make_interest(professional, category="indirect", relationship_to_professional="")
    db.session.rollback()
    version = factories.make_interest(
        professional, category="indirect", relationship_to_professional="My wife"
    )
    assert version.interest.current is version


def test_audit_events_cannot_be_changed_or_deleted(app_ctx: Flask) -> None:
    account = factories.make_account("inspector")
    event = audit.record("test.thing", account, actor=None, summary="original")
    db.session.commit()
    event.summary = "rewritten"
    with pytest.raises(InvalidRecord, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(InvalidRecord, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).summary == "original"


def test_account_creation_is_audited_and_email_is_case_insensitive(app_ctx: Flask) -> None:
    account = factories.make_account("inspector", email="Inspector.One@Example.org")
    db.session.commit()
    assert account.email == "inspector.one@example.org"
    assert accounts.find_by_email("INSPECTOR.ONE@example.org") is account
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == account.id)).all()
    assert [e.action for e in events] == ["account.created"]
    with pytest.raises(InvalidRecord, match="already exists"):
        factories.make_account("inspector", email="inspector.one@EXAMPLE.org")
    db.session.rollback()


def test_provider_admin_needs_a_provider_and_professional_needs_a_professional(app_ctx: Flask) -> None:
    with pytest.raises(InvalidRecord, match="at least one provider"):
        factories.make_account("provider_admin", providers=[])
    db.session.rollback()
    with pytest.raises(InvalidRecord, match="linked to a professional"):
        factories.make_account("professional", professional=None)
    db.session.rollback()
