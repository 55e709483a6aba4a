"""`PostgresBackend`: the `Backend` protocol (interests/search/backend.py) over the search tables
in the register's own PostgreSQL database.

It is given a function returning the database connection of the current transaction (a psycopg
connection): it reads and writes through it and never commits, so what it writes is saved with
the change that caused it, and every server sees the same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from interests.search import fields
from interests.search.documents import Found, Hit, PersonDocument
from interests.search.postgres import schema
from interests.search.postgres.searching import search
from interests.search.postgres.writer import Writer, prune_unheld_names


class PostgresBackend:
    """The national path's engine: written in the change's own transaction."""

    in_transaction = True

    def __init__(self, connection: Callable[[], Any]) -> None:
        self._connection = connection

    @property
    def conn(self) -> Any:
        return self._connection()

    def exists(self) -> bool:
        return schema.exists(self.conn)

    def is_empty(self) -> bool:
        return bool(self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM search_index_person)").fetchone()[0])

    @contextmanager
    def writing(self, *, rebuild: bool = False) -> Iterator[Writer]:
        # No lock or commit of its own: the caller's transaction holds the rows (writer.py).
        w = Writer(self.conn, rebuild)
        yield w
        w.finish()

    def search(self, query: str, page: int, per_page: int) -> Found:
        return search(self.conn, query, page, per_page)

    def recheck(self, hit: Hit, document: PersonDocument) -> Hit | None:
        return fields.recheck(hit, document)

    def refreshed_on(self) -> date | None:
        if not self.exists():
            return None
        row = self.conn.execute("SELECT refreshed_on FROM search_index_state").fetchone()
        return row[0] if row is not None else None

    def note_refreshed(self, day: date) -> None:
        self.conn.execute("UPDATE search_index_state SET refreshed_on = %s", (day,))

    def upgrade(self) -> bool:
        return schema.upgrade(self.conn) and self.exists()

    def tidy(self) -> None:
        if self.exists():
            schema.fold_counts(self.conn)
            prune_unheld_names(self.conn)

    def remove(self) -> None:
        schema.drop(self.conn)
