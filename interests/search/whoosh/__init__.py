"""The embedded search engine: two Whoosh indexes under SEARCH_INDEX_DIR."""

from __future__ import annotations

from interests.search.whoosh.backend import WhooshBackend

__all__ = ["WhooshBackend"]
