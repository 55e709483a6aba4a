"""Settings: every one has an embedded default that works on a laptop, overridden by environment.

DATABASE_URL       default sqlite:///<instance>/interests.sqlite3 (PostgreSQL: postgresql+psycopg://...)
SEARCH_INDEX_DIR   default <instance>/search-index
SECRET_KEY         required when INTERESTS_ENV=production; a fixed development key otherwise
INTERESTS_ENV      development (default) | production
TRUSTED_PROXY_COUNT  default 0; behind N reverse proxies (a load balancer, nginx) set N, and the
                   client's address, scheme and host are read from the X-Forwarded-For, -Proto and
                   -Host headers the last N proxies added (werkzeug ProxyFix), so the sign-in rate
                   limit counts each client, not the proxy. Those proxies must set the headers.
RATELIMIT_STORAGE_URI  default memory:// (counts per process); several worker processes share
                   limits through e.g. redis://host:6379/0 (needs the `redis` package installed)
IMPORT_IN_BACKGROUND_FROM_BYTES   staff-list files this size or bigger import in the background with
                   a progress page (default 262144, about 2,500 people); smaller ones at once
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEVELOPMENT_SECRET_KEY = "development-only-not-secret"  # noqa: S105 - refused in production

# Product card, "Compliance": the rating thresholds (configurable per deployment).
COMPLIANCE_MEETS_PERCENT = 95
COMPLIANCE_REQUIRES_IMPROVEMENT_PERCENT = 75


class ConfigurationError(RuntimeError):
    pass


def _trusted_proxy_count(value: Any) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ConfigurationError(
            f"TRUSTED_PROXY_COUNT must be a whole number, 0 or more (the number of proxies), not {value!r}"
        )
    return count


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy 2 needs the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    overrides = overrides or {}
    environment = overrides.get("INTERESTS_ENV", env.get("INTERESTS_ENV", "development"))
    instance = Path(instance_path)
    settings: dict[str, Any] = {
        "INTERESTS_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(
            env.get("DATABASE_URL", f"sqlite:///{instance / 'interests.sqlite3'}")
        ),
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR", str(instance / "search-index")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
        "RATELIMIT_ENABLED": True,
        # Sign-in attempts per client address (OWASP ASVS 5.0 V6.3: resist credential stuffing).
        "SIGN_IN_RATE_LIMIT": env.get("SIGN_IN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Flask-Limiter's own setting: where the counts live (memory:// is per process).
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are believed (ProxyFix).
        "TRUSTED_PROXY_COUNT": env.get("TRUSTED_PROXY_COUNT", "0"),
        # argon2id parameters (argon2-cffi defaults; OWASP ASVS 5.0 V11.4). Tests lower them.
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_KIB": 65536,
        "PASSWORD_HASH_PARALLELISM": 4,
        "COMPLIANCE_MEETS_PERCENT": COMPLIANCE_MEETS_PERCENT,
        "COMPLIANCE_REQUIRES_IMPROVEMENT_PERCENT": COMPLIANCE_REQUIRES_IMPROVEMENT_PERCENT,
        "SERVICE_NAME": "Register of declared interests",
        "PAGE_SIZE": 25,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # a 50,000-row staff CSV fits
        # Staff lists this big (about 2,500 people) import in the background with a progress page.
        "IMPORT_IN_BACKGROUND_FROM_BYTES": int(env.get("IMPORT_IN_BACKGROUND_FROM_BYTES", 256 * 1024)),
    }
    settings.update(overrides)
    settings["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    settings["TRUSTED_PROXY_COUNT"] = _trusted_proxy_count(settings["TRUSTED_PROXY_COUNT"])
    if settings["INTERESTS_ENV"] == "production" and settings["SECRET_KEY"] in ("", DEVELOPMENT_SECRET_KEY):
        raise ConfigurationError("Set SECRET_KEY to a long random value before running in production")
    if settings["INTERESTS_ENV"] == "production" and len(settings["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters in production")
    return settings
