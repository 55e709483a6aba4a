"""`WhooshBackend`: the `Backend` protocol (interests/search/backend.py) over the two Whoosh indexes.

Whoosh is unmaintained: only ``interests.search`` imports this package, and the register reaches it
through ``WhooshBackend``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from interests.search import fields
from interests.search.documents import Found, Hit, PersonDocument
from interests.search.whoosh.indexes import close_searchers, doc_count, exists
from interests.search.whoosh.searching import search
from interests.search.whoosh.writer import Writer

# Beside the index: the UK day up to which the whole index was last made current (by a rebuild or a
# refresh). It lives with the index because each copy of the app has its own (SEARCH_INDEX_DIR).
_REFRESHED_ON_FILE = "refreshed-on"


class WhooshBackend:
    """The embedded backend: two Whoosh indexes in one directory on this server's disk."""

    in_transaction = False

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def exists(self) -> bool:
        return exists(self.directory)

    def is_empty(self) -> bool:
        return doc_count(self.directory) == 0  # the index's own metadata: no document is read

    @contextmanager
    def writing(self, *, rebuild: bool = False) -> Iterator[Writer]:
        w = Writer(self.directory, rebuild)
        try:
            yield w
            w.commit()
        except BaseException:
            w.cancel()
            raise

    def search(self, query: str, page: int, per_page: int) -> Found:
        return search(self.directory, query, page, per_page)

    def recheck(self, hit: Hit, document: PersonDocument) -> Hit | None:
        return fields.recheck(hit, document)

    def refreshed_on(self) -> date | None:
        try:
            return date.fromisoformat((Path(self.directory) / _REFRESHED_ON_FILE).read_text().strip())
        except (OSError, ValueError):
            return None

    def upgrade(self) -> bool:
        return False

    def tidy(self) -> None:
        pass

    def note_refreshed(self, day: date) -> None:
        path = Path(self.directory) / _REFRESHED_ON_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(day.isoformat() + "\n")
        temporary.replace(path)

    def remove(self) -> None:
        close_searchers()
        shutil.rmtree(self.directory, ignore_errors=True)
