"""flask --app interests users create."""

from __future__ import annotations

import pytest
from flask import Flask

from interests.extensions import db
from interests.services.accounts import authenticate, find_by_email
from tests import factories

pytestmark = pytest.mark.alldb


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["users", "create", *args])


def test_users_create_makes_a_provider_admin_for_the_named_provider(app: Flask) -> None:
    with app.app_context():
        slug = factories.make_provider().slug
        db.session.commit()
    result = run(app, "--email", "Lead@Example.org", "--role", "provider_admin", "--provider", slug,
                 "--password", factories.PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created provider_admin account lead@example.org" in result.output
    with app.app_context():
        account = find_by_email("lead@example.org")
        assert [p.slug for p in account.providers] == [slug]
        assert authenticate("lead@example.org", factories.PASSWORD) is not None


def test_users_create_links_a_professional_by_id(app: Flask) -> None:
    with app.app_context():
        professional_id = factories.make_professional().id
        db.session.commit()
    result = run(app, "--email", "doc@example.org", "--role", "professional",
                 "--professional", str(professional_id), "--password", factories.PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert find_by_email("doc@example.org").professional_id == professional_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "provider_admin", "--provider", "no-such-provider"],
            "There is no provider with the slug",
        ),
        (["--role", "provider_admin"], "A provider admin must be given at least one provider"),
        (["--role", "professional"], "A professional's account needs --professional ID"),
        (["--role", "professional", "--professional", "999999"], "There is no professional with id 999999"),
        (["--role", "inspector", "--password", "short"], "12 characters or more"),
        (
            ["--role", "inspector", "--password", "password12345"],
            "too easy to guess: it is a common password",
        ),
        (
            ["--role", "inspector", "--password", "someone@example.org"],
            "too easy to guess: it contains your name or email address",
        ),
        (["--role", "wizard"], "Invalid value for '--role'"),
    ],
)
def test_users_create_explains_what_is_wrong_and_creates_nothing(
    app: Flask, args: list[str], message: str
) -> None:
    if "--password" not in args:
        args = [*args, "--password", factories.PASSWORD]
    result = run(app, "--email", "someone@example.org", *args)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert find_by_email("someone@example.org") is None
