"""What declaring shares: the statements a professional confirms and the details of an interest.

Every write here only adds to the session and flushes; the caller's unit of work
(interests/unit_of_work.py) commits it, or rolls it all back when a `DeclarationProblem` is
raised."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from interests.models import (
    InterestVersion,
)
from interests.rules.publication import expiry_cutoff
from interests.rules.vocabulary import TYPE_BY_CODE, TYPES_WITH_VALUE

# The words a professional confirms when sending (kept with each declaration).
DECLARATION_STATEMENT = (
    "I confirm that this declaration is complete and accurate: it lists all my relevant "
    "interests, and I will declare any new or changed interest within 28 days."
)
NIL_RETURN_STATEMENT = (
    "I confirm that I have no relevant interests to declare, and I will declare any new "
    "interest within 28 days."
)
# References people can read out on the phone: no 0/O, 1/I/L, 5/S, 2/Z.
_REFERENCE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"


class DeclarationProblem(ValueError):
    """Sending cannot go ahead; the message says why, in plain English, and what to do."""


def covered_after(on: date) -> date:
    """Interests that ended on or after this date are still declared (and published): the 6-month
    rule of interests/rules/publication.py."""
    return expiry_cutoff(on)


@dataclass(frozen=True)
class InterestDetails:
    """What a professional says about an interest: the content of one version."""

    category: str
    interest_type: str
    other_party: str
    description: str
    date_from: date
    date_to: date | None = None
    value_pence: int | None = None
    relationship_to_professional: str | None = None

    def normalised(self) -> InterestDetails:
        """Drop what does not apply: a value only for types with one, a relationship only if indirect."""
        return InterestDetails(
            category=self.category,
            interest_type=self.interest_type,
            other_party=self.other_party,
            description=self.description,
            date_from=self.date_from,
            date_to=self.date_to,
            value_pence=self.value_pence if self.interest_type in TYPES_WITH_VALUE else None,
            relationship_to_professional=(
                (self.relationship_to_professional or None) if self.category == "indirect" else None
            ),
        )

    @classmethod
    def of(cls, version: InterestVersion) -> InterestDetails:
        return cls(
            category=version.category,
            interest_type=version.interest_type,
            other_party=version.other_party,
            description=version.description,
            date_from=version.date_from,
            date_to=version.date_to,
            value_pence=version.value_pence,
            relationship_to_professional=version.relationship_to_professional,
        )


def _summary(details: InterestDetails) -> str:
    kind = TYPE_BY_CODE[details.interest_type].label.lower()
    return f"{kind}: {details.other_party}"


def submission_key(professional_id: int, on: date, version_ids: Iterable[int]) -> str:
    """The same content sent on the same day has the same key, so a replay creates nothing.

    A double click, the back button or a resent form all give the same key; the unique
    (submission_key, provider_id) constraint backs this up under concurrent requests.
    """
    ids = ",".join(str(i) for i in sorted(set(version_ids))) or "nil"
    return hashlib.sha256(f"{professional_id}|{on.isoformat()}|{ids}".encode()).hexdigest()[:40]


def new_reference() -> str:
    """A declaration reference like "DEC-7K3M-Q9TX" (27^8 possibilities, unique in the database)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"DEC-{chars[:4]}-{chars[4:]}"
