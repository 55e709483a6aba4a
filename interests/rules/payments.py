"""Industry payments beside declarations: who a reported payment is about, and whether they
declared it. Pure rules, each tested with a table of cases (tests/unit/test_payment_rules.py).

Matching (product card, "Industry payments"): a registration number that one professional holds
is certain. Otherwise the name and the place: the same name with a provider in the payment's
city is probable; a variant of the name (Bill for William, Davies for Davis) with a provider in
the city, or the same name with none there but nobody else of that name on the register, is
possible. Two or more people equally likely are namesakes: nobody is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

CERTAIN = "certain"
PROBABLE = "probable"
POSSIBLE = "possible"
AMBIGUOUS = "ambiguous"  # namesakes: kept, not matched
NOBODY = "nobody"  # kept, counted, not matched
CONFIDENCES = (CERTAIN, PROBABLE, POSSIBLE)
OUTCOMES = (*CONFIDENCES, AMBIGUOUS, NOBODY)
OUTCOME_LABELS = {
    CERTAIN: "Certain",
    PROBABLE: "Probable",
    POSSIBLE: "Possible",
    AMBIGUOUS: "Namesakes: not matched",
    NOBODY: "Matches nobody",
}


def shown_publicly(match: str, confirmed: bool) -> bool:
    """A reported payment is shown on a professional's public page only when the company gave
    their registration number (certain) or they confirmed it is theirs: a match by name alone may
    be a namesake, and a public page must not say so of the wrong person."""
    return match == CERTAIN or (confirmed and match in CONFIDENCES)


# A payment counts against its professional's provider, in the inspectors' figure of payments not
# declared, when the company gave their registration number or the name matched someone working in
# the payment's city; a possible match (a variant of the name, or no provider of theirs in that
# city) may be a namesake, and counts only once they confirm it is theirs.
COUNTED_WITHOUT_CONFIRMATION = (CERTAIN, PROBABLE)

SAME_NAME = "same"
VARIANT_NAME = "variant"


@dataclass(frozen=True)
class Candidate:
    """A professional the payment could be about, and how well they fit."""

    professional_id: int
    name_fit: str  # SAME_NAME or VARIANT_NAME
    in_city: bool  # a provider they work at is in the payment's city
    display: str = ""  # "Dr Amira Okafor (GMC 1234567)", for the reason


@dataclass(frozen=True)
class Match:
    outcome: str  # one of OUTCOMES
    professional_id: int | None
    reason: str

    @property
    def matched(self) -> bool:
        return self.professional_id is not None


def decide_match(
    *,
    identifier: str,
    by_number: Sequence[Candidate],
    by_name: Sequence[Candidate],
    city: str,
) -> Match:
    """The matcher's decision for one payment, from what the register holds.

    `by_number`: the professionals holding a registration number the identifier could be (any
    regulator whose format it fits); `by_name`: those whose name is the payment's or a variant of
    it, with whether they work in the city.
    """
    if len(by_number) == 1:
        holder = by_number[0]
        return Match(
            CERTAIN, holder.professional_id, f"Registration number {identifier} is {holder.display}'s"
        )
    note = ""
    if len(by_number) > 1:
        note = f"Registration number {identifier} is held by {len(by_number)} people in different registers. "
    elif identifier:
        note = f"Nobody on the register has the registration number {identifier}. "
    tiers = (
        (
            PROBABLE,
            [c for c in by_name if c.name_fit == SAME_NAME and c.in_city],
            f"same name, works in {city}",
        ),
        (
            POSSIBLE,
            [c for c in by_name if c.name_fit == VARIANT_NAME and c.in_city],
            f"a variant of the name, works in {city}",
        ),
        (
            POSSIBLE,
            [c for c in by_name if c.name_fit == SAME_NAME and not c.in_city],
            f"same name, but no provider of theirs is in {city}",
        ),
    )
    for confidence, found, why in tiers:
        if len(found) == 1:
            return Match(confidence, found[0].professional_id, f"{note}{found[0].display}: {why}".strip())
        if len(found) > 1:
            return Match(
                AMBIGUOUS,
                None,
                f"{note}{len(found)} people fit equally ({why}): not guessed".strip(),
            )
    if by_name:
        return Match(
            NOBODY, None, f"{note}Only variants of the name, none working in {city}: not guessed".strip()
        )
    return Match(NOBODY, None, f"{note}Nobody on the register has this name".strip())


# Which declared types of interest cover each part of a payment (NHS England CoI guidance's
# types, interests/rules/vocabulary.py): an event's registration fee, travel and accommodation
# are a sponsored event or hospitality; fees for service and consultancy, and the expenses of that
# contract, are outside employment (consultancy, advisory boards) or a sponsored post.
EVENT_TYPES = frozenset({"sponsored_events", "hospitality"})
SERVICE_TYPES = frozenset({"outside_employment", "sponsored_posts", "sponsored_research"})
TYPES_FOR_PART = {
    "registration_fees": EVENT_TYPES,
    "travel": EVENT_TYPES,
    "fees": SERVICE_TYPES,
    "related_expenses": SERVICE_TYPES,
}
PART_LABELS = {
    "registration_fees": "registration fees",
    "travel": "travel and accommodation",
    "fees": "fees for service and consultancy",
    "related_expenses": "related expenses",
}


@dataclass(frozen=True)
class DeclaredInterest:
    """An interest the professional declared (sent to a provider): who with, what and when."""

    company_key: str  # rules.disclosure.company_key of the other party
    interest_type: str
    date_from: date
    date_to: date | None


@dataclass(frozen=True)
class Reconciled:
    declared: bool
    reason: str
    missing: tuple[str, ...] = ()  # the parts (TYPES_FOR_PART) no declared interest covers


SERVICE_PARTS = ("fees", "related_expenses")
EVENT_PARTS = ("registration_fees", "travel")


def parts_to_declare(amounts: dict[str, int], missing: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The interest to add for a payment not (fully) declared: its type and the parts it covers.

    One interest covers either the service parts (fees, their expenses: outside employment) or the
    event parts (registration, travel: a sponsored event); a payment with both needs two, so the
    service parts come first and the event parts are offered once those are declared.
    """
    wanted = [part for part in missing if amounts.get(part, 0) > 0] or [
        part for part in TYPES_FOR_PART if amounts.get(part, 0) > 0
    ]
    service = tuple(part for part in SERVICE_PARTS if part in wanted)
    if service:
        return "outside_employment", service
    return "sponsored_events", tuple(part for part in EVENT_PARTS if part in wanted)


def reconcile(
    *, company_key: str, year: int, amounts: dict[str, int], interests: Iterable[DeclaredInterest]
) -> Reconciled:
    """Was a reported payment declared?

    Declared when, for every part of the payment with money in it, the professional declared an
    interest with that company (names compared by `company_key`) of a type that covers that part,
    running at some time in that year. A £25 hospitality declaration does not cover a £20,000
    consultancy fee from the same company: each part must be covered.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    covered_types = {
        interest.interest_type
        for interest in interests
        if interest.company_key == company_key
        and company_key
        and interest.date_from <= last
        and (interest.date_to is None or interest.date_to >= first)
    }
    parts = [part for part in TYPES_FOR_PART if amounts.get(part, 0) > 0]
    if not parts:
        return Reconciled(True, "Nothing was paid")
    missing = [part for part in parts if not (TYPES_FOR_PART[part] & covered_types)]
    if not missing:
        return Reconciled(True, f"Covered by an interest with this company in {year}")
    if not covered_types:
        return Reconciled(False, f"No interest with this company for {year}", tuple(missing))
    return Reconciled(
        False,
        "Part declared; not covered: " + ", ".join(PART_LABELS[part] for part in missing) + f" in {year}",
        tuple(missing),
    )
