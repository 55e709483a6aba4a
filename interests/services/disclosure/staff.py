"""A provider's staff and the payments companies reported about them that no declaration covers
(`/manage/<slug>/industry-payments`), and a reminder to each person.

Only people whose engagement here is active and confirmed by them count: a provider cannot list
the payments matched to someone by adding them as staff (its mistakes, or its malice, reach no
further than its own register). Whether a payment was declared is the kept answer
(`IndustryPayment.declared`, see `reconciling`), so the page is one indexed query.

The inspectors' figure "Industry payments not declared" (`undeclared_by_provider`, every provider
at once) is built from the same conditions, less the possible matches nobody has confirmed
(`counted`): the page shows how many of its payments that is, so the two can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.frontend import govuk_date, money
from interests.models import (
    Account,
    DisclosureImport,
    Engagement,
    IndustryPayment,
    Professional,
    Provider,
    Reminder,
)
from interests.rules.payments import COUNTED_WITHOUT_CONFIRMATION, PART_LABELS
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


def _confirmed_engagement(day: date) -> ColumnElement[bool]:
    """The engagement is active on `day` and its professional has confirmed it (and not said they
    do not work there)."""
    return and_(
        Engagement.confirmed_at.is_not(None),
        Engagement.rejected_at.is_(None),
        active_on(Engagement, day),
    )


def confirmed_staff(provider_id: int, today: date, professional: Any) -> ColumnElement[bool]:
    """The professional works at the provider today, and has confirmed it."""
    return exists().where(
        Engagement.professional_id == professional,
        Engagement.provider_id == provider_id,
        _confirmed_engagement(today),
    )


def _matched_not_declared() -> ColumnElement[bool]:
    """Matched to a professional, and no declaration of theirs covers it (the kept answer; read
    through ix_industry_payment_undeclared)."""
    return and_(IndustryPayment.declared.is_(False), IndustryPayment.professional_id.is_not(None))


def undeclared(provider_id: int, today: date) -> ColumnElement[bool]:
    return and_(_matched_not_declared(), confirmed_staff(provider_id, today, IndustryPayment.professional_id))


def counted() -> ColumnElement[bool]:
    """The payments the inspectors count: certain or probable matches, or confirmed by the
    professional (a possible match may be a namesake until they say it is theirs)."""
    return or_(
        IndustryPayment.match.in_(COUNTED_WITHOUT_CONFIRMATION),
        IndustryPayment.confirmed_at.is_not(None),
    )


def undeclared_by_provider(
    as_of: date, imported_before: datetime, id_range: tuple[int, int] | None = None
) -> Any:
    """The inspectors' "Industry payments not declared", for every provider at once: a subquery of
    (provider_id, undeclared_payments), one row per provider with any.

    The `undeclared` payments that are `counted`, of the people whose engagement at the provider is
    active on `as_of` and confirmed by them, from the years imported before `imported_before` (the
    date's cut-off). Payments carry no date of their own and a re-import replaces its year, so a
    past date counts the years imported by then, with today's answers: whether each is declared,
    confirmed or matched. Someone with two engagements at a provider is one person: each payment
    is counted once per provider.
    """
    return (
        select(
            Engagement.provider_id,
            func.count(IndustryPayment.id.distinct()).label("undeclared_payments"),
        )
        .select_from(IndustryPayment)
        .join(DisclosureImport, DisclosureImport.id == IndustryPayment.disclosure_import_id)
        .join(Engagement, Engagement.professional_id == IndustryPayment.professional_id)
        .where(
            _matched_not_declared(),
            counted(),
            DisclosureImport.imported_at < imported_before,
            _confirmed_engagement(as_of),
            *([Engagement.provider_id.between(*id_range)] if id_range is not None else []),
        )
        .group_by(Engagement.provider_id)
        .subquery("undeclared_payments")
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
    counted: int  # of `payments`, those in the inspectors' figure (`counted`)

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
    payments, people, total, inspected = db.session.execute(
        select(
            func.count(),
            func.count(IndustryPayment.professional_id.distinct()),
            func.coalesce(func.sum(IndustryPayment.total_pence), 0),
            func.coalesce(func.sum(case((counted(), 1), else_=0)), 0),
        ).where(condition)
    ).one()
    return StaffPayments(
        page=listed,
        payments=int(payments),
        people=int(people),
        total_pence=int(total),
        counted=int(inspected),
    )


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
