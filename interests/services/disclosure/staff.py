"""A provider's staff and the payments companies reported about them that no declaration covers
(`/manage/<slug>/industry-payments`), and a reminder to each person.

Only people whose engagement here is active and confirmed by them count: a provider cannot list
the payments matched to someone by adding them as staff (its mistakes, or its malice, reach no
further than its own register). Whether a payment was declared is the kept answer
(`IndustryPayment.declared`, see `reconciling`), so the page is one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.frontend import govuk_date, money
from interests.models import Account, Engagement, IndustryPayment, Professional, Provider, Reminder
from interests.rules.payments import PART_LABELS
from interests.services import audit
from interests.services.disclosure.reconciling import AMOUNT_COLUMNS
from interests.services.outbox import absolute_url, send_email
from interests.services.paging import Page, page_of
from interests.services.scope import active_on

PAYMENTS_REMINDER = "payments"  # Reminder.status of a reminder about reported payments


def _window(today: date) -> str:
    """One reminder about payments per person per provider per ISO week."""
    year, week, _ = today.isocalendar()
    return f"payments/{year}-W{week:02d}"


def confirmed_staff(provider_id: int, today: date, professional: Any) -> ColumnElement[bool]:
    """The professional works at the provider today, and has confirmed it."""
    return exists().where(
        Engagement.professional_id == professional,
        Engagement.provider_id == provider_id,
        Engagement.confirmed_at.is_not(None),
        Engagement.rejected_at.is_(None),
        active_on(Engagement, today),
    )


def undeclared(provider_id: int, today: date) -> ColumnElement[bool]:
    return and_(
        IndustryPayment.declared.is_(False),
        IndustryPayment.professional_id.is_not(None),
        confirmed_staff(provider_id, today, IndustryPayment.professional_id),
    )


@dataclass(frozen=True)
class StaffPayment:
    payment: IndustryPayment
    professional: Professional
    reminded_at: datetime | None  # the last reminder about payments sent from this provider

    @property
    def parts(self) -> list[tuple[str, int]]:
        return [
            (PART_LABELS[part], getattr(self.payment, column))
            for part, column in AMOUNT_COLUMNS.items()
            if getattr(self.payment, column) > 0
        ]


@dataclass(frozen=True)
class PersonPayments:
    professional: Professional
    reminded_at: datetime | None
    payments: list[StaffPayment]


@dataclass(frozen=True)
class StaffPayments:
    page: Page  # of StaffPayment
    payments: int
    people: int
    total_pence: int

    @property
    def by_person(self) -> list[PersonPayments]:
        """The page's payments, person by person (a person's may continue on the next page)."""
        grouped: list[PersonPayments] = []
        for item in self.page.items:
            if not grouped or grouped[-1].professional.id != item.professional.id:
                grouped.append(PersonPayments(item.professional, item.reminded_at, []))
            grouped[-1].payments.append(item)
        return grouped


def undeclared_page(provider: Provider, today: date, page: int, per_page: int) -> StaffPayments:
    """The provider's staff's reported payments not covered by a declaration, person by person
    (A-Z), each person's newest year first, with when each was last reminded."""
    condition = undeclared(provider.id, today)
    reminded = (
        select(func.max(Reminder.sent_at))
        .where(
            Reminder.provider_id == provider.id,
            Reminder.professional_id == IndustryPayment.professional_id,
            Reminder.status == PAYMENTS_REMINDER,
        )
        .scalar_subquery()
    )
    statement = (
        select(IndustryPayment, Professional, reminded.label("reminded_at"))
        .join(Professional, Professional.id == IndustryPayment.professional_id)
        .where(condition)
        .order_by(
            func.lower(Professional.family_name),
            func.lower(Professional.given_name),
            Professional.id,
            IndustryPayment.year.desc(),
            IndustryPayment.total_pence.desc(),
            IndustryPayment.id,
        )
    )
    listed = page_of(statement, page, per_page, each=lambda row: StaffPayment(*row))
    payments, people, total = db.session.execute(
        select(
            func.count(),
            func.count(IndustryPayment.professional_id.distinct()),
            func.coalesce(func.sum(IndustryPayment.total_pence), 0),
        ).where(condition)
    ).one()
    return StaffPayments(page=listed, payments=int(payments), people=int(people), total_pence=int(total))


class ReminderRefused(ValueError):
    """Nothing to remind this person about, or no address; the message says which."""


def _address(provider_id: int, professional_id: int) -> tuple[str | None, bool]:
    """Where to write: the professional's own account first (not the provider's to see in its
    outbox), else the address this provider recorded (never another provider's)."""
    own = db.session.scalar(select(Account.email).where(Account.professional_id == professional_id).limit(1))
    if own:
        return own, False
    recorded = db.session.scalar(
        select(Engagement.email)
        .where(
            Engagement.professional_id == professional_id,
            Engagement.provider_id == provider_id,
            Engagement.email.is_not(None),
        )
        .order_by(Engagement.start_date.desc(), Engagement.id.desc())
        .limit(1)
    )
    return recorded, True


def remind(provider: Provider, professional_id: int, today: date, *, actor: Account) -> Reminder | None:
    """Email one person the payments reported about them that they have not declared, once a week
    at most. None when the person has no such payment here (the page answers 404: nothing about
    anyone else is revealed). Adds and flushes; the caller commits."""
    payments = list(
        db.session.scalars(
            select(IndustryPayment)
            .where(undeclared(provider.id, today), IndustryPayment.professional_id == professional_id)
            .order_by(IndustryPayment.year.desc(), IndustryPayment.company)
        )
    )
    if not payments:
        return None
    window = _window(today)
    earlier = db.session.scalar(
        select(Reminder.sent_at).where(
            Reminder.provider_id == provider.id,
            Reminder.professional_id == professional_id,
            Reminder.window_key == window,
        )
    )
    if earlier is not None:
        raise ReminderRefused(
            f"Already reminded this week, on {govuk_date(earlier)}: you can remind them again next week"
        )
    address, provider_visible = _address(provider.id, professional_id)
    if not address:
        raise ReminderRefused("There is no email address for this person: add one on their staff record")
    professional = db.session.get(Professional, professional_id)
    assert professional is not None  # noqa: S101 - the payments above are matched to them
    listed = "\n".join(
        f"- {payment.company}, {payment.year}: {money(payment.total_pence)}" for payment in payments
    )
    body = (
        f"Dear {professional.given_name} {professional.family_name},\n\n"
        f"{provider.name} has asked us to remind you about payments that companies reported paying "
        "you (Disclosure UK) and that are not in your declarations of interests:\n\n"
        f"{listed}\n\n"
        "Please check each one. If it is yours, add it to your interests and send your declaration. "
        "If it is not about you, tell us and we will stop matching it to you:\n\n"
        f"{absolute_url('declare.home')}#payments\n"
    )
    email = send_email(
        kind="reminder",
        to=address,
        subject=f"Payments reported about you: {provider.name} asks you to check them",
        body=body,
        provider_id=provider.id if provider_visible else None,
        professional_id=professional_id,
    )
    reminder = Reminder(
        professional_id=professional_id,
        provider_id=provider.id,
        window_key=window,
        status=PAYMENTS_REMINDER,
        outbox_email=email,
    )
    db.session.add(reminder)
    db.session.flush()
    audit.record(
        "industry_payment.reminded",
        reminder,
        actor=actor,
        provider_id=provider.id,
        professional_id=professional_id,
        summary=f"Reminded about {len(payments)} reported payment(s) not declared",
        data={"industry_payment_ids": [payment.id for payment in payments]},
    )
    return reminder
