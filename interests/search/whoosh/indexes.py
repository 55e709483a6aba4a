"""The two indexes on disk under SEARCH_INDEX_DIR: creating and opening them, their write locks,
and one searcher per thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from interests.search.whoosh.schema import ORGS_SCHEMA, PEOPLE_SCHEMA

PEOPLE = "people"
ORGS = "orgs"
# Seconds a writer waits for another process's lock before giving up (search-notes.md: the
# plain writer raised LockError on 67% of concurrent attempts; writer(timeout=10) lost nothing).
WRITE_LOCK_TIMEOUT_SECONDS = 10.0


def exists(directory: str) -> bool:
    return whoosh_index.exists_in(directory, indexname=PEOPLE) and whoosh_index.exists_in(
        directory, indexname=ORGS
    )


def create(directory: str) -> None:
    Path(directory).mkdir(parents=True, exist_ok=True)
    if not whoosh_index.exists_in(directory, indexname=PEOPLE):
        whoosh_index.create_in(directory, PEOPLE_SCHEMA, indexname=PEOPLE)
    if not whoosh_index.exists_in(directory, indexname=ORGS):
        whoosh_index.create_in(directory, ORGS_SCHEMA, indexname=ORGS)


def open_index(directory: str, name: str) -> Any:
    return whoosh_index.open_dir(directory, indexname=name)


def writer(directory: str, name: str, **kwargs: Any) -> Any:
    return open_index(directory, name).writer(timeout=WRITE_LOCK_TIMEOUT_SECONDS, **kwargs)


def doc_count(directory: str) -> int:
    return int(open_index(directory, PEOPLE).doc_count())


def last_modified(directory: str) -> float:
    return float(open_index(directory, PEOPLE).last_modified())


_local = threading.local()


def searcher(directory: str, name: str) -> Searcher:
    """One searcher per thread and index, kept open and refreshed when the index changed."""
    cache: dict[tuple[str, str], Searcher] = getattr(_local, "searchers", None) or {}
    _local.searchers = cache
    key = (directory, name)
    current = cache.get(key)
    if current is None:
        # One index directory per process in practice; tests make many: close the others.
        for other in [k for k in cache if k[0] != directory]:
            cache.pop(other).close()
        current = open_index(directory, name).searcher()
    elif not current.up_to_date():
        # Not Searcher.refresh(): whoosh-reloaded 2.7.5 raises TypeError when the old reader
        # was an EmptyReader (an index that had no documents).
        current.close()
        current = open_index(directory, name).searcher()
    cache[key] = current
    return current


def close_searchers() -> None:
    for s in (getattr(_local, "searchers", None) or {}).values():
        s.close()
    _local.searchers = {}
