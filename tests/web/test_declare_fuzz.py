"""Random text, numbers and dates thrown at the declaration forms: never a 500, never a partial save.

Each example posts one form. Either the form is refused (200, the page shows an error summary,
and not one row or audit event was written) or it is accepted (302) and exactly the expected
rows were written, each keeping the model's rules. Exceptions propagate in TESTING, so a 500
fails the test with its traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, Declaration, InterestVersion, WithholdingRequest
from interests.rules.vocabulary import CATEGORIES, TYPES
from tests import factories

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything a browser (or an attacker) can put in a form field: every character UTF-8 can carry.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
long_text = st.builds(lambda c, n: c * n, st.characters(exclude_categories=("Cs",)), st.integers(0, 5000))
numberish = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    any_text,
)
date_part = st.one_of(st.integers(-100, 100_000).map(str), st.just(""), any_text)


def choice(codes: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(codes), any_text)


random_interest_posts = st.fixed_dictionaries(
    {
        "category": choice([t.code for t in CATEGORIES]),
        "interest_type": choice([t.code for t in TYPES]),
        "other_party": st.one_of(any_text, long_text, st.just("Medivance Surgical Ltd")),
        "description": st.one_of(any_text, long_text, st.just("Advisory board")),
        "relationship": any_text,
        "value": numberish,
        "ongoing": choice(["yes", "no"]),
        "date_from-day": date_part,
        "date_from-month": date_part,
        "date_from-year": st.one_of(date_part, st.integers(1900, 2030).map(str)),
        "date_to-day": date_part,
        "date_to-month": date_part,
        "date_to-year": st.one_of(date_part, st.integers(1900, 2030).map(str)),
    }
)


VALID_INTEREST = {
    "category": "financial",
    "interest_type": "gifts",
    "other_party": "Medivance Surgical Ltd",
    "description": "Advisory board",
    "relationship": "",
    "value": "75",
    "ongoing": "no",
    "date_from-day": "1",
    "date_from-month": "4",
    "date_from-year": "2025",
    "date_to-day": "1",
    "date_to-month": "5",
    "date_to-year": "2025",
}


@st.composite
def nearly_valid_interest_posts(draw: st.DrawFn) -> dict[str, str]:
    """A valid form with one or two answers replaced by random ones: reaches the save path often."""
    data = dict(VALID_INTEREST)
    for key in draw(st.lists(st.sampled_from(sorted(data)), min_size=1, max_size=2, unique=True)):
        data[key] = draw(random_interest_posts)[key]
    return data


interest_posts = st.one_of(nearly_valid_interest_posts(), random_interest_posts)


def snapshot() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (InterestVersion, AuditEvent, Declaration, WithholdingRequest)
    }


@pytest.fixture
def professional_client(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context():
        account = factories.make_account("professional")
        provider = factories.make_provider()
        factories.make_engagement(account.professional, provider)
        factories.make_interest(account.professional)  # interest 1, to change, end and withhold
        db.session.commit()
        email = account.email
    factories.sign_in(client, email)
    return client


def posted(app: Flask, client: FlaskClient, path: str, data: dict[str, Any]) -> tuple[int, dict[str, int]]:
    with app.app_context():
        before = snapshot()
    response = client.post(path, data=data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert 'class="nhsuk-error-summary' in response.get_data(as_text=True)
    with app.app_context():
        after = snapshot()
    return response.status_code, {name: after[name] - before[name] for name in after}


@FUZZ
@given(data=interest_posts)
def test_add_interest_with_random_input_never_fails_and_never_half_saves(
    app: Flask, professional_client: FlaskClient, data: dict[str, str]
) -> None:
    status, written = posted(app, professional_client, "/declare/interests/new", data)
    if status == 200:
        assert written == {"InterestVersion": 0, "AuditEvent": 0, "Declaration": 0, "WithholdingRequest": 0}
    else:
        assert written == {"InterestVersion": 1, "AuditEvent": 1, "Declaration": 0, "WithholdingRequest": 0}
        with app.app_context():
            version = db.session.scalars(select(InterestVersion).order_by(InterestVersion.id.desc())).first()
            assert version is not None
            assert 0 < len(version.other_party) <= 200 and 0 < len(version.description) <= 2000
            assert version.date_to is None or version.date_to >= version.date_from
            assert version.value_pence is None or 0 <= version.value_pence <= 1_000_000_000


@FUZZ
@given(data=interest_posts)
def test_change_interest_with_random_input_never_fails_and_never_half_saves(
    app: Flask, professional_client: FlaskClient, data: dict[str, str]
) -> None:
    status, written = posted(app, professional_client, "/declare/interests/1/change", data)
    if status == 200:
        assert sum(written.values()) == 0
    else:
        assert written["InterestVersion"] == written["AuditEvent"] <= 1


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {"date_to-day": date_part, "date_to-month": date_part, "date_to-year": date_part}
    )
)
def test_end_interest_with_random_dates_never_fails_and_never_half_saves(
    app: Flask, professional_client: FlaskClient, data: dict[str, str]
) -> None:
    status, written = posted(app, professional_client, "/declare/interests/1/end", data)
    expected = 0 if status == 200 else 1
    assert written == {
        "InterestVersion": expected,
        "AuditEvent": expected,
        "Declaration": 0,
        "WithholdingRequest": 0,
    }


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "providers": st.lists(st.one_of(st.integers(-5, 10**20).map(str), any_text), max_size=3),
            "reason": st.one_of(any_text, long_text),
        }
    )
)
def test_withholding_with_random_input_never_fails_and_never_half_saves(
    app: Flask, professional_client: FlaskClient, data: dict[str, Any]
) -> None:
    status, written = posted(app, professional_client, "/declare/interests/1/withhold", data)
    if status == 200:
        assert sum(written.values()) == 0
    else:
        assert written["WithholdingRequest"] == written["AuditEvent"] == 1


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "providers": st.lists(
                st.one_of(st.sampled_from(["1"]), st.integers(-5, 10**20).map(str), any_text), max_size=3
            ),
            "confirm": st.one_of(st.just("y"), any_text),
            "shown": st.one_of(
                st.just("1"),
                any_text,
                st.lists(st.integers(-5, 10**15)).map(lambda ids: ",".join(map(str, ids))),
            ),
        }
    )
)
def test_send_with_random_input_never_fails_and_never_duplicates(
    app: Flask, professional_client: FlaskClient, data: dict[str, Any]
) -> None:
    status, written = posted(app, professional_client, "/declare/check", data)
    if status == 200:
        assert sum(written.values()) == 0
    with app.app_context():
        # However often it is sent, one declaration per provider per day for the same content.
        assert (db.session.scalar(select(func.count()).select_from(Declaration)) or 0) <= 1
