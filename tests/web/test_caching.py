"""What browsers and shared caches may keep: the public register for a few minutes, nothing private.

A signed-in page, a page whose address holds a one-time token, a page that read a visitor's own
session and a page with a form's CSRF token say `no-store`; the public register, its downloads
and the API, fetched by an anonymous visitor, may be kept for PUBLIC_MAX_AGE_SECONDS and are
revalidated with an ETag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests.extensions import db
from interests.security import PUBLIC_MAX_AGE_SECONDS
from tests import factories
from tests.conftest import make_app
from tests.public_data import build_and_index

PUBLIC = f"public, max-age={PUBLIC_MAX_AGE_SECONDS}"


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        data = build_and_index()
        admin = factories.make_account("provider_admin")
        db.session.commit()
        return {"slug": data.provider_slug, "professional": data.william, "admin": admin.email}


def _public_paths(world: dict[str, Any]) -> list[str]:
    slug = world["slug"]
    return [
        "/",
        "/providers",
        "/search?q=Davies",
        f"/providers/{slug}",
        f"/providers/{slug}/print",
        f"/providers/{slug}/register.csv",
        f"/providers/{slug}/register.json",
        f"/professionals/{world['professional']}",
        "/api/v1/providers",
        f"/api/v1/providers/{slug}/register",
        f"/api/v1/professionals/{world['professional']}",
        "/api/v1/search?q=Davies",
        "/api/v1/openapi.json",
    ]


def test_the_public_register_may_be_kept_for_a_few_minutes_by_any_cache(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    for path in _public_paths(world):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == PUBLIC, path
        assert response.headers["ETag"].startswith('W/"'), path
        assert "Set-Cookie" not in response.headers, path


def test_an_unchanged_public_page_is_revalidated_with_304_and_no_body(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    for path in _public_paths(world):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.get_data() == b"", path
        assert again.headers["ETag"] == first.headers["ETag"], path
        assert again.headers["Cache-Control"] == PUBLIC, path


def test_a_revalidated_page_keeps_the_script_nonce_its_cached_copy_was_sent_with(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    # Every response has a fresh CSP nonce. A 304 carrying a new policy would replace the cached
    # copy's, and the page's own scripts (with the old nonce) would stop running.
    first = client.get(f"/providers/{world['slug']}")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    again = client.get(f"/providers/{world['slug']}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "Content-Security-Policy" not in again.headers


def test_a_changed_public_page_is_sent_again_in_full(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    first = client.get("/providers")
    with app.app_context():
        factories.make_provider(name="Brand New Community Hospital")
        db.session.commit()
    again = client.get("/providers", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Brand New Community Hospital" in again.get_data(as_text=True)
    assert again.headers["ETag"] != first.headers["ETag"]


def test_signed_in_visitors_pages_are_never_stored_even_public_ones(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    factories.sign_in(client, world["admin"])
    for path in [*_public_paths(world), "/manage"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path


def test_a_page_whose_address_is_a_one_time_token_is_never_stored(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    for path in (
        "/invitations/some-token-from-an-email",
        f"/providers/{world['slug']}/ask/confirm/some-token-from-an-email",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_not_found_and_errors_are_not_made_public(client: FlaskClient) -> None:
    for path in ("/providers/no-such-provider", "/api/v1/providers/no-such-provider/register"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "public" not in response.headers.get("Cache-Control", ""), path


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """CSRF protection on, as in a real deployment (tests usually turn it off)."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_page_with_a_forms_csrf_token_is_never_stored(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        slug = factories.make_provider().slug
        db.session.commit()
    client = csrf_app.test_client()
    for path in ("/sign-in", f"/providers/{slug}/ask"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'name="csrf_token"' in response.get_data(as_text=True), path
        assert response.headers["Cache-Control"] == "no-store", path


def test_a_public_page_for_a_visitor_with_their_own_session_is_never_stored(csrf_app: Flask) -> None:
    # Their session (here, the CSRF secret from the sign-in page) may shape the page: a flash
    # message, a form. A shared cache must not hand that copy to the next patient.
    with csrf_app.app_context():
        slug = factories.make_provider().slug
        db.session.commit()
    client = csrf_app.test_client()
    client.get("/sign-in")
    assert client.get_cookie(csrf_app.config["SESSION_COOKIE_NAME"]) is not None
    for path in ("/providers", f"/providers/{slug}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
