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
  `postings`, `searching`, `writer`, and `backend` for `WhooshBackend`).

A second engine (PostgreSQL, for the national path) belongs beside it as its own package.

This package imports nothing from the services or the models: the services
(interests/services/search_index.py) decide what is published, build the documents and keep the
index in step with the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interests.search.backend import Backend, IndexWriter
from interests.search.documents import Found, Hit, OrgMatch, PersonDocument, ProviderDocument

__all__ = [
    "Backend",
    "Found",
    "Hit",
    "IndexWriter",
    "OrgMatch",
    "PersonDocument",
    "ProviderDocument",
    "backend_for",
]


def backend_for(config: Mapping[str, Any]) -> Backend:
    """The search engine this configuration names (Whoosh under SEARCH_INDEX_DIR)."""
    from interests.search.whoosh import WhooshBackend

    return WhooshBackend(str(config["SEARCH_INDEX_DIR"]))
