"""Headers on every response, caching of signed-in pages, configuration safety, health."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interests import create_app
from interests.config import ConfigurationError
from interests.extensions import db
from tests import factories


def test_every_response_carries_security_headers_with_a_fresh_nonce(client: FlaskClient) -> None:
    first = client.get("/")
    second = client.get("/")
    for response in (first, second, client.get("/no-such-page")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]


def test_signed_in_pages_are_never_cached_and_public_pages_may_be(app: Flask, client: FlaskClient) -> None:
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    with app.app_context():
        email = factories.make_account("inspector").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.get("/inspect").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("secret", [None, "", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("INTERESTS_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", "postgres://user:pw@db.example:5432/interests")
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "elsewhere"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user:pw@db.example:5432/interests"
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "elsewhere")


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == {"ok": True}


def test_healthz_is_unhealthy_when_the_database_cannot_be_reached(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nope/db.sqlite3"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["ok"] is False
    with app.app_context():
        db.engine.dispose()


def test_passwords_are_hashed_with_argon2id_at_the_owasp_parameters_by_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from interests.security import hash_password, verify_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3"})
    with app.app_context():
        hashed = hash_password("a long passphrase of words")
        assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(hashed, "a long passphrase of words")
        assert not verify_password(hashed, "a long passphrase of word")
        assert not verify_password(None, "a long passphrase of words")
        db.engine.dispose()


def test_an_unexpected_error_shows_the_service_error_page_even_when_the_database_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nope/db.sqlite3",
            "SERVER_NAME": "localhost",
        }
    )

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("something broke")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert "something broke" not in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_a_providers_public_register_may_be_embedded_but_nothing_else(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        slug = factories.make_provider().slug
        db.session.commit()
    register = client.get(f"/providers/{slug}")
    assert register.status_code == 200
    assert "frame-ancestors *" in register.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in register.headers
    for path in ("/", "/sign-in", f"/providers/{slug}/ask"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path
