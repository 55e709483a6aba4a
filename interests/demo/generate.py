"""`generate()`: the whole synthetic register as batches of plain rows, from a seed and a day."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from interests.demo.people import _professional
from interests.demo.providers import _providers, _World
from interests.demo.vocabulary import CHUNK_PROFESSIONALS, TABLE_ORDER


def _demo_providers(world: _World) -> list[int]:
    """The demo professional's two providers: an NHS trust and an independent hospital."""
    picks: list[int] = []
    for kind in ("nhs_trust", "independent_hospital", "clinic", "gp_practice"):
        ids = world.by_kind.get(kind, ([], []))[0]
        if ids and len(picks) < 2:
            picks.append(ids[0])
    for provider in world.providers:
        if len(picks) < 2 and provider["id"] not in picks:
            picks.append(provider["id"])
    return picks


def generate(
    rng: random.Random, *, providers: int, professionals: int, today: date, chunk: int = CHUNK_PROFESSIONALS
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield (table name, rows) batches in insert order; the same rng state and today, the same rows.

    Professional 1 is always the demo professional: a consultant working at exactly two
    providers (an NHS trust and an independent hospital) with three interests.
    The last batch is ("provider_register_updated", [{"id", "register_updated_at"}]).
    """
    if providers < 2 or professionals < 1:
        raise ValueError("The demo needs at least 2 providers and 1 professional")
    now = datetime(today.year, today.month, today.day, 7, 0, tzinfo=UTC)
    world = _World(rng=rng, today=today, now=now)
    world.reference_key = rng.randrange(31**8)
    yield "provider", list(_providers(world, providers))
    forced = {"providers": _demo_providers(world)}
    batches: dict[str, list[dict[str, Any]]] = {}
    for number in range(professionals):
        for table, row in _professional(world, forced if number == 0 else None):
            batches.setdefault(table, []).append(row)
        if (number + 1) % chunk == 0 or number + 1 == professionals:
            for model in TABLE_ORDER[1:]:
                rows = batches.pop(model.__tablename__, None)
                if rows:
                    yield model.__tablename__, rows
    yield (
        "provider_register_updated",
        [
            {"id": provider_id, "register_updated_at": at}
            for provider_id, at in sorted(world.register_updated.items())
        ],
    )
