"""The security log: who signed in, who was refused, who read or exported what (OWASP ASVS 5.0 V16).

`record(kind, ...)` adds an event to the caller's transaction, so it is kept exactly when the
change it describes is committed. A refused request (CSRF, 403, 429) has nothing to commit, so the
error handlers call `record_refusal(...)`, which writes in its own short transaction on its own
connection and never raises: a failing database must not turn a 403 into a 500.

Events never hold a password, token or secret: `detail` is a short note written by this code (a
path is logged without its query string, and a path holding a one-time token is logged as its
route's pattern).

Retention: `prune(...)` deletes events older than SECURITY_LOG_KEEP_DAYS with one Core DELETE
statement. That statement does not pass through the session's unit of work, so the append-only
guard (interests/models/__init__.py), which refuses every ORM delete, is not weakened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from interests.extensions import db
from interests.models import Account, SecurityEvent, utcnow
from interests.models.security import (
    ADDRESS_MAX_LENGTH,
    DETAIL_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
)
from interests.rules.text import without_controls
from interests.services import downloads
from interests.services.paging import Page, page_of

logger = logging.getLogger(__name__)

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
CSRF_REFUSED = "csrf_refused"
FORBIDDEN = "forbidden"
RATE_LIMITED = "rate_limited"
INSPECTOR_EXPORT = "inspector_export"
INSPECTOR_PROVIDER_READ = "inspector_provider_read"
ADMIN_ACTION = "admin_action"
# Written by the password, lockout and second-factor work (listed now so the log page names them).
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event's name, not a password
PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 - an event's name, not a password
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event's name, not a password
ACCOUNT_LOCKED = "account_locked"
SECOND_FACTOR_CHANGED = "second_factor_changed"

KIND_LABELS: dict[str, str] = {
    SIGN_IN: "Signed in",
    SIGN_IN_FAILED: "Sign-in failed",
    SIGN_OUT: "Signed out",
    CSRF_REFUSED: "Form refused (expired or forged)",
    FORBIDDEN: "Page refused (not allowed)",
    RATE_LIMITED: "Refused (too many requests)",
    INSPECTOR_EXPORT: "Inspector downloaded the compliance spreadsheet",
    INSPECTOR_PROVIDER_READ: "Inspector looked at a provider",
    ADMIN_ACTION: "System admin action",
    PASSWORD_CHANGED: "Password changed",
    PASSWORD_RESET_REQUESTED: "Password reset asked for",
    PASSWORD_RESET: "Password reset",
    ACCOUNT_LOCKED: "Account locked",
    SECOND_FACTOR_CHANGED: "Second factor changed",
}

EMAIL_MAX_LENGTH = 320
CSV_COLUMNS = ["When (UTC)", "What", "Code", "Account", "Email typed", "Address", "Browser", "Detail"]


def _request_facts() -> dict[str, str | None]:
    if not has_request_context():
        return {"ip_address": None, "user_agent": None}
    agent = request.headers.get("User-Agent", "")
    return {
        "ip_address": (request.remote_addr or "")[:ADDRESS_MAX_LENGTH] or None,
        "user_agent": without_controls(agent[:USER_AGENT_MAX_LENGTH]) or None,
    }


def _values(kind: str, account_id: int | None, email: str | None, detail: str) -> dict[str, object]:
    if kind not in KIND_LABELS:
        raise ValueError(f"Unknown security event kind {kind!r}")
    return {
        "occurred_at": utcnow(),
        "kind": kind,
        "account_id": account_id,
        # What a visitor typed or sent may hold control characters: a NUL (which PostgreSQL would
        # refuse, losing the event) or a line break (a forged line in an export). Shown as U+FFFD.
        "email": without_controls((email or "").strip()[:EMAIL_MAX_LENGTH]) or None,
        "detail": without_controls((detail or "")[:DETAIL_MAX_LENGTH]),
        **_request_facts(),
    }


def record(
    kind: str, *, account: Account | None = None, email: str | None = None, detail: str = ""
) -> SecurityEvent:
    """Add an event to the current transaction (kept if, and only if, the caller commits)."""
    values = _values(kind, account.id if account is not None else None, email, detail)
    event = SecurityEvent(**values)
    db.session.add(event)
    return event


def record_refusal(
    kind: str, *, account_id: int | None = None, email: str | None = None, detail: str = ""
) -> bool:
    """Write an event for a refused request at once, in its own transaction; never raises.

    The request's own session is left alone (what it holds is not to be committed). Returns whether
    the event was written; when it was not, the reason is in the server's log.
    """
    try:
        values = _values(kind, account_id, email, detail)
        with db.engine.begin() as connection:
            connection.execute(insert(SecurityEvent).values(**values))
    except SQLAlchemyError:
        logger.exception("Could not write a %s security event", kind)
        return False
    return True


@dataclass(frozen=True)
class EventFilter:
    kind: str = ""
    email: str = ""  # part of the account's address, or of the address typed
    address: str = ""  # the start of the client's IP address
    since: datetime | None = None  # UTC, inclusive
    before: datetime | None = None  # UTC, exclusive


def _filtered(query: EventFilter) -> Select[SecurityEvent, str]:  # the email is None without an account
    statement = select(SecurityEvent, Account.email).outerjoin(
        Account, Account.id == SecurityEvent.account_id
    )
    if query.kind:
        statement = statement.where(SecurityEvent.kind == query.kind)
    if query.email:
        wanted = without_controls(query.email.strip().lower())
        statement = statement.where(
            or_(
                func.lower(Account.email).contains(wanted, autoescape=True),
                func.lower(SecurityEvent.email).contains(wanted, autoescape=True),
            )
        )
    if query.address:
        address = without_controls(query.address.strip())
        statement = statement.where(SecurityEvent.ip_address.startswith(address, autoescape=True))
    if query.since is not None:
        statement = statement.where(SecurityEvent.occurred_at >= query.since)
    if query.before is not None:
        statement = statement.where(SecurityEvent.occurred_at < query.before)
    return statement


@dataclass(frozen=True)
class EventRow:
    event: SecurityEvent
    account_email: str | None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.event.kind, self.event.kind)


def events_page(query: EventFilter, page: int, per_page: int) -> Page:
    """One page of the events matching `query`, newest first."""
    return page_of(
        _filtered(query).order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc()),
        page,
        per_page,
        each=lambda row: EventRow(row[0], row[1]),
    )


def events(query: EventFilter) -> Iterator[EventRow]:
    """Every event matching `query`, newest first, read in batches."""
    statement = _filtered(query).order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
    for event, email in db.session.execute(statement.execution_options(yield_per=500)):
        yield EventRow(event, email)


def csv_lines(rows: Iterable[EventRow]) -> Iterator[str]:
    """The CSV file, a line at a time; every cell safe to open in a spreadsheet."""
    yield from downloads.csv_lines(
        CSV_COLUMNS,
        (
            [
                row.event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                row.label,
                row.event.kind,
                row.account_email,
                row.event.email,
                row.event.ip_address,
                row.event.user_agent,
                row.event.detail,
            ]
            for row in rows
        ),
    )


def prune(keep_days: int, now: datetime | None = None) -> int:
    """Delete events older than `keep_days` (a Core DELETE: the only deletion allowed). Returns how many.

    The caller commits.
    """
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    statement = delete(SecurityEvent).where(SecurityEvent.occurred_at < cutoff)
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
