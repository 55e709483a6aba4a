"""Compliance: whether each in-scope professional has declared to a provider, and a provider's rating.

Source: NHS England, *Managing Conflicts of Interest in the NHS* (2017, revised 2024) - declare on
appointment or engagement, within 28 days, and at least annually (a nil return counts). The four
statuses and the rating are defined in docs/product.md, "Compliance".

Boundaries (each is tested in tests/unit/test_compliance_rules.py):

- A declaration counts as "within the last 12 months" up to the day before its anniversary. The
  anniversary is the same day 12 calendar months later; a declaration made on 29 February has its
  anniversary on 28 February in a year without one (never more than 12 months of cover).
- "Less than 28 days ago" means as_of < date + 28 days: on day 27 a newcomer is still due, on
  day 28 they are missing. Likewise a lapsed declaration is due from its anniversary until the
  day before anniversary + 28 days, and overdue from anniversary + 28 days.
- Both 28-day windows count: someone re-engaged less than 28 days ago is due even if an old
  declaration to the same provider has lapsed long ago (product.md: due = "engaged less than 28
  days ago, or the last declaration's anniversary passed less than 28 days ago").
- All dates are calendar dates; the rules know nothing of time zones.

Everything here is plain Python so the same function answers for any past date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from interests.rules.months import add_months
from interests.rules.vocabulary import ENGAGEMENT_TYPE_BY_CODE, ENGAGEMENT_TYPES

DECLARE_WITHIN_DAYS = 28  # days; NHS England CoI guidance: declare within 28 days of engagement
DECLARATION_VALID_MONTHS = 12  # calendar months; NHS England CoI guidance: declare at least annually
DEFAULT_MEETS_PERCENT = 95  # percent declared; product.md "Compliance" example threshold
DEFAULT_REQUIRES_IMPROVEMENT_PERCENT = 75  # percent declared; product default, overridden by config


class DeclarationStatus(StrEnum):
    """Where one in-scope professional stands with one provider on a date."""

    DECLARED = "declared"
    DUE = "due"
    OVERDUE = "overdue"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return _STATUS_WORDS[self][0]

    @property
    def explanation(self) -> str:
        return _STATUS_WORDS[self][1]


_STATUS_WORDS: dict[DeclarationStatus, tuple[str, str]] = {
    DeclarationStatus.DECLARED: (
        "Declared",
        "Sent a declaration or nil return to this provider in the last 12 months.",
    ),
    DeclarationStatus.DUE: (
        "Due",
        "Not declared, but still has time: they started less than 28 days ago, or their last "
        "declaration became 12 months old less than 28 days ago.",
    ),
    DeclarationStatus.OVERDUE: (
        "Overdue",
        "Declared before, but their last declaration is more than 12 months and 28 days old.",
    ),
    DeclarationStatus.MISSING: (
        "Missing",
        "Started 28 days ago or more and has never sent a declaration to this provider.",
    ),
}


def is_in_scope(as_of: date, start: date, end: date | None) -> bool:
    """Whether an engagement is active on `as_of`: it has started and has not ended before that day.

    An engagement ending today is still in scope today; one that ended yesterday is not.
    """
    return start <= as_of and (end is None or end >= as_of)


def anniversary_of(declared_on: date) -> date:
    """The first day a declaration no longer counts: 12 calendar months after it was made."""
    return add_months(declared_on, DECLARATION_VALID_MONTHS)


def engagement_status(as_of: date, engaged_since: date, last_declared_on: date | None) -> DeclarationStatus:
    """The status on `as_of` of one professional's engagement with one provider.

    `engaged_since` is when the engagement started; `last_declared_on` the date of the latest
    declaration or nil return sent *to this provider* on or before `as_of` (None if never).
    Deciding whether the engagement is in scope is the caller's job (see `is_in_scope`).
    A declaration dated after `as_of` did not exist yet on that date: callers should not pass
    one, and if they do it is ignored (treated as never declared).
    """
    if last_declared_on is not None and last_declared_on > as_of:
        last_declared_on = None
    grace = timedelta(days=DECLARE_WITHIN_DAYS)
    if last_declared_on is not None:
        anniversary = anniversary_of(last_declared_on)
        if as_of < anniversary:
            return DeclarationStatus.DECLARED
        if as_of < anniversary + grace or as_of < engaged_since + grace:
            return DeclarationStatus.DUE
        return DeclarationStatus.OVERDUE
    if as_of < engaged_since + grace:
        return DeclarationStatus.DUE
    return DeclarationStatus.MISSING


class Engaged(NamedTuple):
    """One engagement of a professional at a provider, as far as "the engagement that counts" needs."""

    id: int
    engagement_type: str
    start: date
    end: date | None


@dataclass(frozen=True)
class CountedSpan:
    """The days (`counts_from` to `counts_until`, inclusive; None: no last day) on which one
    engagement is the one that counts for its professional at its provider."""

    counts_from: date
    counts_until: date | None
    engagement: Engaged


def counted_spans(engagements: Iterable[Engaged]) -> list[CountedSpan]:
    """For one professional's engagements at one provider, which one counts on each day, as spans.

    On a day they are in scope (`is_in_scope` for any of them), the one that counts is the earliest
    started of those in scope, then the lowest id: its type and start are theirs (one person, one
    status per provider). Which engagements are in scope changes only on a start date or the day
    after an end date, so between two such days the same one counts; days when none is in scope
    have no span. Spans come in date order and never overlap.
    """
    mine = list(engagements)
    turns = sorted(
        {e.start for e in mine}
        | {e.end + timedelta(days=1) for e in mine if e.end is not None and e.end < date.max}
    )
    spans: list[CountedSpan] = []
    for index, day in enumerate(turns):
        in_scope = [e for e in mine if is_in_scope(day, e.start, e.end)]
        if not in_scope:
            continue
        counted = min(in_scope, key=lambda e: (e.start, e.id))
        until = turns[index + 1] - timedelta(days=1) if index + 1 < len(turns) else None
        previous = spans[-1] if spans else None
        if (
            previous is not None
            and previous.engagement == counted
            and previous.counts_until == day - timedelta(days=1)
        ):
            spans[-1] = CountedSpan(previous.counts_from, until, counted)
        else:
            spans.append(CountedSpan(day, until, counted))
    return spans


def next_due_on(engaged_since: date, last_declared_on: date | None) -> date:
    """The date by which the next declaration must be sent to keep a clean record.

    With a declaration: its anniversary (from that day the professional is no longer declared).
    Never declared: `engaged_since` + 28 days (from that day they are missing).
    """
    if last_declared_on is None:
        return engaged_since + timedelta(days=DECLARE_WITHIN_DAYS)
    return anniversary_of(last_declared_on)


class TypeFigures(NamedTuple):
    """How many engagements of one type are in scope, and how many of those are declared."""

    in_scope: int
    declared: int


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else part * 100 / whole


@dataclass(frozen=True)
class ProviderFigures:
    """One provider's compliance on one date. `in_scope` is the sum of the four status counts."""

    in_scope: int
    declared: int
    due: int
    overdue: int
    missing: int
    by_type: dict[str, TypeFigures] = field(default_factory=dict)
    withheld: int = 0
    register_last_published: datetime | None = None
    # Industry payments reported about the provider's confirmed staff that no declaration covers
    # (certain or probable matches, or confirmed by the person): see docs/architecture.md.
    undeclared_payments: int = 0

    def __post_init__(self) -> None:
        counts = (
            self.in_scope,
            self.declared,
            self.due,
            self.overdue,
            self.missing,
            self.withheld,
            self.undeclared_payments,
        )
        if any(count < 0 for count in counts):
            raise ValueError("Compliance counts cannot be negative")
        if self.declared + self.due + self.overdue + self.missing != self.in_scope:
            raise ValueError("declared + due + overdue + missing must equal in_scope")

    @property
    def percent_declared(self) -> float | None:
        """Percentage of in-scope engagements declared; None when nobody is in scope."""
        return _percent(self.declared, self.in_scope)

    @property
    def percent_declared_by_type(self) -> dict[str, float | None]:
        """Percentage declared for each engagement type (None for a type with nobody in scope)."""
        return {code: _percent(figures.declared, figures.in_scope) for code, figures in self.by_type.items()}


def figures_from_statuses(
    rows: Iterable[tuple[str, DeclarationStatus | str]],
    *,
    withheld: int = 0,
    register_last_published: datetime | None = None,
) -> ProviderFigures:
    """Add up (engagement type, status) rows, one per in-scope engagement, into a provider's figures.

    This is the engagement-by-engagement reference that SQL aggregation must agree with. Every
    engagement type appears in `by_type`, in vocabulary order, even when none is in scope.
    """
    counts = dict.fromkeys(DeclarationStatus, 0)
    in_scope_by_type = {term.code: 0 for term in ENGAGEMENT_TYPES}
    declared_by_type = {term.code: 0 for term in ENGAGEMENT_TYPES}
    for engagement_type, code in rows:
        if engagement_type not in ENGAGEMENT_TYPE_BY_CODE:
            raise ValueError(f"Unknown engagement type: {engagement_type!r}")
        status = DeclarationStatus(code)  # the database hands back plain strings
        counts[status] += 1
        in_scope_by_type[engagement_type] += 1
        if status is DeclarationStatus.DECLARED:
            declared_by_type[engagement_type] += 1
    return ProviderFigures(
        in_scope=sum(counts.values()),
        declared=counts[DeclarationStatus.DECLARED],
        due=counts[DeclarationStatus.DUE],
        overdue=counts[DeclarationStatus.OVERDUE],
        missing=counts[DeclarationStatus.MISSING],
        by_type={
            code: TypeFigures(in_scope_by_type[code], declared_by_type[code]) for code in in_scope_by_type
        },
        withheld=withheld,
        register_last_published=register_last_published,
    )


class Rating(StrEnum):
    """A provider's compliance rating, from configurable thresholds."""

    MEETS_EXPECTATIONS = "meets_expectations"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    NO_STAFF = "no_staff"

    @property
    def label(self) -> str:
        return _RATING_WORDS[self][0]

    @property
    def explanation(self) -> str:
        return _RATING_WORDS[self][1]


_RATING_WORDS: dict[Rating, tuple[str, str]] = {
    Rating.MEETS_EXPECTATIONS: (
        "Meets expectations",
        "Nearly everyone who works here has declared in the last 12 months, and the register is published.",
    ),
    Rating.REQUIRES_IMPROVEMENT: (
        "Requires improvement",
        "Most people who work here have declared, but too many have not, or the register has not "
        "been published.",
    ),
    Rating.INADEQUATE: (
        "Inadequate",
        "Too many people who work here have not declared their interests.",
    ),
    Rating.NO_STAFF: (
        "No staff in scope",
        "Nobody was working here on this date, so there is nothing to rate.",
    ),
}


def rate(
    figures: ProviderFigures,
    meets_percent: float = DEFAULT_MEETS_PERCENT,
    requires_improvement_percent: float = DEFAULT_REQUIRES_IMPROVEMENT_PERCENT,
    published_within_days: int | None = None,
    as_of: datetime | None = None,
) -> Rating:
    """Rate a provider's figures.

    Meets expectations: at least `meets_percent` declared and the register published. Requires
    improvement: at least `requires_improvement_percent` declared (this includes providers above
    `meets_percent` whose register is not published). Otherwise inadequate; nobody in scope is
    `NO_STAFF`. Thresholds are inclusive. With `published_within_days`, the register only counts as
    published if it was published on or after `as_of` minus that many days (`as_of` is then required).
    """
    if not 0 <= requires_improvement_percent <= meets_percent <= 100:
        raise ValueError("Thresholds must satisfy 0 <= requires_improvement_percent <= meets_percent <= 100")
    if figures.in_scope == 0:
        return Rating.NO_STAFF
    published_at = figures.register_last_published
    published = published_at is not None
    if published_at is not None and published_within_days is not None:
        if as_of is None:
            raise ValueError("as_of is needed to check published_within_days")
        published = published_at >= as_of - timedelta(days=published_within_days)
    # Compare without dividing, so whole-number thresholds are exact (19 of 20 is exactly 95%).
    declared_times_100 = figures.declared * 100
    if published and declared_times_100 >= meets_percent * figures.in_scope:
        return Rating.MEETS_EXPECTATIONS
    if declared_times_100 >= requires_improvement_percent * figures.in_scope:
        return Rating.REQUIRES_IMPROVEMENT
    return Rating.INADEQUATE
