"""Making professionals: their names, engagements, interests, declarations and withholding requests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from interests.demo.providers import (
    _at,
    _department,
    _other_party,
    _person,
    _pick_provider,
    _reference,
    _registration_number,
    _role,
    _slugify,
    _title,
    _weighted,
    _World,
)
from interests.demo.vocabulary import (
    CLINICAL_INTERESTS,
    DECLARATION_STATEMENT,
    FAMILY_NAMES,
    FAMILY_RELATIONSHIPS,
    GIVES_INTERESTS_BY_REGULATOR,
    HISTORY_YEARS,
    INTEREST_TEMPLATES,
    MANAGEMENT_ACTIONS,
    NICKNAMES,
    NIL_STATEMENT,
    PRIVATE_HOSPITALS,
    PROFESSIONS_BY_REGULATOR,
    REGULATOR_SHARE,
    SPELLING_VARIANTS,
    WITHHOLDING_DECISIONS,
    WITHHOLDING_REASONS,
    Profession,
)
from interests.rules.months import add_months
from interests.rules.vocabulary import (
    TYPES_WITH_VALUE,
)


@dataclass
class _Person:
    """What the generator remembers about one professional while making their rows."""

    id: int
    regulator: str
    profession: Profession
    engagements: list[dict[str, Any]] = field(default_factory=list)
    versions: list[list[dict[str, Any]]] = field(default_factory=list)  # per interest, in order
    # The address the providers recorded, and whether the person has confirmed where they work
    # (everyone who has declared has; people who never did were asked and have not answered).
    email: str | None = None
    confirmed: bool = True


def _engagement(
    world: _World,
    person: _Person,
    provider_id: int,
    kind: str,
    engagement_type: str,
    start: date,
    end: date | None,
    specialty: str | None,
) -> dict[str, Any]:
    rng = world.rng
    role = _role(rng, person.profession, kind)
    if engagement_type == "locum":
        role = f"Locum {role[0].lower()}{role[1:]}"
    elif engagement_type == "bank":
        role = f"Bank {role[0].lower()}{role[1:]}"
    decision_maker = (
        role
        in (
            "Consultant",
            "GP partner",
            "Ward manager",
            "Principal dentist",
            "Pharmacist manager",
            "Medical director",
        )
        or rng.random() < 0.06
    )
    row = {
        "id": world.ids.next("engagement"),
        "professional_id": person.id,
        "provider_id": provider_id,
        "engagement_type": engagement_type,
        "role": role,
        "department": _department(person.profession, specialty, kind),
        "start_date": start,
        "end_date": end,
        "decision_maker": decision_maker,
        "email": person.email,
        "created_at": _at(start, rng),
    }
    row["asked_at"] = row["created_at"] if person.email else None
    row["confirmed_at"] = row["created_at"] if person.confirmed else None
    person.engagements.append(row)
    return row


def _kind_of(world: _World, provider_id: int) -> str:
    return str(world.providers[provider_id - 1]["kind"])


def _primary_type(rng: random.Random, profession: Profession, kind: str, role: str) -> str:
    if kind == "gp_practice" and role == "GP partner":
        return "contractor"
    if kind == "dental" and profession.name == "Dentist":
        return "contractor" if rng.random() < 0.6 else "employee"
    if kind in ("independent_hospital", "clinic") and profession.name in ("Doctor", "Dentist", "Osteopath"):
        return "practising_privileges"
    if (
        kind in ("clinic", "opticians")
        and profession.regulator in ("GCC", "GOsC", "GOC")
        and rng.random() < 0.3
    ):
        return "contractor"
    return "employee"


def _professional(
    world: _World, forced: dict[str, Any] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    rng, today = world.rng, world.today
    regulators = list(REGULATOR_SHARE)
    if forced is not None:
        regulator = "GMC"
    elif world.regulator_turn < len(regulators):  # every regulator appears, however small the seed
        regulator = regulators[world.regulator_turn]
        world.regulator_turn += 1
    else:
        regulator = _weighted(rng, REGULATOR_SHARE)
    options = PROFESSIONS_BY_REGULATOR[regulator]
    profession = rng.choices(options, weights=[p.weight for p in options])[0]
    person = _Person(world.ids.next("professional"), regulator, profession)

    # Where they mainly work decides their role and specialty.
    if forced is not None:
        primary_id = forced["providers"][0]
    else:
        primary_id = _pick_provider(world, profession.kinds, set()) or 1
    primary_kind = _kind_of(world, primary_id)
    if profession.name == "Doctor" and primary_kind == "gp_practice":
        specialty: str | None = "General practice"
    elif profession.name == "Dentist" and primary_kind == "dental":
        specialty = "General dentistry" if rng.random() < 0.7 else rng.choice(profession.specialties)
    else:
        specialty = rng.choice(profession.specialties) if profession.specialties else None
    if forced is not None:
        specialty = "Urogynaecology"
    given, family, sex = _person(rng)
    primary_role = "Consultant" if forced is not None else _role(rng, profession, primary_kind)
    title = _title(rng, profession, specialty, sex, primary_role)

    # Compliance story (product.md "Compliance"): ~70% declared, ~10% overdue, ~12% missing, rest due.
    status = (
        "declared" if forced else rng.choices(("declared", "overdue", "missing", "due"), (70, 10, 12, 8))[0]
    )
    new_starter = status == "due" and rng.random() < 0.5
    if status == "declared":
        last = today - timedelta(days=rng.randint(0, 330))
    elif status == "overdue":
        last = add_months(today, -rng.randint(13, 20)) - timedelta(days=rng.randint(0, 20))
    elif status == "due" and not new_starter:
        last = add_months(today, -12) - timedelta(days=rng.randint(1, 20))  # anniversary just passed
    else:
        last = None
    if forced is not None:
        last = today - timedelta(days=30)
        start = today - timedelta(days=365 * 6 + rng.randint(0, 365 * 6))
    elif new_starter:
        start = today - timedelta(days=rng.randint(0, 26))
    else:
        anchor = min(last or today, today - timedelta(days=29))
        start = anchor - timedelta(days=rng.randint(0, 365 * 12))
        if status == "declared" and rng.random() < 0.05:  # a recent starter who declared promptly
            start = today - timedelta(days=rng.randint(5, 27))
            last = start + timedelta(days=rng.randint(0, (today - start).days))

    registration_number = _registration_number(world, profession)
    clinical_interests = CLINICAL_INTERESTS.get(specialty or "") if rng.random() < 0.6 else None
    person.email = (
        f"{_slugify(given)}.{_slugify(family)}.{person.id}@mail.example.org" if rng.random() < 0.5 else None
    )
    person.confirmed = last is not None
    yield (
        "professional",
        {
            "id": person.id,
            "title": title,
            "given_name": given,
            "family_name": family,
            "regulator": regulator,
            "registration_number": registration_number,
            "profession": profession.name,
            "specialty": specialty,
            "clinical_interests": clinical_interests,
            "created_at": _at(start, rng),
        },
    )
    if forced is None and rng.random() < 0.05:
        yield (
            "professional_name",
            {
                "id": world.ids.next("professional_name"),
                "professional_id": person.id,
                "name": _other_name(rng, given, family, sex),
            },
        )

    # Engagements: the main one, then the patterns of the workforce.
    role_type = _primary_type(rng, profession, primary_kind, primary_role)
    if forced is not None:
        yield (
            "engagement",
            _engagement(world, person, primary_id, primary_kind, "employee", start, None, specialty),
        )
        second = forced["providers"][1]
        yield (
            "engagement",
            _engagement(
                world,
                person,
                second,
                _kind_of(world, second),
                "practising_privileges",
                today - timedelta(days=365 * 2),
                None,
                specialty,
            ),
        )
        person.engagements[0]["role"] = person.engagements[1]["role"] = "Consultant"
        person.engagements[0]["decision_maker"] = True
    else:
        pattern = rng.random()
        held = {primary_id}
        if pattern < 0.08 and new_starter is False:
            # Locum or bank: two to four providers at once.
            kind_of_work = "locum" if rng.random() < 0.55 else "bank"
            yield (
                "engagement",
                _engagement(world, person, primary_id, primary_kind, kind_of_work, start, None, specialty),
            )
            for _ in range(rng.randint(1, 3)):
                other = _pick_provider(world, profession.kinds, held)
                if other is None:
                    break
                held.add(other)
                other_start = start + timedelta(days=rng.randint(0, max(0, (today - start).days - 40)))
                if last is not None and other_start > last and rng.random() < 0.8:
                    other_start = last - timedelta(days=rng.randint(0, 200))
                ended = rng.random() < 0.2
                end = today - timedelta(days=rng.randint(1, 120)) if ended else None
                if end is not None and end < other_start:
                    end = None
                yield (
                    "engagement",
                    _engagement(
                        world,
                        person,
                        other,
                        _kind_of(world, other),
                        kind_of_work,
                        other_start,
                        end,
                        specialty,
                    ),
                )
        else:
            yield (
                "engagement",
                _engagement(world, person, primary_id, primary_kind, role_type, start, None, specialty),
            )
            if profession.name == "Doctor" and primary_role == "Consultant" and rng.random() < 0.35:
                # NHS consultant with practising privileges at an independent hospital or clinic.
                other = _pick_provider(world, {"independent_hospital": 3, "clinic": 1}, held)
                if other is not None:
                    held.add(other)
                    pp_start = start + timedelta(days=rng.randint(0, max(0, (today - start).days)))
                    if last is not None and pp_start > last:
                        pp_start = last - timedelta(days=rng.randint(0, 300))
                    yield (
                        "engagement",
                        _engagement(
                            world,
                            person,
                            other,
                            _kind_of(world, other),
                            "practising_privileges",
                            max(pp_start, start),
                            None,
                            specialty,
                        ),
                    )
            elif profession.regulator == "NMC" and primary_kind == "nhs_trust" and rng.random() < 0.15:
                other = _pick_provider(world, {"nhs_trust": 1}, held)  # bank shifts at a neighbour trust
                if other is not None:
                    held.add(other)
                    yield (
                        "engagement",
                        _engagement(world, person, other, "nhs_trust", "bank", start, None, specialty),
                    )
        if rng.random() < 0.1 and not new_starter:
            # A previous post that has ended.
            other = _pick_provider(world, profession.kinds, held)
            if other is not None:
                end = today - timedelta(days=rng.randint(1, 900))
                begin = end - timedelta(days=rng.randint(60, 2500))
                yield (
                    "engagement",
                    _engagement(
                        world,
                        person,
                        other,
                        _kind_of(world, other),
                        _primary_type(rng, profession, _kind_of(world, other), "x"),
                        begin,
                        end,
                        specialty,
                    ),
                )

    # Interests, each with one to three versions.
    mean = GIVES_INTERESTS_BY_REGULATOR[regulator]
    count = 3 if forced else (0 if rng.random() < 0.25 else 1 + round(rng.expovariate(1 / mean)))
    for index in range(min(count, 8)):
        yield from _interest(world, person, start, last, index if forced else None)

    # Declarations: one send per year back to the register's start; each send goes to the
    # providers where they worked that day - usually all of them, sometimes only one.
    if last is not None:
        sends = [last]
        for years_back in (1, 2):
            earlier = add_months(last, -12 * years_back) + timedelta(days=rng.randint(-20, 10))
            if earlier >= today - timedelta(days=365 * HISTORY_YEARS) and rng.random() < 0.8:
                sends.append(min(earlier, last))
        for send_on in sorted(set(sends)):
            yield from _send(world, person, send_on, only_one=forced is None and rng.random() < 0.12)


def _other_name(rng: random.Random, given: str, family: str, sex: str) -> str:
    if given in NICKNAMES and rng.random() < 0.6:
        return f"{NICKNAMES[given]} {family}"
    if given in SPELLING_VARIANTS and rng.random() < 0.6:
        return f"{SPELLING_VARIANTS[given]} {family}"
    if sex == "f":
        return f"{given} {rng.choice(FAMILY_NAMES)}"  # name before marriage
    return f"{given} {rng.choice(FAMILY_NAMES)}"  # name before a change by deed poll


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
