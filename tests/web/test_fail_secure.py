"""Fail-secure set-up: no signing key in the source, production refuses to start half-configured,
email links from BASE_URL, no demo data in production, __Host- cookies, embeddable print view,
and ids too big for the database answer "not found"."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient

from interests import config, create_app
from interests.config import ConfigurationError
from interests.extensions import db
from interests.services import second_factor
from tests import factories

# The key that was written in interests/config.py until this change: anyone could read it.
OLD_SOURCE_KEY = "development-only-not-secret"  # noqa: S105 - the leaked key the attack uses


@pytest.fixture(autouse=True)
def _no_deployment_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "BASE_URL", "INTERESTS_ENV", "SECOND_FACTOR_KEYS"):
        monkeypatch.delenv(name, raising=False)


def _config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """tests/conftest.py's settings, but with no SECRET_KEY: the app must find its own."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
    }
    config.update(overrides)
    return config


@pytest.fixture
def keyless_app(database_url: str, tmp_path: Path) -> Any:
    app = create_app(_config(database_url, tmp_path), instance_path=str(tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _provider_admin(app: Flask) -> tuple[str, str]:
    with app.app_context():
        account = factories.make_account("provider_admin")
        slug = account.providers[0].slug
        user_id = account.get_id()
        db.session.commit()
    return user_id, slug


def _forged_session(key: str, user_id: str) -> str:
    """A session cookie made offline, as an attacker holding `key` would make it."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    now = time.time()  # the session's own times, which the key lets an attacker write too
    return str(
        serializer.dumps({"_user_id": user_id, "_fresh": True, "signed_in_at": now, "last_seen_at": now})
    )


def _withholding_page_with(app: Flask, cookie: str, slug: str) -> Any:
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return client.get(f"/manage/{slug}/withholding")


# --- 1. The secret key ----------------------------------------------------------------------------


def test_a_session_forged_with_the_old_source_key_does_not_open_an_admins_withholding_page(
    keyless_app: Flask,
) -> None:
    user_id, slug = _provider_admin(keyless_app)
    response = _withholding_page_with(keyless_app, _forged_session(OLD_SOURCE_KEY, user_id), slug)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_the_same_forgery_with_the_apps_real_key_would_open_it(keyless_app: Flask) -> None:
    # The control: proves the attack above is a real one that the key alone now stops.
    user_id, slug = _provider_admin(keyless_app)
    real_key = (Path(keyless_app.instance_path) / "secret_key").read_text(encoding="utf-8")
    response = _withholding_page_with(keyless_app, _forged_session(real_key, user_id), slug)
    assert response.status_code == 200
    assert "withhold" in response.get_data(as_text=True).lower()


def test_the_development_key_is_random_private_to_its_owner_and_kept_for_the_next_start(
    database_url: str, tmp_path: Path
) -> None:
    instance = tmp_path / "instance"
    first = create_app(_config(database_url, tmp_path), instance_path=str(instance))
    second = create_app(_config(database_url, tmp_path), instance_path=str(instance))
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == second.secret_key == key_file.read_text(encoding="utf-8")
    assert len(first.secret_key) >= 64  # secrets.token_urlsafe(48)
    assert first.secret_key != OLD_SOURCE_KEY
    other = create_app(_config(database_url, tmp_path), instance_path=str(tmp_path / "another-laptop"))
    assert other.secret_key != first.secret_key


def test_two_starts_racing_to_make_the_key_both_use_the_winners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    real_link = os.link

    def winner_first(source: str, target: str) -> None:
        # The other process links its key into place just before this one tries.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"the-winners-key-" + b"w" * 48)
        os.close(fd)
        real_link(source, target)

    monkeypatch.setattr(os, "link", winner_first)
    assert config.development_secret_key(instance) == "the-winners-key-" + "w" * 48
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # the loser's draft is gone


def test_no_signing_key_is_written_in_the_source() -> None:
    source = Path(__file__).resolve().parents[2] / "interests"
    for path in source.rglob("*.py"):
        assert OLD_SOURCE_KEY not in path.read_text(encoding="utf-8"), path


def test_a_key_file_others_can_read_is_refused_with_what_to_do(database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    key_file = instance / "secret_key"
    key_file.write_text("x" * 64, encoding="utf-8")
    key_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match=r"secret_key.*can be read by other users.*[Dd]elete it"):
        create_app(_config(database_url, tmp_path), instance_path=str(instance))


def test_an_empty_key_file_is_refused_with_what_to_do(database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    fd = os.open(instance / "secret_key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    with pytest.raises(ConfigurationError, match=r"secret_key.*is empty.*[Dd]elete it"):
        create_app(_config(database_url, tmp_path), instance_path=str(instance))


def test_a_secret_key_from_the_environment_is_used_and_nothing_is_written(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app(_config(database_url, tmp_path), instance_path=str(tmp_path / "instance"))
    assert app.secret_key == "k" * 40
    assert not (tmp_path / "instance" / "secret_key").exists()


PRODUCTION_KEY = "p" * 40
PRODUCTION_URL = "https://register.example.nhs.uk"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"BASE_URL": PRODUCTION_URL}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "", "BASE_URL": PRODUCTION_URL}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "short", "BASE_URL": PRODUCTION_URL}, "SECRET_KEY must be at least 32 characters"),
        ({"SECRET_KEY": PRODUCTION_KEY}, "Set BASE_URL"),
        (
            {"SECRET_KEY": PRODUCTION_KEY, "BASE_URL": "http://register.example.nhs.uk"},
            "must start with https://",
        ),
        ({"SECRET_KEY": PRODUCTION_KEY, "BASE_URL": "register.example.nhs.uk"}, "must start with https://"),
        ({"SECRET_KEY": PRODUCTION_KEY, "BASE_URL": "https://"}, "BASE_URL must be a full address"),
    ],
)
def test_production_refuses_to_start_without_a_secret_key_and_an_https_base_url(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("INTERESTS_ENV", "production")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    instance = tmp_path / "instance"
    with pytest.raises(ConfigurationError, match=message):
        create_app(_config(database_url, tmp_path), instance_path=str(instance))
    assert not (instance / "secret_key").exists()  # production never makes up its own key


def test_production_names_every_missing_setting_at_once(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        create_app(_config(database_url, tmp_path, INTERESTS_ENV="production"), instance_path=str(tmp_path))
    assert "Set SECRET_KEY" in str(refused.value) and "Set BASE_URL" in str(refused.value)


def test_production_starts_with_a_secret_key_and_an_https_base_url(database_url: str, tmp_path: Path) -> None:
    app = create_app(
        _config(
            database_url,
            tmp_path,
            INTERESTS_ENV="production",
            SECRET_KEY=PRODUCTION_KEY,
            BASE_URL=PRODUCTION_URL + "/",
        ),
        instance_path=str(tmp_path / "instance"),
    )
    assert app.secret_key == PRODUCTION_KEY
    assert app.config["BASE_URL"] == PRODUCTION_URL
    with app.app_context():
        db.engine.dispose()


# --- 2. Links in emails come from BASE_URL ----------------------------------------------------------


STAFF_MEMBER = {
    "given_name": "Dev",
    "family_name": "Patel",
    "regulator": "GMC",
    "registration_number": "7654321",
    "email": "dev@example.org",
    "engagement_type": "practising_privileges",
    "role": "Consultant surgeon",
    "department": "",
    "start_date-day": "1",
    "start_date-month": "4",
    "start_date-year": "2025",
    "decision_maker": "no",
}


@pytest.mark.parametrize(
    ("proxies", "headers"),
    [
        (0, {"Host": "evil.example"}),
        (1, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}),
    ],
    ids=["host-header", "forwarded-host-through-a-trusted-proxy"],
)
def test_an_invitation_link_uses_base_url_whatever_host_the_request_names(
    database_url: str, tmp_path: Path, proxies: int, headers: dict[str, str]
) -> None:
    from sqlalchemy import select

    from interests.models import OutboxEmail
    from tests.conftest import make_app

    # No SERVER_NAME, as in a real deployment: the request's host is whatever the client says.
    app = make_app(
        database_url,
        tmp_path,
        SERVER_NAME=None,
        BASE_URL="https://register.example.nhs.uk",
        TRUSTED_PROXY_COUNT=proxies,
    )
    with app.app_context():
        admin = factories.make_account("provider_admin")
        email, slug = admin.email, admin.providers[0].slug
        db.session.commit()
    client = app.test_client()
    signed_in = client.post(
        "/sign-in", data={"email": email, "password": factories.PASSWORD}, headers=headers
    )
    assert signed_in.status_code == 302
    response = client.post(f"/manage/{slug}/engagements/new", data=STAFF_MEMBER, headers=headers)
    assert response.status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))
        assert invitation is not None
        links = [word for word in invitation.body.split() if "/invitations/" in word]
        assert links and all(
            link.startswith("https://register.example.nhs.uk/invitations/") for link in links
        )
        assert "evil.example" not in invitation.body
        db.session.remove()
        db.engine.dispose()


def test_email_links_go_to_the_development_address_when_base_url_is_not_set(keyless_app: Flask) -> None:
    from interests.services.outbox import absolute_url

    with keyless_app.app_context():
        assert absolute_url("declare.home") == "http://127.0.0.1:5000/declare"


# --- 3. No demo data in production ------------------------------------------------------------------


def test_demo_seed_refuses_to_run_in_production(database_url: str, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from interests.models import Account, Provider

    app = create_app(
        _config(
            database_url,
            tmp_path,
            INTERESTS_ENV="production",
            SECRET_KEY=PRODUCTION_KEY,
            BASE_URL=PRODUCTION_URL,
        ),
        instance_path=str(tmp_path / "instance"),
    )
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--providers", "2", "--professionals", "3"])
    assert result.exit_code != 0
    assert "The demo register cannot be seeded in production" in result.output
    with app.app_context():
        # Nobody can sign in with the published demo password.
        assert db.session.scalar(select(func.count()).select_from(Account)) == 0
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 0
        db.engine.dispose()


# --- 4. __Host- cookies in production ---------------------------------------------------------------


def test_production_signs_in_with_a_host_only_secure_session_cookie(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        _config(
            database_url,
            tmp_path,
            INTERESTS_ENV="production",
            SECRET_KEY=PRODUCTION_KEY,
            BASE_URL="https://localhost",
        ),
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        admin = factories.make_account("provider_admin")
        email, slug = admin.email, admin.providers[0].slug
        # A provider admin must have a second factor in production (MFA_REQUIRED_ROLES).
        secret = second_factor.start_setup(admin).secret
        second_factor.turn_on(admin, pyotp.TOTP(secret).at(time.time() - 30))
        db.session.commit()
    client = app.test_client()
    response = client.post(
        "/sign-in", data={"email": email, "password": factories.PASSWORD}, base_url="https://localhost"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/code"
    response = client.post(
        "/sign-in/code", data={"code": pyotp.TOTP(secret).now()}, base_url="https://localhost"
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    # Browsers keep a __Host- cookie only if it is Secure, for Path=/ and with no Domain, so no
    # sibling subdomain can set or overwrite it (session fixation from *.example.nhs.uk).
    name, *attributes = [part.strip() for part in cookies[0].split(";")]
    assert name.startswith("__Host-session=")
    assert "Secure" in attributes and "Path=/" in attributes and "HttpOnly" in attributes
    assert not any(attribute.lower().startswith("domain=") for attribute in attributes)
    assert client.get(f"/manage/{slug}/withholding", base_url="https://localhost").status_code == 200
    assert app.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")  # Flask-Login's, if ever used
    with app.app_context():
        db.engine.dispose()


# --- 6. The print view can be embedded, as the publication page's snippet offers ---------------------


def test_a_providers_print_view_and_register_may_be_framed_by_anyone_for_anonymous_visitors(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        admin = factories.make_account("provider_admin")
        email, slug = admin.email, admin.providers[0].slug
        db.session.commit()
    for path in (f"/providers/{slug}/print", f"/providers/{slug}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in response.headers, path
    factories.sign_in(client, email)
    for path in (f"/providers/{slug}/print", f"/providers/{slug}", f"/manage/{slug}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_every_embeddable_endpoint_names_a_real_page(app: Flask) -> None:
    from interests.security import EMBEDDABLE_ENDPOINTS

    # A misspelt name fails closed (the page is not embeddable) and silently: catch it here.
    assert set(app.view_functions) >= EMBEDDABLE_ENDPOINTS


# --- 7. Ids too big for the database ----------------------------------------------------------------


HUGE_IDS = ["99999999999999999999", str(2**31), str(2**63), str(2**64)]


@pytest.mark.alldb
@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_professional_page_with_an_id_too_big_for_the_database_is_not_found(
    client: FlaskClient, huge: str
) -> None:
    response = client.get(f"/professionals/{huge}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.alldb
@pytest.mark.parametrize("huge", HUGE_IDS)
def test_the_api_answers_an_id_too_big_for_the_database_with_a_json_not_found(
    client: FlaskClient, huge: str
) -> None:
    response = client.get(f"/api/v1/professionals/{huge}")
    assert response.status_code == 404
    assert response.json == {
        "error": {"status": 404, "message": "There is no published professional with that id"}
    }


@pytest.mark.alldb
def test_the_largest_id_the_database_holds_is_looked_up_and_not_found(client: FlaskClient) -> None:
    assert client.get(f"/professionals/{2**31 - 1}").status_code == 404
    assert client.get(f"/api/v1/professionals/{2**31 - 1}").json["error"]["status"] == 404


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_signed_in_pages_with_an_id_too_big_for_the_database_are_not_found(
    app: Flask, client: FlaskClient, huge: str
) -> None:
    with app.app_context():
        provider = factories.make_provider(slug="kestrel")
        factories.make_account("provider_admin", email="lead@kestrel.example", providers=[provider])
        factories.make_account("professional", email="pro@kestrel.example")
        factories.make_account("system_admin", email="sys@kestrel.example")
        db.session.commit()
    for email, paths in (
        (
            "lead@kestrel.example",
            [f"/manage/kestrel/engagements/{huge}", f"/manage/kestrel/declarations/{huge}"],
        ),
        ("pro@kestrel.example", [f"/declare/interests/{huge}", f"/declare/interests/{huge}/change"]),
        ("sys@kestrel.example", [f"/admin/claims/{huge}"]),
    ):
        signed_in = app.test_client()
        factories.sign_in(signed_in, email)
        for path in paths:
            response = signed_in.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.get_data(as_text=True), path
    assert client.get(f"/api/v1/providers/x/{huge}").json["error"]["status"] == 404  # JSON under /api
