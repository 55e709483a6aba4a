"""Search engines behind one seam: typed documents in, typed hits out.

- `documents.py`: what is indexed (`PersonDocument`, `ProviderDocument`) and what a search
  answers (`Found`, `Hit`, `OrgMatch`);
- `backend.py`: the `Backend` protocol every engine implements;
- `whoosh_backend.py`: the embedded engine, under SEARCH_INDEX_DIR;
- `names.py`: how names are normalised, matched and made into sound-alike codes.

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
