"""Reminders to professionals who are due or overdue (or missing) at a provider.

`send_reminders(today)` looks at every provider at once (one query, `services.scope`'s status)
and emails each person who needs to declare, at most once per person per provider per reminder
window. A window is REMINDER_INTERVAL_DAYS long, counted from the date the declaration falls due
(`rules.compliance.next_due_on`): someone who stays overdue is reminded again every 28 days, and
a new declaration starts a new due date. The `reminder` table is unique on (professional,
provider, window), so running the command twice a day - or in two processes - sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select

from interests.extensions import db
from interests.models import Account, Engagement, Professional, Provider, Reminder
from interests.rules.compliance import DeclarationStatus, next_due_on
from interests.services.outbox import absolute_url, send_email
from interests.services.scope import Cutoffs, in_scope_people, status_expression

REMINDER_INTERVAL_DAYS = 28  # days; the NHS England 28-day declaration window
NEEDS_REMINDER = (
    DeclarationStatus.DUE.value,
    DeclarationStatus.OVERDUE.value,
    DeclarationStatus.MISSING.value,
)


def window_key(due_on: date, today: date) -> str:
    """The reminder window `today` falls in for a declaration due on `due_on`."""
    return f"{due_on.isoformat()}/{(today - due_on).days // REMINDER_INTERVAL_DAYS}"


@dataclass(frozen=True)
class Sent:
    sent: int
    already_reminded: int
    no_email: int


def _body(name: str, provider_name: str, status: str, due_on: date, link: str) -> str:
    when = f"{due_on.day} {due_on:%B %Y}"
    if status == DeclarationStatus.DUE.value:
        opening = f"your declaration of interests to {provider_name} is due by {when}."
    elif status == DeclarationStatus.OVERDUE.value:
        opening = f"your declaration of interests to {provider_name} was due on {when} and is overdue."
    else:
        opening = (
            f"{provider_name} has not received a declaration of interests from you. It was due on {when}."
        )
    return (
        f"Dear {name},\n\n{opening[0].upper()}{opening[1:]}\n\n"
        "Please declare your interests, or that you have none, within 28 days:\n\n"
        f"{link}\n\n"
        "NHS England's guidance asks everyone who works for a provider to declare at least once a year.\n"
    )


def send_reminders(today: date) -> Sent:
    """Queue a reminder email for everyone due, overdue or missing at every provider. Commits."""
    cutoffs = Cutoffs.for_date(today)
    people = in_scope_people(cutoffs)
    status = status_expression(people.c.last_declared_on, people.c.start_date, cutoffs).label("status")
    statuses = select(people, status).subquery("statuses")
    account_email = (
        select(Account.email)
        .where(Account.professional_id == statuses.c.professional_id)
        .limit(1)
        .scalar_subquery()
    )
    # Without an account, the address this provider recorded (never another provider's).
    provider_email = (
        select(Engagement.email)
        .where(
            Engagement.professional_id == statuses.c.professional_id,
            Engagement.provider_id == statuses.c.provider_id,
            Engagement.email.is_not(None),
        )
        .order_by(Engagement.start_date.desc(), Engagement.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            statuses.c.provider_id,
            statuses.c.professional_id,
            statuses.c.start_date,
            statuses.c.last_declared_on,
            statuses.c.status,
            Professional.given_name,
            Professional.family_name,
            provider_email.label("email"),
            account_email.label("account_email"),
            Provider.name.label("provider_name"),
        )
        .join(Professional, Professional.id == statuses.c.professional_id)
        .join(Provider, Provider.id == statuses.c.provider_id)
        .where(
            statuses.c.status.in_(NEEDS_REMINDER),
            # Not where the professional said they do not work (a provider's mistake, or its malice,
            # does not keep reaching their inbox): some engagement there must not be rejected.
            exists().where(
                Engagement.professional_id == statuses.c.professional_id,
                Engagement.provider_id == statuses.c.provider_id,
                Engagement.rejected_at.is_(None),
            ),
        )
        .order_by(statuses.c.provider_id, statuses.c.professional_id)
    ).all()
    # A reminder in the current window was sent within the last window's length.
    recent = {
        (pid, prov, key)
        for pid, prov, key in db.session.execute(
            select(Reminder.professional_id, Reminder.provider_id, Reminder.window_key).where(
                Reminder.sent_at >= _start_of(today - timedelta(days=REMINDER_INTERVAL_DAYS + 1))
            )
        )
    }
    link = absolute_url("declare.home")
    sent = already = no_email = 0
    for row in rows:
        due_on = next_due_on(row.start_date, row.last_declared_on)
        key = window_key(due_on, today)
        if (row.professional_id, row.provider_id, key) in recent:
            already += 1
            continue
        address = row.account_email or row.email
        if not address:
            no_email += 1
            continue
        email = send_email(
            kind="reminder",
            to=address,
            subject=f"Declare your interests to {row.provider_name}",
            body=_body(f"{row.given_name} {row.family_name}", row.provider_name, row.status, due_on, link),
            # An account's own address is not the provider's to see (in its outbox).
            provider_id=None if row.account_email else row.provider_id,
            professional_id=row.professional_id,
        )
        db.session.add(
            Reminder(
                professional_id=row.professional_id,
                provider_id=row.provider_id,
                window_key=key,
                status=row.status,
                outbox_email=email,
            )
        )
        sent += 1
        if sent % 500 == 0:
            db.session.flush()  # in batches: the session does not hold every reminder at once
    # Another run that got there first raises IntegrityError here: its reminders stand, and the
    # caller's unit of work drops ours.
    db.session.flush()
    return Sent(sent=sent, already_reminded=already, no_email=no_email)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
