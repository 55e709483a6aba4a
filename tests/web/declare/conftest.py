"""A professional working at two providers, signed in; and the search tasks a test caused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.models import SearchTask
from tests import factories


@pytest.fixture
def me(app: Flask) -> dict[str, Any]:
    """A professional working at two providers, signed in on the client."""
    with app.app_context():
        account = factories.make_account("professional", email="dr.okafor@example.org")
        first = factories.make_provider(name="Northgate NHS Trust")
        second = factories.make_provider(name="Ashby Private Hospital", kind="independent_hospital")
        factories.make_engagement(account.professional, first, role="Consultant urogynaecologist")
        factories.make_engagement(
            account.professional, second, engagement_type="practising_privileges", role="Consultant"
        )
        db.session.commit()
        return {
            "email": account.email,
            "professional_id": account.professional.id,
            "providers": [first.id, second.id],
            "provider_names": [first.name, second.name],
        }


@pytest.fixture
def scheduled() -> Any:
    """Professional ids of the search tasks written (the search seam applies and deletes them)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    seen: list[int | None] = []

    def note(session: Session, flush_context: Any) -> None:
        seen.extend(obj.professional_id for obj in session.new if isinstance(obj, SearchTask))

    event.listen(Session, "after_flush", note)
    yield seen
    event.remove(Session, "after_flush", note)


@pytest.fixture
def signed_in(client: FlaskClient, me: dict[str, Any]) -> FlaskClient:
    response = factories.sign_in(client, me["email"])
    assert response.status_code == 302
    return client
