"""The seam between the register and a search engine: what any backend must do.

Whoosh (interests/search/whoosh/) is the embedded one; PostgreSQL (interests/search/postgres/)
the national path's. A backend knows nothing of the database models or the
services: it is given typed documents and answers with typed hits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol

from interests.search.documents import Found, Hit, PersonDocument, ProviderDocument


class IndexBusy(RuntimeError):
    """Raised by ``IndexWriter.reserve`` while a rebuild runs (PostgreSQL): the change's work stays
    recorded and is applied once the rebuild has finished."""


class IndexWriter(Protocol):
    def reserve(self, professional_ids: Iterable[int]) -> None:
        """Called before these professionals' documents are read from the database: an engine
        written inside the change's transaction locks them here, so two changes to one person are
        indexed one after the other (the second reads what the first committed). Raises
        ``IndexBusy`` while the index is being rebuilt."""

    def put_people(self, documents: Mapping[int, PersonDocument | None]) -> None:
        """Index these professionals as given; None means nothing of theirs is published now."""

    def put_providers(self, providers: Iterable[ProviderDocument]) -> None:
        """Index (or re-index) these providers."""


class Backend(Protocol):
    # True when the index is written inside the caller's transaction (PostgreSQL): the services
    # then apply a change's index work before its commit, and commit the engine's own writes.
    # False when the engine keeps its own store and commits it itself (Whoosh).
    in_transaction: bool

    def exists(self) -> bool:
        """Whether the index has been built."""

    def is_empty(self) -> bool:
        """Whether the index holds no professional: cheap at any size (/healthz asks on every probe,
        and anyone may call it: a count of 2,000,000 rows took 130 ms on PostgreSQL)."""

    def writing(self, *, rebuild: bool = False) -> AbstractContextManager[IndexWriter]:
        """Change the index: everything written in the block is kept together when it ends without
        an error, and none of it otherwise. With `rebuild`, the index is emptied first (and created
        when missing). Other writers wait while the block runs."""

    def search(self, query: str, page: int, per_page: int) -> Found:
        """One page of professionals for the query, and the providers and companies it named."""

    def recheck(self, hit: Hit, document: PersonDocument) -> Hit | None:
        """The hit as this up-to-date document gives it, or None when the document no longer
        matches the way the hit was found (by name, or through an organisation)."""

    def refreshed_on(self) -> date | None:
        """The UK day up to which the whole index was last made current (rebuild or refresh)."""

    def note_refreshed(self, day: date) -> None:
        """Remember that the whole index is current up to this UK day."""

    def upgrade(self) -> bool:
        """Add what this version reads to an index an older version built, from what it holds,
        when that is possible without a rebuild; True if it did (in the caller's transaction)."""

    def tidy(self) -> None:
        """Periodic housekeeping, in the caller's transaction, that never makes a change wait
        (PostgreSQL: each term's count rows summed into one; Whoosh: nothing)."""

    def remove(self) -> None:
        """Delete the index (tests and the health check's "missing" case)."""
