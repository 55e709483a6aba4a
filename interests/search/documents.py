"""What goes into the search index and what comes out: typed, published facts only.

The services build a `PersonDocument` for each professional with something published and a
`ProviderDocument` for each provider; a backend (interests/search/backend.py) indexes them and
answers a query with `Found`: the page of `Hit`s and the organisations the query named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PersonDocument:
    """What the search index may hold about one professional: published data only."""

    professional_id: int
    given_name: str
    family_name: str
    other_names: tuple[str, ...]
    regulator: str
    registration_number: str
    provider_ids: tuple[int, ...]
    companies: tuple[str, ...]
    # For showing a result without a database query: all published facts.
    title: str | None = None
    profession: str = ""
    specialty: str | None = None
    providers: tuple[tuple[str, str, str | None], ...] = ()  # (slug, name, role), A-Z
    # The last day this document is certainly right: after it an entry passes its 6 months after
    # ending, or an engagement starts or passes its 6 months (None: nothing changes with the date).
    fresh_until: date | None = None

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.title, self.given_name, self.family_name) if part)


@dataclass(frozen=True)
class ProviderDocument:
    provider_id: int
    name: str
    slug: str
    ods_code: str | None = None


@dataclass
class OrgMatch:
    """A provider or company the query named."""

    kind: str  # provider | company
    key: str
    label: str
    slug: str


@dataclass
class Hit:
    """One professional found. `display` holds the published facts a result shows: name,
    profession, specialty, registration, providers [(slug, name, role)] and fresh_until."""

    professional_id: int
    companies: list[str] = field(default_factory=list)  # labels of matched companies they declared
    display: dict[str, Any] = field(default_factory=dict)
    by_name: bool = True  # matched by name or registration number, not only through an organisation
    org_keys: list[str] = field(default_factory=list)  # matched organisations they are linked with


@dataclass
class Found:
    hits: list[Hit]
    total: int
    providers: list[OrgMatch]
    companies: list[OrgMatch]
    suggestion: str | None = None
