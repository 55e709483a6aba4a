"""Search engines behind one seam: typed documents in, typed hits out.

Shared by every engine:

- `documents.py`: what is indexed (`PersonDocument`, `ProviderDocument`) and what a search
  answers (`Found`, `Hit`, `OrgMatch`);
- `backend.py`: the `Backend` protocol every engine implements;
- `names.py`: how names are normalised, matched and made into sound-alike codes, and the curated
  name equivalents (Bill/William, Davies/Davey);
- `queries.py`: what a query asks for (a registration number, or names matched in tiers) and how
  much each way of matching counts.

One package per engine, chosen by `backend_for()`:

- `whoosh/`: the embedded engine, two indexes under SEARCH_INDEX_DIR (`schema`, `indexes`,
  `postings`, `searching`, `writer`, and `backend` for `WhooshBackend`);
- `postgres/`: the national path's engine, tables in the register's PostgreSQL database written
  in the change's own transaction (`schema`, `searching`, `writer`, and `backend` for
  `PostgresBackend`).

Both use `fields.py` (what a document's fields hold) and `tiers.py` (the ways a query word
matches, tier by tier), so they find the same people.

This package imports nothing from the services or the models: the services
(interests/services/search_index.py) decide what is published, build the documents and keep the
index in step with the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from interests.search.backend import Backend, IndexBusy, IndexWriter
from interests.search.documents import Found, Hit, OrgMatch, PersonDocument, ProviderDocument

__all__ = [
    "Backend",
    "Found",
    "Hit",
    "IndexBusy",
    "IndexWriter",
    "OrgMatch",
    "PersonDocument",
    "ProviderDocument",
    "backend_for",
]


ENGINES = ("whoosh", "postgres")


def engine_name(config: Mapping[str, Any]) -> str:
    """SEARCH_BACKEND when set; otherwise PostgreSQL's own tables when the register is in
    PostgreSQL, and Whoosh otherwise."""
    chosen = str(config.get("SEARCH_BACKEND") or "").strip().lower()
    if chosen:
        if chosen not in ENGINES:
            raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(ENGINES)}, not {chosen!r}")
        return chosen
    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    return "postgres" if database.startswith("postgresql") else "whoosh"


def backend_for(config: Mapping[str, Any], connection: Callable[[], Any] | None = None) -> Backend:
    """The search engine this configuration names. ``connection`` gives the PostgreSQL engine the
    database connection of the current transaction."""
    if engine_name(config) == "postgres":
        from interests.search.postgres import PostgresBackend

        if connection is None:
            raise ValueError("The PostgreSQL search engine needs the database connection")
        return PostgresBackend(connection)
    from interests.search.whoosh import WhooshBackend

    return WhooshBackend(str(config["SEARCH_INDEX_DIR"]))
