"""What may be published on a provider's register: pure rules, no Flask, no database.

Sources:
- NHS England, *Managing Conflicts of Interest in the NHS* (2017, revised 2024): the published
  fields; an expired interest stays on the public register for 6 months after it ends; an entry
  may be withheld only for an overriding privacy interest or legal requirement, and is not
  published while the request is pending.
- DHSC response to *First Do No Harm* (2020), 9.3-9.22: a declaration is published on the
  provider's register as soon as it is sent; the provider's management action appears beside
  each entry once recorded.

The database queries in ``interests.services.register`` implement exactly these rules in SQL;
``tests/unit/test_publication_rules`` and the register's database tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from interests.rules.months import add_months

# NHS England CoI guidance: an expired interest stays published for 6 months after it ends.
EXPIRED_INTEREST_SHOWN_MONTHS = 6

# A professional stays on a provider's register while engaged there, and for the same 6 months
# after the engagement ends: a patient treated by a locum last month can still look them up.
# (Our decision; the guidance is silent. Declarations are kept 6 years but not published.)
ENDED_ENGAGEMENT_SHOWN_MONTHS = 6

# A withholding request in these states keeps the entry off every public output.
UNPUBLISHED_WITHHOLDING_STATUSES = frozenset({"pending", "approved"})


def expiry_cutoff(today: date) -> date:
    """An interest that ended before this date is no longer published."""
    return add_months(today, -EXPIRED_INTEREST_SHOWN_MONTHS)


def engagement_cutoff(today: date) -> date:
    """An engagement that ended before this date no longer puts the professional on the register."""
    return add_months(today, -ENDED_ENGAGEMENT_SHOWN_MONTHS)


def interest_is_shown(date_to: date | None, today: date) -> bool:
    """An ongoing interest is shown; an ended one for 6 months after its end date."""
    return date_to is None or date_to >= expiry_cutoff(today)


def engagement_keeps_on_register(start_date: date, end_date: date | None, today: date) -> bool:
    """Engaged today (or started already), or ended less than 6 months ago."""
    return start_date <= today and (end_date is None or end_date >= engagement_cutoff(today))


def withholding_hides(statuses: set[str] | frozenset[str]) -> bool:
    """A pending or approved withholding request at the provider hides the entry; refused ones do not."""
    return bool(set(statuses) & UNPUBLISHED_WITHHOLDING_STATUSES)


def action_is_shown(management_action: str | None, action_recorded_at: object | None) -> bool:
    """The provider's action is published once it has been recorded, and only then."""
    return action_recorded_at is not None and bool((management_action or "").strip())


def latest_declaration_key(declared_on: date, signed_at: object, declaration_id: int) -> tuple[object, ...]:
    """Order of declarations from one professional to one provider: the greatest is the latest.

    A declaration is a snapshot: the latest one at a provider replaces the earlier ones there.
    Two sent on the same day are ordered by when they were signed, then by id.
    """
    return (declared_on, signed_at, declaration_id)


def _last_day(shown_on: Callable[[date], bool], first_candidate: date) -> date:
    """The last day from ``first_candidate`` on for which ``shown_on(day)`` still holds (a cut-off
    6 months back can stand still for up to three days at the end of a short month)."""
    day = first_candidate
    while shown_on(day + timedelta(days=1)):
        day += timedelta(days=1)
    return day


def interest_shown_until(date_to: date) -> date:
    """The last day an interest that ended on ``date_to`` is published (about 6 months on)."""
    return _last_day(
        lambda day: interest_is_shown(date_to, day), add_months(date_to, EXPIRED_INTEREST_SHOWN_MONTHS)
    )


def engagement_shown_until(end_date: date) -> date:
    """The last day an engagement that ended on ``end_date`` keeps the professional on the register."""
    return _last_day(
        lambda day: engagement_keeps_on_register(end_date, end_date, day),
        add_months(end_date, ENDED_ENGAGEMENT_SHOWN_MONTHS),
    )
