"""A provider's staff: which providers an admin runs, the staff list with each person's status,
and adding, changing and ending engagements one at a time.

Status is computed by the database from the one definition of who is in scope and their status
(`interests.services.scope`, which /inspect, reminders and the register read too), so the staff
page and /inspect always agree with each other and with `interests.rules.compliance`: one status
per professional per provider, taken from their earliest-started engagement active today. An
engagement not yet started is "starts later"; one that has ended is "ended".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import (
    Account,
    Engagement,
    InvalidRecord,
    LatestDeclaration,
    Professional,
    Provider,
    Reminder,
)
from interests.rules.compliance import DeclarationStatus
from interests.rules.regulators import (
    find_regulator,
    normalise_registration_number,
    registration_number_problem,
)
from interests.rules.vocabulary import ENGAGEMENT_TYPE_BY_CODE
from interests.services import audit, scope, search_index
from interests.services.disclosure.staff import PAYMENTS_REMINDER
from interests.services.paging import Page, page_of
from interests.services.scope import ENDED, NOT_STARTED, Cutoffs

STATUS_LABELS: dict[str, str] = {
    **{status.value: status.label for status in DeclarationStatus},
    NOT_STARTED: "Starts later",
    ENDED: "Ended",
}
MAX_SEARCH_LENGTH = 200  # characters: longer than any name or registration number


# --- Which providers an account runs ----------------------------------------------------------


def can_manage_every_provider(account: Account) -> bool:
    # Decision: nobody does. A register is its provider's responsibility; a system admin runs
    # accounts (`flask users create --role provider_admin --provider SLUG`), not registers, and is
    # refused at /manage (tests/web/test_auth.py). Kept as one switch should that change.
    return False


def managed_provider(account: Account, slug: str) -> Provider | None:
    """The provider with this slug if the account may manage it; None otherwise (the view 404s)."""
    statement = select(Provider).where(Provider.slug == slug)
    if not can_manage_every_provider(account):
        statement = statement.where(Provider.id.in_([p.id for p in account.providers]))
    return db.session.scalar(statement)


def managed_providers(account: Account, page: int, per_page: int) -> Page:
    statement = select(Provider)
    if not can_manage_every_provider(account):
        statement = statement.where(Provider.id.in_([p.id for p in account.providers]))
    return page_of(statement.order_by(Provider.name, Provider.id), page, per_page)


def managed_provider_ids(account: Account) -> list[int] | None:
    """The ids of the providers the account runs; None for every provider."""
    if can_manage_every_provider(account):
        return None
    return [p.id for p in account.providers]


# --- The staff list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffFilters:
    status: str = ""
    engagement_type: str = ""
    department: str = ""
    decision_maker: str = ""  # "yes", "no" or ""
    q: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.engagement_type, self.department, self.decision_maker, self.q))


@dataclass(frozen=True)
class StaffRow:
    engagement_id: int
    professional_id: int
    name: str
    registration: str
    engagement_type: str
    role: str
    department: str | None
    start_date: date
    end_date: date | None
    decision_maker: bool
    status: str
    last_declared_on: date | None
    last_reminded_at: Any
    has_email: bool
    confirmation: str = "unconfirmed"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def engagement_type_label(self) -> str:
        return ENGAGEMENT_TYPE_BY_CODE[self.engagement_type].label


def _last_declared(provider: Provider, today: date) -> Any:
    """Each row's professional's latest declaration to this provider on or before today, as a
    correlated lookup: in `latest_declaration` (one primary-key seek) when it answers today, as it
    does unless a declaration is dated after it; else searched among the declarations."""
    if scope.latest_answers(today, provider.id):
        return scope.latest_declared_on(Engagement.provider_id, Engagement.professional_id)
    return scope.last_declared_on(Engagement.provider_id, Engagement.professional_id, today)


def _staff_select(provider: Provider, today: date, where: list[Any] | None = None) -> Any:
    """Engagements at the provider (narrowed by `where`: a page's ids), each with the status of
    its professional.

    The status is `services.scope`'s, asked row by row: one status per professional per provider,
    from the start of the engagement that counts today (`scope.first_active_start`) and their
    latest declaration to this provider (`_last_declared`), both correlated seeks on this
    provider's rows, computed once per row in an inner query (OFFSET 0 stops SQLite copying them
    into each CASE branch); the CASE is `scope.engagement_status`. tests/db/test_staff_status.py
    holds it to the rules.

    The latest declaration on or before today is also the one shown as "last declared": a
    declaration is dated the day it is sent (`declaring.send_declaration(on=clock.today())`, the
    same UK date the staff page passes as `today`), so none is dated after today and one seek
    serves both.
    """
    cutoffs = Cutoffs.for_date(today)
    earliest_active_start = scope.first_active_start(
        Engagement.provider_id, Engagement.professional_id, today
    )
    declared_as_of = _last_declared(provider, today)
    last_reminded = (
        select(func.max(Reminder.sent_at))
        .where(
            Reminder.provider_id == Engagement.provider_id,
            Reminder.professional_id == Engagement.professional_id,
            # Reminders to declare; not those about reported payments (their own page shows them).
            Reminder.status != PAYMENTS_REMINDER,
        )
        .correlate(Engagement)
        .scalar_subquery()
    )
    inner = (
        select(
            Engagement.id.label("engagement_id"),
            Engagement.professional_id,
            Engagement.engagement_type,
            Engagement.role,
            Engagement.department,
            Engagement.start_date,
            Engagement.end_date,
            Engagement.decision_maker,
            Professional.title,
            Professional.given_name,
            Professional.family_name,
            Professional.regulator,
            Professional.registration_number,
            Engagement.email,
            Engagement.confirmed_at,
            Engagement.rejected_at,
            earliest_active_start.label("earliest_active_start"),
            declared_as_of.label("last_declared_on"),
            last_reminded.label("last_reminded_at"),
        )
        .join(Professional, Professional.id == Engagement.professional_id)
        .where(Engagement.provider_id == provider.id, *(where or []))
        .offset(0)
        .subquery("staff_rows")
    )
    status = scope.engagement_status(
        inner.c.start_date, inner.c.end_date, inner.c.earliest_active_start, inner.c.last_declared_on, cutoffs
    )
    return select(inner, status.label("status"))


def _with_statuses(statement: Any, provider: Provider, today: date) -> tuple[Any, dict[str, Any]]:
    """`statement` (selecting from Engagement at the provider) joined to what the statuses need,
    and for each state an engagement can be in on the staff page, the condition that it is.

    The conditions are `scope.status_conditions` (`scope.status_expression` taken apart) with
    "starts later" and "ended" before them, so each status is a WHERE on indexed columns: the
    latest declaration is an outer join to `latest_declaration` (a hash join on PostgreSQL, a
    primary-key seek per row on SQLite), and only the few engagements started in the last 28 days
    look at the person's other engagements. Nobody's status is worked out just to be thrown away.
    """
    cutoffs = Cutoffs.for_date(today)
    if scope.latest_answers(today, provider.id):
        latest = LatestDeclaration
        statement = statement.outerjoin(
            latest,
            and_(
                latest.provider_id == provider.id,
                latest.professional_id == Engagement.professional_id,
            ),
        )
        # coalesce(): SQLite would otherwise walk ix_latest_declaration_provider_date for the
        # "declared" range and seek each engagement at random: slower than reading the provider's
        # engagements in order from their covering index and looking each one up here.
        last: Any = func.coalesce(latest.declared_on, latest.declared_on)
    else:  # a declaration dated after today: search the declarations up to today
        last = scope.last_declared_on(Engagement.provider_id, Engagement.professional_id, today)
    # In scope today. coalesce() keeps SQLite off ix_engagement_provider_dates (a range on the start
    # date, then a seek into the table for every row) and on the covering
    # ix_engagement_provider_professional_start, as in `scope.engagement_exists`.
    in_scope = and_(
        func.coalesce(Engagement.start_date, Engagement.start_date) <= today,
        or_(Engagement.end_date.is_(None), Engagement.end_date >= today),
    )
    states: dict[str, Any] = {
        NOT_STARTED: Engagement.start_date > today,
        ENDED: and_(Engagement.end_date.is_not(None), Engagement.end_date < today),
    }
    recent = scope.started_recently(Engagement, cutoffs)
    for status, condition in scope.status_conditions(last, recent, cutoffs).items():
        states[status] = and_(in_scope, condition)
    return statement, states


def _conditions(filters: StaffFilters, today: date) -> list[Any]:
    """The filters and search as conditions on Engagement and Professional."""
    conditions: list[Any] = []
    if filters.status != ENDED:
        conditions.append(or_(Engagement.end_date.is_(None), Engagement.end_date >= today))
    if filters.engagement_type:
        conditions.append(Engagement.engagement_type == filters.engagement_type)
    if filters.department:
        conditions.append(Engagement.department == filters.department)
    if filters.decision_maker in ("yes", "no"):
        conditions.append(Engagement.decision_maker.is_(filters.decision_maker == "yes"))
    q = " ".join(filters.q.split())[:MAX_SEARCH_LENGTH]
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        full_name = func.lower(Professional.given_name + " " + Professional.family_name)
        conditions.append(
            or_(
                full_name.like(like, escape="\\"),
                func.lower(Professional.family_name).like(like, escape="\\"),
                Professional.registration_number == normalise_registration_number(q),
            )
        )
    return conditions


def staff_page(provider: Provider, filters: StaffFilters, today: date, page: int, per_page: int) -> Page:
    """One page of the staff list, filtered, searched and counted by the database.

    The page's engagements are chosen (and counted) first, a status filter being one more
    condition (`_with_statuses`), and the status is worked out for those rows only.
    """
    conditions = _conditions(filters, today)
    offset = (page - 1) * per_page
    # Case-sensitive order (names are capitalised) so the index on family_name can serve it.
    order = (Professional.family_name, Professional.given_name, Engagement.id)
    chosen = select(Engagement.id).where(Engagement.provider_id == provider.id, *conditions)
    if filters.status:
        chosen, states = _with_statuses(chosen, provider, today)
        chosen = chosen.where(states.get(filters.status, false()))
    named = chosen.join(Professional, Professional.id == Engagement.professional_id)
    # Every engagement has its professional: the count needs their row only to search their name.
    counted = named if filters.q.strip() else chosen
    total = int(db.session.scalar(select(func.count()).select_from(counted.subquery())) or 0)
    ids = list(db.session.scalars(named.order_by(*order).limit(per_page).offset(offset)))
    rows = _staff_select(provider, today, [Engagement.id.in_(ids)]).subquery("staff")
    statement = select(rows).order_by(rows.c.family_name, rows.c.given_name, rows.c.engagement_id)
    result = db.session.execute(statement)
    items = []
    for row in result:
        name = f"{row.given_name} {row.family_name}"
        items.append(
            StaffRow(
                engagement_id=row.engagement_id,
                professional_id=row.professional_id,
                name=f"{row.title} {name}" if row.title else name,
                registration=f"{row.regulator} {row.registration_number}",
                engagement_type=row.engagement_type,
                role=row.role,
                department=row.department,
                start_date=row.start_date,
                end_date=row.end_date,
                decision_maker=bool(row.decision_maker),
                status=row.status,
                last_declared_on=row.last_declared_on,
                last_reminded_at=row.last_reminded_at,
                has_email=bool(row.email),
                confirmation=(
                    "confirmed" if row.confirmed_at else "rejected" if row.rejected_at else "unconfirmed"
                ),
            )
        )
    return Page(items=items, total=total, page=page, per_page=per_page)


def status_counts(provider: Provider, today: date) -> dict[str, int]:
    """How many current engagements have each status (one grouped query over `_with_statuses`)."""
    current = select(Engagement.id).where(
        Engagement.provider_id == provider.id, *_conditions(StaffFilters(), today)
    )
    statement, states = _with_statuses(current, provider, today)
    status = case(*((condition, literal(name)) for name, condition in states.items()), else_=None)
    rows = statement.add_columns(status.label("status")).subquery("staff")
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for name, count in db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)):
        counts[name] = int(count)
    return counts


def departments(provider: Provider) -> list[str]:
    return list(
        db.session.scalars(
            select(Engagement.department)
            .where(Engagement.provider_id == provider.id, Engagement.department.is_not(None))
            .distinct()
            .order_by(Engagement.department)
        )
    )


# --- One engagement at a time -----------------------------------------------------------------


def engagement_at(provider: Provider, engagement_id: int) -> Engagement | None:
    """The engagement if it belongs to this provider (another provider's id gives None: 404)."""
    return db.session.scalar(
        select(Engagement)
        .where(Engagement.id == engagement_id, Engagement.provider_id == provider.id)
        .options(selectinload(Engagement.professional))
    )


@dataclass(frozen=True)
class EngagementDetails:
    engagement_type: str
    role: str
    department: str | None
    start_date: date
    end_date: date | None
    decision_maker: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "engagement_type": self.engagement_type,
            "role": self.role,
            "department": self.department,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "decision_maker": self.decision_maker,
        }


@dataclass(frozen=True)
class PersonDetails:
    given_name: str
    family_name: str
    regulator: str
    registration_number: str
    email: str | None
    profession: str | None = None


def find_professional(regulator: str, registration_number: str) -> Professional | None:
    found = find_regulator(regulator)
    if found is None:
        return None
    return db.session.scalar(
        select(Professional).where(
            Professional.regulator == found.code,
            Professional.registration_number == normalise_registration_number(registration_number),
        )
    )


def add_engagement(
    provider: Provider, person: PersonDetails, details: EngagementDetails, *, actor: Account
) -> Engagement:
    """Engage a professional (found by regulator and number, or added) at the provider."""
    problem = registration_number_problem(person.regulator, person.registration_number)
    if problem:
        raise InvalidRecord(problem)
    regulator = find_regulator(person.regulator)
    assert regulator is not None
    professional = find_professional(person.regulator, person.registration_number)
    if professional is None:
        professional = Professional(
            given_name=person.given_name,
            family_name=person.family_name,
            regulator=regulator.code,
            registration_number=normalise_registration_number(person.registration_number),
            profession=person.profession or regulator.professions[0],
        )
        db.session.add(professional)
    # The address is this provider's record of the person: never the professional's own account.
    engagement = Engagement(
        professional=professional, provider=provider, email=person.email or None, **_fields(details)
    )
    db.session.add(engagement)
    db.session.flush()
    audit.record(
        "engagement.added",
        engagement,
        actor=actor,
        provider_id=provider.id,
        professional_id=professional.id,
        summary=f"Added {professional.full_name} as {ENGAGEMENT_TYPE_BY_CODE[details.engagement_type].label}",
        data=details.as_dict(),
    )
    search_index.schedule(professional_id=professional.id)  # who works here, and as what, is published
    return engagement


def _fields(details: EngagementDetails) -> dict[str, Any]:
    return {
        "engagement_type": details.engagement_type,
        "role": details.role,
        "department": details.department or None,
        "start_date": details.start_date,
        "end_date": details.end_date,
        "decision_maker": details.decision_maker,
    }


def change_engagement(engagement: Engagement, details: EngagementDetails, *, actor: Account) -> bool:
    """Change an engagement; returns False (and records nothing) when nothing changed."""
    before = EngagementDetails(
        engagement_type=engagement.engagement_type,
        role=engagement.role,
        department=engagement.department,
        start_date=engagement.start_date,
        end_date=engagement.end_date,
        decision_maker=engagement.decision_maker,
    )
    if before.as_dict() == EngagementDetails(**{**_fields(details)}).as_dict():
        return False
    for name, value in _fields(details).items():
        setattr(engagement, name, value)
    audit.record(
        "engagement.changed",
        engagement,
        actor=actor,
        provider_id=engagement.provider_id,
        professional_id=engagement.professional_id,
        summary=f"Changed {engagement.professional.full_name}'s engagement",
        data={"before": before.as_dict(), "after": details.as_dict()},
    )
    search_index.schedule(professional_id=engagement.professional_id)
    return True


def end_engagement(engagement: Engagement, end_date: date, *, actor: Account) -> None:
    if end_date < engagement.start_date:
        raise InvalidRecord("End date must be the same as or after the start date")
    previous = engagement.end_date
    engagement.end_date = end_date
    audit.record(
        "engagement.ended",
        engagement,
        actor=actor,
        provider_id=engagement.provider_id,
        professional_id=engagement.professional_id,
        summary=f"Ended {engagement.professional.full_name}'s engagement on {end_date.isoformat()}",
        data={
            "end_date": end_date.isoformat(),
            "previous_end_date": previous.isoformat() if previous else None,
        },
    )
    search_index.schedule(professional_id=engagement.professional_id)
