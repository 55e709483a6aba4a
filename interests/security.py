"""Passwords, sessions, access by role, safe redirects and the headers every response carries."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.routing import IntegerConverter, UnicodeConverter


# argon2id with argon2-cffi's defaults (m=65536 KiB, t=3, p=4): OWASP ASVS 5.0 V11.4. Tests
# configure a cheaper hasher; hashes record their own parameters, so either verifies the other.
class _Hasher:
    def __init__(self, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Verified against when no account matches: a wrong email costs as long as a wrong password.
        self.dummy_hash = self.hasher.hash("not a real password")


def _current_hasher() -> PasswordHasher:
    return _hasher_state().hasher


def _hasher_state() -> _Hasher:
    return current_app.extensions["interests.password_hasher"]  # type: ignore[no-any-return]


F = TypeVar("F", bound=Callable[..., Any])


def hash_password(password: str) -> str:
    return _current_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    state = _hasher_state()
    try:
        return state.hasher.verify(password_hash or state.dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _current_hasher().check_needs_rehash(password_hash)


def safe_next_path(target: str | None) -> str | None:
    """A same-site path to go to after sign-in, or None.

    Only a relative path starting with a single "/" is accepted: no scheme, no host, no
    backslash, no control characters ("////evil.example/" and "https:evil.example" are refused).
    """
    if not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only signed-in accounts with one of the roles; others get 403, anonymous sign in."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from interests.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- Session lifetime (OWASP ASVS 5.0 V7.2.4, V7.3.1, V7.3.2, V7.5.3) ------------------------------
# Unix times kept in the signed session cookie: the client cannot change them without the key.
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
# The last time the password was entered (at sign-in or on the "Confirm your password" page).
PASSWORD_AT = "password_at"  # noqa: S105 - the name of a session key, not a password


def _now() -> float:
    from interests.models import utcnow

    return utcnow().timestamp()


def start_session(account: Any) -> None:
    """Sign the account in on a new session.

    Everything from before is dropped first (session fixation, ASVS V7.2.4): nothing a visitor had,
    or was given, before signing in carries over, including the CSRF secret, so a token seen
    before sign-in is useless after it.
    """
    session.clear()
    login_user(account)
    now = _now()
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = session[PASSWORD_AT] = now


def continue_session(account: Any) -> None:
    """Keep this session signed in after the account's sessions were all ended (a new password).

    The session's cookie names the account's new session version, and its CSRF secret is replaced
    (ASVS V7.2.4): a token seen before the change is useless after it. The sign-in times carry on.
    """
    session.pop("csrf_token", None)  # Flask-WTF's secret; a new one is made for the next form
    login_user(account)
    password_confirmed()


def password_confirmed() -> None:
    """The person has just proved it is them again: their password, or a code from their app."""
    session[PASSWORD_AT] = _now()


# --- A sign-in waiting for its second factor ---------------------------------------------------------
# After the right password, an account with a second factor is not signed in: the session holds only
# which account, at which session version, since when and where to go next. It lasts five minutes
# (long enough to find the phone), and a new session version (a password changed or every session
# ended elsewhere) ends it too.
PENDING_SIGN_IN = "pending_sign_in"
PENDING_SIGN_IN_SECONDS = 300


def begin_pending_sign_in(account: Any, next_path: str | None) -> None:
    session.clear()  # nothing from before carries over, as at a full sign-in (start_session)
    session[PENDING_SIGN_IN] = {
        "account_id": account.id,
        "version": account.session_version,
        "at": _now(),
        "next": safe_next_path(next_path) or "",
    }


def pending_sign_in() -> tuple[int, int, str] | None:
    """The account id, session version and next path of a sign-in waiting for its code, if it has
    not expired; an expired one is forgotten."""
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict):
        return None
    at, account_id, version = pending.get("at"), pending.get("account_id"), pending.get("version")
    if (
        not isinstance(at, int | float)
        or not isinstance(account_id, int)
        or not isinstance(version, int)
        or not 0 <= _now() - at < PENDING_SIGN_IN_SECONDS
    ):
        session.pop(PENDING_SIGN_IN, None)
        return None
    return account_id, version, safe_next_path(pending.get("next")) or ""


def end_pending_sign_in() -> None:
    session.pop(PENDING_SIGN_IN, None)


# Pages an account that must set up a second factor can still reach (besides setting it up).
SECOND_FACTOR_SETUP_ENDPOINTS = frozenset(
    {"static", "auth.sign_out", "auth.confirm_password", "auth.confirm_code", "account.set_up_second_factor"}
)


def _require_second_factor() -> Any:
    """Before every request, in production: a role that must have a second factor (MFA_REQUIRED_ROLES)
    and has none is sent to set one up, and reaches nothing else until it has (ASVS V6.3.3)."""
    config = current_app.config
    if (
        config["INTERESTS_ENV"] != "production"
        or request.endpoint in SECOND_FACTOR_SETUP_ENDPOINTS
        or not current_user.is_authenticated
        or current_user.role not in config["MFA_REQUIRED_ROLES"]
        or current_user.has_second_factor
    ):
        return None
    return redirect(url_for("account.set_up_second_factor"))


def session_expiry(
    signed_in_at: float | None, last_seen_at: float | None, now: float, idle_minutes: int, max_hours: int
) -> str | None:
    """Why a session has ended ("idle" or "absolute"), or None while it lasts.

    A session with no times (made before they were kept, or by a remember-me cookie) has ended.
    """
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen_at, int | float):
        return "absolute"
    if now - signed_in_at >= max_hours * 3600:
        return "absolute"
    if now - last_seen_at >= idle_minutes * 60:
        return "idle"
    return None


def _end_stale_session() -> Any:
    """Before every request: sign out a session idle or older than allowed, else note the activity."""
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        # The register never issues remember-me cookies: a session is only ever started by signing
        # in, with the times its timeouts run from. One that arrives anyway (made by an older
        # release, or replayed) is not read, and Flask-Login deletes it from the browser.
        session["_remember"] = "clear"
    # A session that names no account has nothing to expire (Flask-Login keeps the id at "_user_id").
    if request.endpoint == "static" or "_user_id" not in session or not current_user.is_authenticated:
        return None
    config = current_app.config
    idle_minutes = config["SESSION_IDLE_MINUTES"][current_user.role]
    now = _now()
    ended = session_expiry(
        session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT), now, idle_minutes, config["SESSION_MAX_HOURS"]
    )
    if ended is None:
        session[LAST_SEEN_AT] = now
        return None
    logout_user()
    session.clear()
    if request.blueprint == "api":
        return None  # public data: answered as to anyone, with no message left for a later page
    if ended == "idle":
        flash(f"You were signed out after {idle_minutes} minutes without activity", "info")
    else:
        flash(f"You were signed out {config['SESSION_MAX_HOURS']} hours after signing in", "info")
    if request.blueprint in PUBLIC_BLUEPRINTS:
        return None  # the public page they asked for, now as anyone sees it, with the message
    back = _this_page() if request.method == "GET" and request.blueprint != "auth" else None
    return redirect(url_for("auth.sign_in", next=back))


def _this_page() -> str | None:
    path = request.full_path.rstrip("?") if request.query_string else request.path
    return safe_next_path(path)


def fresh_sign_in_required(minutes: int = 15) -> Callable[[F], F]:
    """Ask for the password again when it was last entered more than `minutes` ago (ASVS V7.5.3).

    An account with a second factor may give a code from its app instead (/sign-in/confirm/code).
    The user confirms it at /sign-in/confirm and comes back to this page (a form is shown again
    rather than its post replayed). Put it below the role check, so others get their 403 first.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from interests.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            entered = session.get(PASSWORD_AT)
            if not isinstance(entered, int | float) or _now() - entered > minutes * 60:
                back = _this_page() if request.method == "GET" else safe_next_path(request.path)
                return redirect(url_for("auth.confirm_password", next=back))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def csp_nonce() -> str:
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


# How long browsers and shared caches may keep an anonymous visitor's copy of the public register,
# its downloads and the API: a new or withdrawn entry shows at most five minutes late, and a busy
# register page is built once per cache rather than once per patient.
PUBLIC_MAX_AGE_SECONDS = 300

# Anonymous GETs of these blueprints' pages may be cached publicly (the register is public).
PUBLIC_BLUEPRINTS = frozenset({"public", "api"})
# A URL argument with one of these names is a secret (an emailed one-time link): never stored.
TOKEN_ARGUMENTS = frozenset({"token"})

# Public pages providers may embed in their own websites (the snippet on /manage/<slug>/publication).
EMBEDDABLE_ENDPOINTS = frozenset({"public.provider_register", "public.register_print"})


def _security_headers(response: Response) -> Response:
    nonce = csp_nonce()
    signed_in = bool(current_user and current_user.is_authenticated)
    embeddable = request.endpoint in EMBEDDABLE_ENDPOINTS and not signed_in
    response.headers["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors *" if embeddable else "frame-ancestors 'none'",
        ]
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # An address holding a one-time token is sent nowhere, not even to this site's own scripts and
    # styles (their requests would carry it to access logs): OWASP ASVS 5.0 V14.3.
    secret_address = bool(request.view_args) and not TOKEN_ARGUMENTS.isdisjoint(request.view_args or {})
    response.headers["Referrer-Policy"] = (
        "no-referrer" if secret_address else "strict-origin-when-cross-origin"
    )
    if not embeddable:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    _cache_headers(response, signed_in, nonce)
    return response


def _private(signed_in: bool) -> bool:
    """Whether this response may hold something for this visitor only."""
    if signed_in:
        return True  # their own data, or at least their name and a sign-out form
    if request.view_args and not TOKEN_ARGUMENTS.isdisjoint(request.view_args):
        return True  # the address itself is a secret (an emailed one-time link)
    if g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")):
        return True  # a form's CSRF token, tied to this visitor's session
    # Flask-Login reads the session on every page to see who is signed in, so Flask adds
    # "Vary: Cookie" even for a visitor with no cookie. What makes a page theirs alone is a session
    # with something in it (a flash message, a CSRF secret) or one this response changes.
    return bool(session) or session.modified


def _cache_headers(response: Response, signed_in: bool, nonce: str) -> None:
    if request.endpoint == "static":
        return  # the same file for everyone; the static view sets its own caching
    if _private(signed_in):
        response.headers["Cache-Control"] = "no-store"
        return
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or request.blueprint not in PUBLIC_BLUEPRINTS
        or "Set-Cookie" in response.headers
        or response.is_streamed
        or response.direct_passthrough
    ):
        return
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE_SECONDS}"
    # Each page carries this response's CSP nonce: leave it out of the ETag so an unchanged page
    # revalidates, and the ETag is weak because the bytes differ by that nonce.
    body = response.get_data().replace(nonce.encode(), b"")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32], weak=True)
    response.make_conditional(request)
    if response.status_code == 304:
        # A 304's headers replace the cached copy's: a new nonce would block that copy's scripts.
        del response.headers["Content-Security-Policy"]


LARGEST_DATABASE_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL's largest (SQLite's is 2**63 - 1)


class _DatabaseId(IntegerConverter):
    """``<int:...>`` in every URL: a number no id column can hold matches no route (a 404), rather
    than reaching the database, which refuses it (SQLite OverflowError, PostgreSQL "out of range")."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


class _PathText(UnicodeConverter):
    """``<slug>``, ``<token>`` and every other text in a URL: one holding a NUL matches no route (a
    404), rather than reaching the database, which refuses it (PostgreSQL: "cannot contain NUL")."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def init_app(app: Flask) -> None:
    from interests.extensions import db, login_manager

    # Before any blueprint is registered: rules take their converter when they are added.
    app.url_map.converters["any_text"] = UnicodeConverter  # a token page answers a forged one itself
    app.url_map.converters["int"] = _DatabaseId
    app.url_map.converters["default"] = app.url_map.converters["string"] = _PathText
    from interests.models import Account

    app.extensions["interests.password_hasher"] = _Hasher(
        app.config["PASSWORD_HASH_TIME_COST"],
        app.config["PASSWORD_HASH_MEMORY_KIB"],
        app.config["PASSWORD_HASH_PARALLELISM"],
    )
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_account(session_id: str) -> Account | None:
        account_id, _, version = session_id.partition(":")
        if not account_id.isdigit() or not version.isdigit():
            return None
        account = db.session.get(Account, int(account_id))
        if account is None or not account.active or account.session_version != int(version):
            return None
        return account

    app.before_request(_end_stale_session)
    app.before_request(_require_second_factor)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # Exposed for templates: the request path for "next" links.
    app.jinja_env.globals["safe_next_path"] = safe_next_path
