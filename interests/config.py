"""Settings: every one has an embedded default that works on a laptop, overridden by environment.

DATABASE_URL       default sqlite:///<instance>/interests.sqlite3 (PostgreSQL: postgresql+psycopg://...)
SEARCH_INDEX_DIR   default <instance>/search-index (the Whoosh engine's files)
SEARCH_BACKEND     whoosh | postgres. Unset, search is answered by PostgreSQL's own tables when
                   DATABASE_URL is PostgreSQL (every server shares them, written in the change's own
                   transaction), and by Whoosh under SEARCH_INDEX_DIR otherwise. postgres needs a
                   PostgreSQL DATABASE_URL; whoosh with PostgreSQL suits a single server only.
SECRET_KEY         signs sessions. Required (32+ characters) when INTERESTS_ENV=production. In
                   development, when unset, a random key is made once and kept in <instance>/secret_key
                   (readable by its owner only); no key is ever written in the source.
SECOND_FACTOR_KEYS  the keys that seal each account's second-factor (authenticator) secret in the
                   database: comma-separated Fernet keys, newest first (the first seals, every one
                   opens). Unset, one key derived from SECRET_KEY (HKDF-SHA256), so a new SECRET_KEY
                   needs the old derived key listed here (`flask --app interests second-factor keys`
                   prints it) until `second-factor rotate` has sealed every secret again. A malformed
                   key is refused at start.
INTERESTS_ENV      development (default) | production. Production refuses to start without SECRET_KEY
                   and BASE_URL, or with a malformed SECOND_FACTOR_KEYS, and names its cookies
                   __Host-session / __Host-remember (Secure, Path=/).
BASE_URL           the public address, the only source of links in emails (never a request's Host
                   header). Required in production, https:// only; default http://127.0.0.1:5000
                   (`flask run`'s address) in development.
TRUSTED_PROXY_COUNT  default 0; behind N reverse proxies (a load balancer, nginx) set N, and the
                   client's address, scheme and host are read from the X-Forwarded-For, -Proto and
                   -Host headers the last N proxies added (werkzeug ProxyFix), so the sign-in rate
                   limit counts each client, not the proxy. Those proxies must set the headers.
REDIS_URL          unset by default. When set (redis://host:6379/0), the task queue (interests/tasks.py)
                   keeps its tasks there and the rate limits count there, shared by every process.
RATELIMIT_STORAGE_URI  where the rate limits count: REDIS_URL when that is set, else memory:// (counts
                   per process, so `gunicorn -w 4` would allow four times each limit). Set it to
                   override either.
TASK_QUEUE_FILE    default <instance>/tasks.sqlite3: the SQLite file of the embedded task queue, used
                   when REDIS_URL is unset (web and worker must share it: one machine only).
DATA_DIR           default <instance>/data: the national download's nightly files (/data). With more
                   than one server, point every server and the worker at the same shared storage.
WORKER_COUNT       default 2: threads of `flask --app interests worker` running tasks at once.
SECURITY_LOG_KEEP_DAYS  default 400: security events older than this many days are deleted by
                   `flask --app interests security-events prune` (the worker runs it daily)
PASSWORD_RESET_RATE_LIMIT  default "5 per minute;20 per hour": "forgotten your password" requests
                   per client address and per email address typed (each account also gets at most
                   3 reset emails an hour, counted in the database)
SIGN_IN_RATE_LIMIT default "30 per minute;300 per hour": sign-in attempts per client address. Generous,
                   because a trust's staff may share one address; accounts are protected by the lockout.
API_RATE_LIMIT     default "300 per minute": requests to /api/v1 (all of it together, not
                   openapi.json) per client address; over it, a JSON 429 with Retry-After.
LOCKOUT_ATTEMPTS, LOCKOUT_WINDOW_MINUTES, LOCKOUT_MINUTES   default 10, 15, 15: after that many failed
                   sign-ins on one account within the window, it is locked (from every address) for
                   LOCKOUT_MINUTES and its owner is emailed once.
SESSION_IDLE_MINUTES  signed out after this long without a request, per role; default
                   "professional=120,provider_admin=30,inspector=30,system_admin=30" (any role left
                   out keeps its default)
SESSION_MAX_HOURS  default 12: signed out this long after signing in, however active
MFA_REQUIRED_ROLES default "provider_admin,inspector,system_admin": when INTERESTS_ENV=production, an
                   account of one of these roles must have a second factor (a code from an
                   authenticator app): signed in without one, it is sent to set one up and reaches
                   nothing else until it has. Empty ("") requires it of nobody. Every account, in
                   every environment, may turn one on at /account.
IMPORT_IN_BACKGROUND_FROM_BYTES   staff-list files this size or bigger import in the background with
                   a progress page (default 262144, about 2,500 people); smaller ones at once
IMPORT_STALE_AFTER_SECONDS  default 60: a background import whose worker has been silent this long
                   was interrupted (the worker died): it is tried once more, then marked failed
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MIN_SECRET_KEY_LENGTH = 32  # characters; OWASP ASVS 5.0 V11.2: keys of at least 128 bits of entropy
DEVELOPMENT_KEY_FILE = "secret_key"  # in the instance folder; made once, kept for the next start
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"  # where `flask run` listens by default

# A year of security events and a month over, so a yearly review (or an investigation of something
# noticed late) still has the whole year; older events identify people to no purpose (UK GDPR
# storage limitation).
SECURITY_LOG_KEEP_DAYS = 400


def _keep_days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if days < 1:
        raise ConfigurationError(
            f"SECURITY_LOG_KEEP_DAYS must be a whole number of days, 1 or more, not {value!r}"
        )
    return days


# OWASP ASVS 5.0 V6.3.1 (brute force) and NCSC password guidance (lock out or throttle after around
# 10 failed attempts): 10 failures on one account within 15 minutes lock it for 15 minutes.
LOCKOUT_ATTEMPTS = 10
LOCKOUT_WINDOW_MINUTES = 15
LOCKOUT_MINUTES = 15
# OWASP ASVS 5.0 V7.3.1/V7.3.2 (inactivity and absolute session lifetime; Level 2 leaves the values
# to a documented risk decision): staff who see withheld reasons and every provider's compliance are
# signed out sooner than a professional filling in a long declaration.
SESSION_IDLE_MINUTES = {"professional": 120, "provider_admin": 30, "inspector": 30, "system_admin": 30}
SESSION_MAX_HOURS = 12
# OWASP ASVS 5.0 V6.3.3 (Level 2: multi-factor authentication): the roles that see withheld reasons,
# every provider's compliance, or run the service. Professionals are offered it, not made to.
MFA_REQUIRED_ROLES = ("provider_admin", "inspector", "system_admin")

# Threads in one worker process: the periodic jobs take locks (interests/tasks.py), so two are
# enough for a job that is running long (a nightly snapshot) not to hold up the outbox.
WORKER_COUNT = 2

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


def _read_key_file(path: Path) -> str:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, encoding="utf-8") as file:
        if stat.S_IMODE(os.fstat(file.fileno()).st_mode) & 0o077:
            # Refused rather than quietly narrowed: someone may already have read it.
            raise ConfigurationError(
                f"The development key file {path} can be read by other users of this computer. "
                "Delete it and start again: a new key is made (everyone is signed out)."
            )
        key = file.read().strip()
    if not key:
        raise ConfigurationError(f"The development key file {path} is empty. Delete it and start again.")
    return key


def development_secret_key(instance: Path) -> str:
    """The key kept in <instance>/secret_key, made (random, owner-only) the first time it is needed.

    The new key is written to a private temporary file and then linked into place, which fails if
    the file already exists: of two processes starting at once, one key wins and both use it, and
    nobody ever reads a half-written file.
    """
    path = instance / DEVELOPMENT_KEY_FILE
    if path.exists():
        return _read_key_file(path)
    instance.mkdir(parents=True, exist_ok=True)
    draft = instance / f".{DEVELOPMENT_KEY_FILE}.{secrets.token_hex(8)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process made the key first: use theirs
            os.link(draft, path)
    finally:
        draft.unlink()
    return _read_key_file(path)


def _whole_number(name: str, value: Any, smallest: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = smallest - 1
    if number < smallest:
        raise ConfigurationError(f"{name} must be a whole number, {smallest} or more, not {value!r}")
    return number


def _idle_minutes(value: Any) -> dict[str, int]:
    """SESSION_IDLE_MINUTES: a dict, or "role=minutes,role=minutes" from the environment."""
    minutes = dict(SESSION_IDLE_MINUTES)
    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = [part.partition("=")[::2] for part in str(value).split(",") if part.strip()]
    for role, amount in pairs:
        role = str(role).strip()
        if role not in SESSION_IDLE_MINUTES:
            raise ConfigurationError(
                f"SESSION_IDLE_MINUTES names a role that does not exist: {role!r} "
                f"(roles: {', '.join(SESSION_IDLE_MINUTES)})"
            )
        minutes[role] = _whole_number(f"SESSION_IDLE_MINUTES for {role}", amount)
    return minutes


def _mfa_required_roles(value: Any) -> frozenset[str]:
    """MFA_REQUIRED_ROLES: a list, or "role,role" from the environment ("" for none)."""
    roles = value if isinstance(value, list | tuple | set | frozenset) else str(value).split(",")
    chosen = frozenset(str(role).strip() for role in roles if str(role).strip())
    unknown = sorted(chosen - set(SESSION_IDLE_MINUTES))
    if unknown:
        raise ConfigurationError(
            f"MFA_REQUIRED_ROLES names a role that does not exist: {', '.join(unknown)} "
            f"(roles: {', '.join(SESSION_IDLE_MINUTES)})"
        )
    return chosen


def _base_url(value: Any, production: bool) -> str:
    url = str(value).strip().rstrip("/")
    parts = urlsplit(url)
    schemes = ("https",) if production else ("https", "http")
    if parts.scheme not in schemes:
        raise ConfigurationError(
            f"BASE_URL must start with {' or '.join(s + '://' for s in schemes)}"
            f"{' in production' if production else ''} (it is {value!r})"
        )
    if not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"BASE_URL must be a full address such as https://register.example.nhs.uk (it is {value!r})"
        )
    return url


def _second_factor_keys(settings: dict[str, Any]) -> tuple[str, ...]:
    """SECOND_FACTOR_KEYS as the keys themselves, newest first (interests/services/sealing.py)."""
    from interests.services.sealing import BadKeys, keys_from_setting

    value = settings.get("SECOND_FACTOR_KEYS") or ""
    if isinstance(value, list | tuple):
        value = ",".join(value)
    try:
        return keys_from_setting(str(value), str(settings.get("SECRET_KEY") or ""))
    except BadKeys as error:
        raise ConfigurationError(str(error)) from None


def _check_production(settings: dict[str, Any]) -> None:
    """Refuse to start half-configured, naming everything that is missing at once."""
    problems = []
    key = settings.get("SECRET_KEY") or ""
    if not key:
        problems.append(
            f"Set SECRET_KEY to a long random value ({MIN_SECRET_KEY_LENGTH}+ characters, for example "
            "from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production")
    if not settings.get("BASE_URL"):
        problems.append("Set BASE_URL to the service's public https:// address (links in emails use it)")
    try:
        _second_factor_keys(settings)
    except ConfigurationError as error:
        problems.append(str(error))
    if problems:
        raise ConfigurationError("Cannot start in production: " + "; ".join(problems) + ".")


def _search_backend(settings: dict[str, Any]) -> str:
    """SEARCH_BACKEND as given or chosen from the database (interests.search.engine_name)."""
    from interests.search import engine_name

    try:
        chosen = engine_name(settings)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    if chosen == "postgres" and not str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        raise ConfigurationError("SEARCH_BACKEND=postgres needs DATABASE_URL to name a PostgreSQL database")
    return chosen


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
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        # Seal the second-factor secrets in the database (interests/services/sealing.py); unset, a
        # key derived from SECRET_KEY.
        "SECOND_FACTOR_KEYS": env.get("SECOND_FACTOR_KEYS", ""),
        "BASE_URL": env.get("BASE_URL", ""),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(
            env.get("DATABASE_URL", f"sqlite:///{instance / 'interests.sqlite3'}")
        ),
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR", str(instance / "search-index")),
        "SEARCH_BACKEND": env.get("SEARCH_BACKEND", ""),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        # In production the __Host- prefix makes browsers keep the cookie only if it is Secure, for
        # Path=/ and has no Domain: a sibling subdomain cannot plant or overwrite it (session fixation).
        # Browsers refuse __Host- cookies over http, so development keeps the plain names.
        "SESSION_COOKIE_NAME": "__Host-session" if environment == "production" else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_NAME": "__Host-remember" if environment == "production" else "remember_token",
        "REMEMBER_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_DOMAIN": None,
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
        "RATELIMIT_ENABLED": True,
        # Password reset requests per client address and per address typed (ASVS 5.0 V6.3, V6.4).
        "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        # Sign-in attempts per client address (OWASP ASVS 5.0 V6.3: resist credential stuffing).
        # Generous: one bad actor behind a trust's shared address must not lock out its staff; each
        # account has its own lockout (LOCKOUT_*) whatever address tries.
        "SIGN_IN_RATE_LIMIT": env.get("SIGN_IN_RATE_LIMIT", "30 per minute;300 per hour"),
        # The open-data API, per client address: a script may page through it, not hammer search.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "300 per minute"),
        "LOCKOUT_ATTEMPTS": env.get("LOCKOUT_ATTEMPTS", LOCKOUT_ATTEMPTS),
        "LOCKOUT_WINDOW_MINUTES": env.get("LOCKOUT_WINDOW_MINUTES", LOCKOUT_WINDOW_MINUTES),
        "LOCKOUT_MINUTES": env.get("LOCKOUT_MINUTES", LOCKOUT_MINUTES),
        "SESSION_IDLE_MINUTES": env.get("SESSION_IDLE_MINUTES", SESSION_IDLE_MINUTES),
        "SESSION_MAX_HOURS": env.get("SESSION_MAX_HOURS", SESSION_MAX_HOURS),
        # Roles that must have a second factor in production (anyone may have one anywhere).
        "MFA_REQUIRED_ROLES": env.get("MFA_REQUIRED_ROLES", ",".join(MFA_REQUIRED_ROLES)),
        # Shared counts and the task queue, when set (interests/tasks.py).
        "REDIS_URL": env.get("REDIS_URL", ""),
        # Flask-Limiter's own setting: where the counts live (memory:// is per process). Unset, it
        # follows REDIS_URL, so every process counts towards the same limit.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", ""),
        # The embedded task queue (Huey on SQLite) when there is no Redis.
        "TASK_QUEUE_FILE": env.get("TASK_QUEUE_FILE", str(instance / "tasks.sqlite3")),
        "WORKER_COUNT": env.get("WORKER_COUNT", WORKER_COUNT),
        # The national download's nightly files (interests/services/national_data.py): shared storage on
        # the national path, as every server serves them.
        "DATA_DIR": env.get("DATA_DIR", str(instance / "data")),
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
        # How long security events are kept (days); the prune command deletes older ones.
        "SECURITY_LOG_KEEP_DAYS": env.get("SECURITY_LOG_KEEP_DAYS", SECURITY_LOG_KEEP_DAYS),
        # Staff lists this big (about 2,500 people) import in the background with a progress page.
        "IMPORT_IN_BACKGROUND_FROM_BYTES": int(env.get("IMPORT_IN_BACKGROUND_FROM_BYTES", 256 * 1024)),
        # A background import's worker beats 4 times in this; silent this long, it was interrupted.
        "IMPORT_STALE_AFTER_SECONDS": float(env.get("IMPORT_STALE_AFTER_SECONDS", 60)),
    }
    settings.update(overrides)
    settings["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    settings["TRUSTED_PROXY_COUNT"] = _trusted_proxy_count(settings["TRUSTED_PROXY_COUNT"])
    settings["SECURITY_LOG_KEEP_DAYS"] = _keep_days(settings["SECURITY_LOG_KEEP_DAYS"])
    settings["SEARCH_BACKEND"] = _search_backend(settings)
    if not settings["RATELIMIT_STORAGE_URI"]:
        settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    for name in (
        "LOCKOUT_ATTEMPTS",
        "LOCKOUT_WINDOW_MINUTES",
        "LOCKOUT_MINUTES",
        "SESSION_MAX_HOURS",
        "WORKER_COUNT",
    ):
        settings[name] = _whole_number(name, settings[name])
    settings["SESSION_IDLE_MINUTES"] = _idle_minutes(settings["SESSION_IDLE_MINUTES"])
    settings["MFA_REQUIRED_ROLES"] = _mfa_required_roles(settings["MFA_REQUIRED_ROLES"])
    production = settings["INTERESTS_ENV"] == "production"
    if production:
        _check_production(settings)
    elif not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = development_secret_key(instance)
    settings["SECOND_FACTOR_KEYS"] = _second_factor_keys(settings)
    settings["BASE_URL"] = _base_url(settings["BASE_URL"] or DEVELOPMENT_BASE_URL, production)
    return settings
