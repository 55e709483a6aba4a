"""Making the interests professionals declare, each with one to three versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from interests.demo.providers import _at, _other_party, _World
from interests.demo.vocabulary import (
    FAMILY_RELATIONSHIPS,
    HISTORY_YEARS,
    INTEREST_TEMPLATES,
    PRIVATE_HOSPITALS,
)
from interests.rules.vocabulary import TYPES_WITH_VALUE

if TYPE_CHECKING:
    from interests.demo.people import _Person


def _interest(
    world: _World, person: _Person, start: date, last: date | None, forced_index: int | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    rng, today = world.rng, world.today
    if forced_index is not None:
        template = INTEREST_TEMPLATES[(0, 1, 8)[forced_index]]
    elif world.template_turn < len(INTEREST_TEMPLATES):  # every category and type appears
        template = INTEREST_TEMPLATES[world.template_turn]
        world.template_turn += 1
    else:
        template = rng.choices(INTEREST_TEMPLATES, weights=[t[2] for t in INTEREST_TEMPLATES])[0]
    category, interest_type, _, pool, descriptions, value_range = template
    earliest = max(start - timedelta(days=365 * 2), today - timedelta(days=365 * HISTORY_YEARS + 200))
    # Most interests arose before the professional's last declaration, so it covers them.
    latest = last if last is not None and last >= earliest and rng.random() < 0.8 else today
    one_off = interest_type in ("gifts", "hospitality", "sponsored_events", "donations")
    if one_off:  # a meal or a gift counts for the year of the declaration that covers it
        earliest = max(earliest, latest - timedelta(days=360))
    date_from = earliest + timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
    if one_off:
        date_to: date | None = date_from
    elif forced_index is None and rng.random() < 0.25:
        date_to = date_from + timedelta(days=rng.randint(30, 900))
        if date_to > today:
            date_to = None
    else:
        date_to = None
    if forced_index is not None:
        date_from, date_to = today - timedelta(days=400 + 30 * forced_index), None
        if one_off:
            date_from = date_to = today - timedelta(days=60)
    other_party = _other_party(world, pool)
    if interest_type == "clinical_private_practice" and person.engagements:
        other_party = _private_practice_place(world, person)
    if value_range is None or interest_type not in TYPES_WITH_VALUE:
        value = None
    else:
        low, high = value_range
        value = rng.randint(low // 100, high // 100) * 100
        if interest_type == "hospitality" and rng.random() < 0.05:
            value = rng.randint(80, 150) * 100  # over £75: approved and declared
    relationship = rng.choice(FAMILY_RELATIONSHIPS) if category == "indirect" else None
    interest_id = world.ids.next("interest")
    if rng.random() < 0.015:  # ~1.5% of interests: a request to withhold it at one provider
        world.flagged.add(interest_id)
    yield "interest", {"id": interest_id, "professional_id": person.id, "created_at": _at(date_from, rng)}
    # Later versions: the professional edited the description or added an end date.
    version_count = 1 if forced_index is not None else rng.choices((1, 2, 3), (80, 15, 5))[0]
    versions: list[dict[str, Any]] = []
    changed_on = date_from
    for number in range(1, version_count + 1):
        if number > 1:
            gap = (today - changed_on).days
            if gap < 2:
                break
            changed_on = changed_on + timedelta(days=rng.randint(1, gap))
        description = rng.choice(descriptions)
        if number > 1 and not one_off:
            description += rng.choice(
                (
                    " (role now includes chairing the board)",
                    " (hours reduced)",
                    " - updated to add the dates",
                    " (renewed for another year)",
                )
            )
        version_to = date_to
        if number == version_count and number > 1 and date_to is None and rng.random() < 0.3:
            version_to = max(changed_on, date_from)  # this change recorded the end of the interest
        version = {
            "id": world.ids.next("interest_version"),
            "interest_id": interest_id,
            "version_number": number,
            "category": category,
            "interest_type": interest_type,
            "other_party": other_party,
            "description": description,
            "value_pence": value,
            "relationship_to_professional": relationship,
            "date_from": date_from,
            "date_to": version_to,
            "created_at": _at(changed_on, rng),
            "created_by_account_id": None,
        }
        versions.append(version)
        yield "interest_version", version
    person.versions.append(versions)


def _private_practice_place(world: _World, person: _Person) -> str:
    for engagement in person.engagements:
        if engagement["engagement_type"] == "practising_privileges":
            return str(world.providers[engagement["provider_id"] - 1]["name"])
    return world.rng.choice(PRIVATE_HOSPITALS)
