"""A realistic, deterministic synthetic register: `flask --app interests demo seed`.

Rooms: `vocabulary` (settings and words), `providers`, `people` (professionals and their
engagements), `declared_interests`, `declarations` (and withholding requests), `generate`,
`writer`, `cli`.

Two halves, kept apart so each can be tested and timed on its own:

- `generate()` is pure: from a `random.Random(seed)`, the sizes and `today` it yields batches of
  plain dict rows with explicit ids, already valid (the same seed and `today` give the same rows);
- `write()` sends those batches to the database as bulk inserts, no ORM objects and no
  round-trips for ids, then creates the four demo accounts through the accounts service.

Bulk inserts bypass the `before_flush` checks of the models, so the generator only makes rows
those checks accept (tests/db/test_demo_seed.py loads a sample back and runs `check()` on it).
Names, companies and places are made up or common words; any likeness to a real person is chance.
They live in demo_data/world.toml (package data), in the order the seeded choices depend on.
"""

from __future__ import annotations

from interests.demo.cli import demo_cli
from interests.demo.generate import generate
from interests.demo.vocabulary import (
    DEFAULT_PASSWORD,
    DEMO_ACCOUNTS,
    DEMO_PROFESSIONAL_ID,
    SIGN_IN_URL,
    TABLE_ORDER,
    WORDS_FILE,
)
from interests.demo.writer import SeedResult, create_demo_accounts, seed, table_counts, write

__all__ = [
    "DEFAULT_PASSWORD",
    "DEMO_ACCOUNTS",
    "DEMO_PROFESSIONAL_ID",
    "SIGN_IN_URL",
    "SeedResult",
    "TABLE_ORDER",
    "WORDS_FILE",
    "create_demo_accounts",
    "demo_cli",
    "generate",
    "seed",
    "table_counts",
    "write",
]
