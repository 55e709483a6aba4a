"""Email alerts: a daily digest of what changed, as published, at a provider, for a professional, or
for the people a search finds. No account: an address confirms by a link (double opt-in) and leaves
by a link (one click, RFC 8058).

- **Links are signed tokens** (itsdangerous, on SECRET_KEY) naming the subscription and its nonce:
  a confirmation link works for CONFIRM_VALID_DAYS; an unsubscribe link as long as the subscription
  exists. A forged, altered, expired or spent link finds nothing.
- **Nothing tells whether an address is subscribed**: asking always gets the same answer, and an
  email goes out only when it may (not already confirmed, no other confirmation email to that
  address in the last day, fewer than MAX_PER_ADDRESS alerts at that address).
- **Addresses are kept only for this**: unsubscribing deletes the row, and the address's alert
  emails from the outbox once it follows nothing else; an unconfirmed row goes when its link expires.
- **The digest** (the worker, daily: interests/tasks.py) reads `register.changes` since the last
  one, the same code as the Atom feeds, so it shows only what is published.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from interests import clock
from interests.extensions import db
from interests.models import AlertSubscription, OutboxEmail, utcnow
from interests.rules.text import without_controls
from interests.services import register, search_index
from interests.services.outbox import absolute_url, send_email
from interests.unit_of_work import transaction

CONFIRM_VALID_DAYS = 7
MAX_PER_ADDRESS = 20
CONFIRMATION_EMAILS_PER_DAY = 1  # per address, across everything it asks to follow
DIGEST_MAX_CHANGES = 50
# A change is dated when its request began (a declaration's signed_at, an action's recorded_at) and
# committed a moment later: a digest tells changes up to this long before it runs, and the next one
# starts from there, so a change still being saved while a digest runs is told the next day, not lost.
DIGEST_SETTLE = timedelta(minutes=10)
SEARCH_PEOPLE = 50
MAX_QUERY_LENGTH = 200
ALERT_EMAIL_KINDS = ("alert_confirm", "alert_digest")
_CONFIRM_SALT = "alert-confirm"
_UNSUBSCRIBE_SALT = "alert-unsubscribe"


@dataclass(frozen=True)
class Target:
    """What an alert follows: kind, its key (a slug, an id, a search) and its name in words."""

    kind: str
    key: str
    label: str


def _today() -> date:
    return clock.today()


def find_target(provider: str | None, professional: str | None, q: str | None) -> Target | None:
    """The thing named by /alerts?provider= or ?professional= or ?q=, if it can be followed."""
    if provider:
        found = register.provider_by_slug(without_controls(provider[:200]))  # NUL: no match, not an error
        return Target("provider", found.slug, found.name) if found is not None else None
    if professional:
        if not professional.isascii() or not professional.isdigit() or int(professional) > 2**31 - 1:
            return None
        summaries = register.professional_summaries([int(professional)], _today())
        return Target("professional", str(int(professional)), summaries[0].name) if summaries else None
    if q is not None:
        query = without_controls(" ".join(q.split()))
        if not query or len(query) > MAX_QUERY_LENGTH:
            return None
        return Target("search", query, f"a search for ‘{query}’")
    return None


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=salt)


def confirm_token(subscription: AlertSubscription) -> str:
    return str(_serializer(_CONFIRM_SALT).dumps([subscription.id, subscription.nonce]))


def unsubscribe_token(subscription: AlertSubscription) -> str:
    return str(_serializer(_UNSUBSCRIBE_SALT).dumps([subscription.id, subscription.nonce]))


def _subscription_for(token: str, salt: str, max_age: int | None) -> AlertSubscription | None:
    try:
        value: Any = _serializer(salt).loads(token[:500], max_age=max_age)
    except BadData:  # forged, altered, expired or not a token at all
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        return None
    if not 0 < value[0] <= 2**31 - 1 or not isinstance(value[1], str):
        return None
    subscription = db.session.get(AlertSubscription, value[0])
    if subscription is None or not secrets.compare_digest(subscription.nonce, value[1]):
        return None
    return subscription


def confirmable(token: str) -> AlertSubscription | None:
    """The unconfirmed subscription a confirmation link names, while the link works."""
    found = _subscription_for(token, _CONFIRM_SALT, CONFIRM_VALID_DAYS * 24 * 3600)
    return found if found is not None and found.confirmed_at is None else None


def subscribed(token: str) -> AlertSubscription | None:
    """The subscription an unsubscribe link names (confirmed or not), while it exists."""
    return _subscription_for(token, _UNSUBSCRIBE_SALT, None)


def subscribe(email: str, target: Target) -> None:
    """Ask for alerts about `target` at `email`: emails a confirmation link when it may. Says
    nothing about what happened (the caller shows the same page whatever it was). Caller commits."""
    email = email.strip().lower()
    now = utcnow()
    mine = select(AlertSubscription).where(AlertSubscription.email == email)
    existing = db.session.scalar(
        mine.where(AlertSubscription.kind == target.kind, AlertSubscription.target == target.key)
    )
    if existing is not None and existing.confirmed_at is not None:
        return  # already following it
    recent = db.session.scalar(
        select(func.count())
        .select_from(AlertSubscription)
        .where(
            AlertSubscription.email == email,
            AlertSubscription.confirmed_at.is_(None),
            AlertSubscription.confirmation_sent_at > now - timedelta(days=1),
        )
    )
    if (recent or 0) >= CONFIRMATION_EMAILS_PER_DAY:
        return  # one confirmation email a day: the form cannot be used to flood someone's inbox
    if existing is None:
        count = db.session.scalar(
            select(func.count()).select_from(AlertSubscription).where(AlertSubscription.email == email)
        )
        if (count or 0) >= MAX_PER_ADDRESS:
            return
        existing = AlertSubscription(
            email=email,
            kind=target.kind,
            target=target.key,
            label=target.label[:300],
            nonce=secrets.token_urlsafe(16)[:32],
        )
        if not added(existing):
            return  # the same request twice at once: the other one won
    existing.confirmation_sent_at = now
    # A search is anyone's text: it stays out of an email to an address not yet confirmed (the
    # confirmation page shows it), so the form cannot carry a stranger's message to an inbox.
    what = "a search" if target.kind == "search" else target.label
    link = absolute_url("alerts.confirm", token=confirm_token(existing))
    send_email(
        kind="alert_confirm",
        to=email,
        subject=f"Confirm your email alerts about {what}",
        body=(
            f"Someone asked for a daily email about changes on the register of interests for "
            f"{what}, and gave this email address.\n\n"
            f"If it was you, use this link to confirm. It works for {CONFIRM_VALID_DAYS} days:\n\n{link}\n\n"
            "If it was not you, ignore this email: we will not email you again about it, and we "
            "delete your address when the link expires.\n"
        ),
    )


def added(subscription: AlertSubscription) -> bool:
    """Add a new subscription; False, and nothing changed, if its (address, kind, target) was
    saved by another request since we looked."""
    try:
        with db.session.begin_nested():
            db.session.add(subscription)
    except IntegrityError:
        return False
    return True


def confirm(subscription: AlertSubscription) -> None:
    """Start the alerts: the first digest tells of changes after now. Caller commits."""
    now = utcnow()
    subscription.confirmed_at = now
    subscription.told_up_to = now


def unsubscribe(subscription: AlertSubscription) -> None:
    """Delete the subscription; if its address follows nothing else, delete its alert emails too.
    Caller commits."""
    email = subscription.email
    db.session.delete(subscription)
    db.session.flush()
    others = db.session.scalar(
        select(func.count()).select_from(AlertSubscription).where(AlertSubscription.email == email)
    )
    if not others:
        db.session.execute(
            delete(OutboxEmail).where(
                OutboxEmail.to_address == email, OutboxEmail.kind.in_(ALERT_EMAIL_KINDS)
            )
        )


def delete_expired(now: datetime) -> int:
    """Delete subscriptions never confirmed whose link has expired. Caller commits."""
    result = db.session.execute(
        delete(AlertSubscription).where(
            AlertSubscription.confirmed_at.is_(None),
            AlertSubscription.created_at < now - timedelta(days=CONFIRM_VALID_DAYS),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def changes_for(
    subscription: AlertSubscription, today: date, since: datetime | None
) -> list[register.Change]:
    """What changed, as published, for what this subscription follows (newest first)."""
    if subscription.kind == "provider":
        provider = register.provider_by_slug(subscription.target)
        if provider is None:
            return []
        return register.provider_changes(provider.id, today, since=since, limit=DIGEST_MAX_CHANGES)
    if subscription.kind == "professional":
        people = [int(subscription.target)]
    else:
        results = search_index.search(subscription.target, page=1, per_page=SEARCH_PEOPLE)
        people = [hit["summary"].professional_id for hit in results.professionals]
    return register.professional_changes(people, today, since=since, limit=DIGEST_MAX_CHANGES)


def page_url(subscription: AlertSubscription) -> str:
    if subscription.kind == "provider":
        return absolute_url("public.provider_register", slug=subscription.target)
    if subscription.kind == "professional":
        return absolute_url("public.professional", professional_id=int(subscription.target))
    return absolute_url("public.search", q=subscription.target)


def digest_body(
    subscription: AlertSubscription, changes: list[register.Change], unsubscribe_link: str
) -> str:
    lines = [
        f"What changed on the register of interests for {subscription.label}:",
        "",
    ]
    for change in reversed(changes):  # oldest first, as a day reads
        lines += [
            change.title,
            change.text,
            absolute_url("public.professional", professional_id=change.professional_id),
            "",
        ]
    if len(changes) >= DIGEST_MAX_CHANGES:
        lines += [
            f"These are the latest {DIGEST_MAX_CHANGES} changes. There may be more on the register.",
            "",
        ]
    lines += [
        f"See the register: {page_url(subscription)}",
        "",
        "---",
        f"Stop these emails: {unsubscribe_link}",
        "We keep your email address only to send you these alerts. When you stop them, we delete it.",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Digests:
    sent: int
    expired: int


def send_digests(now: datetime | None = None) -> Digests:
    """One digest per confirmed subscription with changes since its last one; each subscription in
    a transaction of its own, so a failure keeps what was done. Then delete expired unconfirmed ones."""
    now = now or utcnow()
    today = _today()
    sent = 0
    last_id = 0
    while True:
        ids = list(
            db.session.scalars(
                select(AlertSubscription.id)
                .where(AlertSubscription.confirmed_at.is_not(None), AlertSubscription.id > last_id)
                .order_by(AlertSubscription.id)
                .limit(200)
            )
        )
        if not ids:
            break
        last_id = ids[-1]
        for subscription_id in ids:
            with transaction():
                subscription = db.session.get(AlertSubscription, subscription_id)
                if subscription is None or subscription.confirmed_at is None:
                    continue
                since = subscription.told_up_to or subscription.confirmed_at
                up_to = max(now - DIGEST_SETTLE, since)
                try:
                    changes = [c for c in changes_for(subscription, today, since) if c.at <= up_to]
                except search_index.SearchUnavailable:
                    continue  # tried again tomorrow, from the same moment
                if changes:
                    link = absolute_url("alerts.unsubscribe", token=unsubscribe_token(subscription))
                    send_email(
                        kind="alert_digest",
                        to=subscription.email,
                        subject=f"Register of interests: {len(changes)} "
                        f"{'change' if len(changes) == 1 else 'changes'} for {subscription.label}",
                        body=digest_body(subscription, changes, link),
                        headers={
                            "List-Unsubscribe": f"<{link}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                        },
                    )
                    sent += 1
                subscription.told_up_to = up_to
    with transaction():
        expired = delete_expired(now)
    return Digests(sent=sent, expired=expired)
