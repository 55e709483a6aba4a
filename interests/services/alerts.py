"""Email alerts: a daily digest of what changed, as published, at a provider, for a professional, or
for the people a search finds. No account: an address confirms by a link (double opt-in) and leaves
by a link (one click, RFC 8058).

- **Links are signed tokens** (itsdangerous, on SECRET_KEY) naming the subscription and its nonce:
  a confirmation link works for CONFIRM_VALID_DAYS; an unsubscribe link as long as the subscription
  exists. A digest's "stop all" link (and its List-Unsubscribe header) names the address's
  subscriptions by id and is dated: it stops every alert the address had when it was sent, never one
  asked for since. A forged, altered, expired or spent link finds nothing.
- **Nothing tells whether an address is subscribed**: asking always gets the same answer, and an
  email goes out only when it may (not already confirmed, no other confirmation email to that
  address in the last day, fewer than MAX_PER_ADDRESS alerts at that address).
- **Addresses are kept only for this**: unsubscribing deletes the row, and the address's alert
  emails from the outbox once it follows nothing else; an unconfirmed row goes when its link expires.
- **The digest** (the worker, daily: interests/tasks.py) reads `register.changes` since the last
  one, the same code as the Atom feeds, so it shows only what is published. Each thing followed (a
  provider, a professional, a search) has its changes worked out once a run, however many addresses
  follow it, and each address gets one email covering everything it follows that changed: each part
  with its own unsubscribe link, and the email's one-click unsubscribe (List-Unsubscribe) stopping
  all the address's alerts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
_UNSUBSCRIBE_ALL_SALT = "alert-unsubscribe-all"


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


def unsubscribe_all_token(subscriptions: list[AlertSubscription]) -> str:
    """A link's token stopping all these subscriptions (every one an address has). It names them by
    id only (never the address, which would end up in web servers' logs); it is dated, and finds
    only subscriptions made before it: on SQLite a deleted row's id can be used again, by anyone."""
    return str(_serializer(_UNSUBSCRIBE_ALL_SALT).dumps(sorted(s.id for s in subscriptions)))


@dataclass(frozen=True)
class AllAlerts:
    """What an "unsubscribe from all" link stops: an address's subscriptions made before the link."""

    email: str
    subscriptions: list[AlertSubscription]


def all_subscribed(token: str) -> AllAlerts | None:
    """The subscriptions an "unsubscribe from all" link stops: every one its address had when the
    link was made (not one made since), while any of those it names still exists."""
    try:
        value, issued = _serializer(_UNSUBSCRIBE_ALL_SALT).loads(token[:1000], return_timestamp=True)
    except BadData:  # forged, altered or not a token at all
        return None
    if not (isinstance(value, list) and 0 < len(value) <= 10 * MAX_PER_ADDRESS):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 2**31 - 1 for n in value):
        return None
    # The token's time is in whole seconds: a row made in the same second counts as before it.
    made_before = issued.replace(tzinfo=UTC) + timedelta(seconds=1)
    named = list(
        db.session.scalars(
            select(AlertSubscription).where(
                AlertSubscription.id.in_(value), AlertSubscription.created_at < made_before
            )
        )
    )
    addresses = {s.email for s in named}
    if len(addresses) != 1:
        return None  # all gone (already stopped), or not one address's: not a link we made
    [email] = addresses
    everything = list(
        db.session.scalars(
            select(AlertSubscription)
            .where(AlertSubscription.email == email, AlertSubscription.created_at < made_before)
            .order_by(AlertSubscription.id)
        )
    )
    return AllAlerts(email=email, subscriptions=everything)


def unsubscribe_all(found: AllAlerts) -> None:
    """Delete every subscription the link stops (and the address's alert emails once it follows
    nothing else). Caller commits."""
    for subscription in found.subscriptions:
        unsubscribe(subscription)


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


def target_changes(kind: str, target: str, today: date, since: datetime | None) -> list[register.Change]:
    """What changed, as published, for a provider's slug, a professional's id or a search, after
    `since` (newest first, at most DIGEST_MAX_CHANGES)."""
    if kind == "provider":
        provider = register.provider_by_slug(target)
        if provider is None:
            return []
        return register.provider_changes(provider.id, today, since=since, limit=DIGEST_MAX_CHANGES)
    if kind == "professional":
        people = [int(target)]
    else:
        results = search_index.search(target, page=1, per_page=SEARCH_PEOPLE)
        people = [hit["summary"].professional_id for hit in results.professionals]
    return register.professional_changes(people, today, since=since, limit=DIGEST_MAX_CHANGES)


def page_url(subscription: AlertSubscription) -> str:
    if subscription.kind == "provider":
        return absolute_url("public.provider_register", slug=subscription.target)
    if subscription.kind == "professional":
        return absolute_url("public.professional", professional_id=int(subscription.target))
    return absolute_url("public.search", q=subscription.target)


def _part_lines(subscription: AlertSubscription, changes: list[register.Change]) -> list[str]:
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
    lines.append(f"See the register: {page_url(subscription)}")
    return lines


_KEPT_ONLY_FOR_THIS = (
    "We keep your email address only to send you these alerts. When you stop them, we delete it."
)


def digest_body(
    subscription: AlertSubscription, changes: list[register.Change], unsubscribe_link: str
) -> str:
    """The digest of an address that follows one thing."""
    lines = _part_lines(subscription, changes)
    lines += ["", "---", f"Stop these emails: {unsubscribe_link}", _KEPT_ONLY_FOR_THIS]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DigestPart:
    subscription: AlertSubscription
    changes: list[register.Change]
    unsubscribe_link: str


def combined_digest_body(parts: list[DigestPart], unsubscribe_all_link: str) -> str:
    """The digest of an address that follows more than one thing: a part for each that changed,
    each with its own unsubscribe link, then the link that stops them all."""
    lines: list[str] = []
    for part in parts:
        lines += _part_lines(part.subscription, part.changes)
        lines += [f"Stop emails about {part.subscription.label}: {part.unsubscribe_link}", "", "---"]
    lines += [f"Stop all your email alerts: {unsubscribe_all_link}", _KEPT_ONLY_FOR_THIS]
    return "\n".join(lines) + "\n"


def _subject(parts: list[DigestPart]) -> str:
    count = sum(len(part.changes) for part in parts)
    changes = f"{count} {'change' if count == 1 else 'changes'}"
    if len(parts) == 1:
        return f"Register of interests: {changes} for {parts[0].subscription.label}"
    return f"Register of interests: {changes} for {len(parts)} things you follow"


@dataclass(frozen=True)
class Digests:
    sent: int  # emails: one per address with changes
    expired: int
    worked_out: int = 0  # things followed whose changes were worked out (once each)


class _TargetChanges:
    """Each followed thing's changes, worked out once a run from the earliest moment any of its
    subscriptions was last told up to; each subscription then keeps those after its own moment.

    That is exactly what a subscription's own query would give: a thing's changes after a later
    moment are the newest of its changes after an earlier one (`register.changes` orders by moment,
    newest first, and `since` only cuts that list), so the newest DIGEST_MAX_CHANGES after the later
    moment are those of the earlier moment's newest DIGEST_MAX_CHANGES that came after it."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.earliest: dict[tuple[str, str], datetime] = {}
        for kind, target, earliest in db.session.execute(
            select(
                AlertSubscription.kind,
                AlertSubscription.target,
                func.min(func.coalesce(AlertSubscription.told_up_to, AlertSubscription.confirmed_at)),
            )
            .where(AlertSubscription.confirmed_at.is_not(None))
            .group_by(AlertSubscription.kind, AlertSubscription.target)
        ):
            self.earliest[(kind, target)] = earliest
        self.found: dict[tuple[str, str], list[register.Change] | None] = {}
        self.worked_out = 0

    def after(self, subscription: AlertSubscription, since: datetime) -> list[register.Change] | None:
        """The subscription's changes after `since`, newest first; None if a search is unavailable."""
        key = (subscription.kind, subscription.target)
        earliest = self.earliest.get(key)
        if earliest is None or since < earliest:
            # Confirmed (or moved back) since the run began: worked out on its own.
            return self._work_out(key, since)
        if key not in self.found:
            self.found[key] = self._work_out(key, earliest)
        changes = self.found[key]
        return None if changes is None else [c for c in changes if c.at > since]

    def _work_out(self, key: tuple[str, str], since: datetime) -> list[register.Change] | None:
        self.worked_out += 1
        try:
            return target_changes(key[0], key[1], self.today, since)
        except search_index.SearchUnavailable:
            return None  # tried again tomorrow, from the same moment


def send_digests(now: datetime | None = None) -> Digests:
    """One digest email per address with changes in anything it follows since its last one; each
    address in a transaction of its own, so a failure keeps what was done. Then delete expired
    unconfirmed subscriptions."""
    now = now or utcnow()
    targets = _TargetChanges(_today())
    sent = 0
    last_email = ""
    while True:
        addresses = list(
            db.session.scalars(
                select(AlertSubscription.email)
                .where(AlertSubscription.confirmed_at.is_not(None), AlertSubscription.email > last_email)
                .group_by(AlertSubscription.email)
                .order_by(AlertSubscription.email)
                .limit(200)
            )
        )
        if not addresses:
            break
        last_email = addresses[-1]
        for email in addresses:
            with transaction():
                sent += _send_digest(email, targets, now)
    with transaction():
        expired = delete_expired(now)
    return Digests(sent=sent, expired=expired, worked_out=targets.worked_out)


def _send_digest(email: str, targets: _TargetChanges, now: datetime) -> int:
    """The digest of one address (1 if an email was queued). The caller commits."""
    everything = list(
        db.session.scalars(
            select(AlertSubscription).where(AlertSubscription.email == email).order_by(AlertSubscription.id)
        )
    )
    parts: list[DigestPart] = []
    for subscription in everything:
        if subscription.confirmed_at is None:
            continue
        since = subscription.told_up_to or subscription.confirmed_at
        up_to = max(now - DIGEST_SETTLE, since)
        found = targets.after(subscription, since)
        if found is None:
            continue  # its search is unavailable: tried again tomorrow, from the same moment
        changes = [c for c in found if c.at <= up_to]
        if changes:
            link = absolute_url("alerts.unsubscribe", token=unsubscribe_token(subscription))
            parts.append(DigestPart(subscription, changes, link))
        subscription.told_up_to = up_to
    if not parts:
        return 0
    if len(everything) == 1:  # stopping this one stops all the address's alerts
        [part] = parts
        stop_all = part.unsubscribe_link
        body = digest_body(part.subscription, part.changes, stop_all)
    else:
        stop_all = absolute_url("alerts.unsubscribe_all", token=unsubscribe_all_token(everything))
        body = combined_digest_body(parts, stop_all)
    send_email(
        kind="alert_digest",
        to=email,
        subject=_subject(parts),
        body=body,
        headers={"List-Unsubscribe": f"<{stop_all}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    return 1
