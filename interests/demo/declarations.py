"""Making declarations: each send to the providers where a professional works, its items and
their management actions, and the requests to withhold an entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from interests.demo.providers import _at, _reference, _World
from interests.demo.vocabulary import (
    DECLARATION_STATEMENT,
    MANAGEMENT_ACTIONS,
    NIL_STATEMENT,
    WITHHOLDING_DECISIONS,
    WITHHOLDING_REASONS,
)
from interests.rules.months import add_months

if TYPE_CHECKING:
    from interests.demo.people import _Person


def _send(
    world: _World, person: _Person, send_on: date, only_one: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = world.rng
    recipients: list[int] = []
    for engagement in person.engagements:
        active = engagement["start_date"] <= send_on and (
            engagement["end_date"] is None or engagement["end_date"] >= send_on
        )
        if active and engagement["provider_id"] not in recipients:
            recipients.append(engagement["provider_id"])
    if not recipients:
        return
    if only_one:
        recipients = recipients[:1]
    # The versions current that day: interests live then or ended in the 12 months it covers.
    current: list[dict[str, Any]] = []
    for versions in person.versions:
        latest = None
        for version in versions:
            if version["created_at"].date() <= send_on:
                latest = version
        if latest is None or latest["date_from"] > send_on:
            continue
        if latest["date_to"] is not None and latest["date_to"] < send_on - timedelta(days=365):
            continue
        current.append(latest)
    signed_at = _at(send_on, rng)
    if signed_at > world.now:
        signed_at = world.now - timedelta(minutes=rng.randint(1, 120))
    submission_key = f"{rng.getrandbits(128):032x}"
    for provider_id in recipients:
        declaration_id = world.ids.next("declaration")
        yield (
            "declaration",
            {
                "id": declaration_id,
                "reference": _reference(world, declaration_id),
                "professional_id": person.id,
                "provider_id": provider_id,
                "nil_return": not current,
                "declared_on": send_on,
                "signed_at": signed_at,
                "signed_by_account_id": None,
                "statement": DECLARATION_STATEMENT if current else NIL_STATEMENT,
                "submission_key": submission_key,
            },
        )
        previous = world.register_updated.get(provider_id)
        if previous is None or signed_at > previous:
            world.register_updated[provider_id] = signed_at
        for version in current:
            action = None
            recorded = None
            if rng.random() < 0.6:
                recorded = signed_at + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
                if recorded <= world.now:
                    action = rng.choice(MANAGEMENT_ACTIONS)
                else:
                    recorded = None
            yield (
                "declaration_item",
                {
                    "id": world.ids.next("declaration_item"),
                    "declaration_id": declaration_id,
                    "interest_version_id": version["id"],
                    "management_action": action,
                    "action_recorded_at": recorded,
                    "action_recorded_by_account_id": None,
                },
            )
            interest_id = version["interest_id"]
            # The first three requests take each status in turn so even a tiny seed shows all three.
            if interest_id not in world.requested and (
                interest_id in world.flagged or len(world.requested) < 3
            ):
                world.requested.add(interest_id)
                yield from _withholding(world, version, provider_id, signed_at)


def _withholding(
    world: _World, version: dict[str, Any], provider_id: int, signed_at: datetime
) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = world.rng
    turn = len(world.requested)
    status = (
        ("approved", "pending", "refused")[turn - 1]
        if turn <= 3
        else rng.choices(("approved", "pending", "refused"), (70, 18, 12))[0]
    )
    requested_at = min(signed_at + timedelta(minutes=rng.randint(1, 60)), world.now)
    decided_at = None
    if status != "pending":
        decided_at = min(requested_at + timedelta(days=rng.randint(2, 20)), world.now)
    yield (
        "withholding_request",
        {
            "id": world.ids.next("withholding_request"),
            "interest_id": version["interest_id"],
            "provider_id": provider_id,
            "reason": rng.choice(WITHHOLDING_REASONS),
            "requested_at": requested_at,
            "requested_by_account_id": None,
            "status": status,
            "decided_at": decided_at,
            "decided_by_account_id": None,
            "decision_reason": WITHHOLDING_DECISIONS.get(status),
            "review_on": add_months(decided_at.date(), 12) if status == "approved" and decided_at else None,
        },
    )
