"""What a search engine holds, read straight from its store (not through any page), whichever
engine the app uses: Whoosh's files under SEARCH_INDEX_DIR, or PostgreSQL's search tables."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text

from interests.extensions import db
from interests.search import engine_name
from interests.search.postgres.schema import TABLES


def index_contents(app: Flask) -> list[tuple[str, bytes]]:
    """Every stored piece of the index as (where, bytes): each Whoosh file, or each row of each
    PostgreSQL search table (as PostgreSQL prints it)."""
    if engine_name(app.config) == "whoosh":
        files = [p for p in Path(app.config["SEARCH_INDEX_DIR"]).rglob("*") if p.is_file()]
        return [(str(p), p.read_bytes()) for p in files]
    found = []
    with app.app_context():
        for table in TABLES:
            for (row,) in db.session.execute(text(f"SELECT t::text FROM {table} AS t")):  # noqa: S608
                found.append((table, row.encode()))
    return found
