"""Compliance terms: what an inspector asks for, and the rows and totals they get back. (The
cut-off dates for a day, `Cutoffs`, are `services.scope`'s.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from interests.rules.compliance import (
    ProviderFigures,
    Rating,
)
from interests.rules.vocabulary import ENGAGEMENT_TYPES, PROVIDER_KIND_BY_CODE, REGION_BY_CODE

TYPE_CODES: tuple[str, ...] = tuple(term.code for term in ENGAGEMENT_TYPES)
MAX_SEARCH_LENGTH = 200  # characters; longer than any provider name, CQC ID or ODS code
MEMBER_LIST_LIMIT = 50  # people listed per engagement type and status on a provider page


# --- Filters and sorting ------------------------------------------------------------------------

SORT_COLUMNS: tuple[str, ...] = (
    "name",
    "in_scope",
    "percent_declared",
    *(f"percent_{code}" for code in TYPE_CODES),
    "due",
    "overdue",
    "missing",
    "withheld",
    "undeclared_payments",
    "published",
    "rating",
)
# How ratings sort, worst first: an inspector looks for the providers that need attention.
RATING_ORDER: tuple[Rating, ...] = (
    Rating.INADEQUATE,
    Rating.REQUIRES_IMPROVEMENT,
    Rating.MEETS_EXPECTATIONS,
    Rating.NO_STAFF,
)


@dataclass(frozen=True)
class OverviewQuery:
    """What the inspector asked for: a date, filters, a search, an order and a page."""

    as_of: date
    region: str = ""
    kind: str = ""
    rating: str = ""
    search: str = ""
    sort: str = "name"
    descending: bool = False
    meets_percent: float = 95
    requires_improvement_percent: float = 75

    def __post_init__(self) -> None:
        if self.region and self.region not in REGION_BY_CODE:
            raise ValueError(f"Unknown region {self.region!r}")
        if self.kind and self.kind not in PROVIDER_KIND_BY_CODE:
            raise ValueError(f"Unknown provider kind {self.kind!r}")
        if self.rating and self.rating not in {r.value for r in Rating}:
            raise ValueError(f"Unknown rating {self.rating!r}")
        if self.sort not in SORT_COLUMNS:
            raise ValueError(f"Unknown sort column {self.sort!r}")


@dataclass(frozen=True)
class ProviderRow:
    """One provider's line in the overview."""

    provider_id: int
    slug: str
    name: str
    cqc_provider_id: str | None
    ods_code: str | None
    region: str
    kind: str
    figures: ProviderFigures
    rating: Rating

    @property
    def percent_declared(self) -> float | None:
        return self.figures.percent_declared


@dataclass(frozen=True)
class Totals:
    """The filtered set added up (percentages are of everyone in scope in the set)."""

    providers: int
    figures: ProviderFigures


@dataclass(frozen=True)
class OverviewPage:
    rows: list[ProviderRow]
    totals: Totals
    page: int
    pages: int
    page_size: int
    calculated_at: datetime | None = None  # when the snapshot read was taken; None: just now, live
