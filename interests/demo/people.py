"""Making professionals: their names, other names and engagements. Their interests are made in
`declared_interests`, their declarations and withholding requests in `declarations`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from interests.demo.declarations import _send
from interests.demo.declared_interests import _interest
from interests.demo.providers import (
    _at,
    _department,
    _person,
    _pick_provider,
    _registration_number,
    _role,
    _slugify,
    _title,
    _weighted,
    _World,
)
from interests.demo.vocabulary import (
    CLINICAL_INTERESTS,
    FAMILY_NAMES,
    GIVES_INTERESTS_BY_REGULATOR,
    HISTORY_YEARS,
    NICKNAMES,
    PROFESSIONS_BY_REGULATOR,
    REGULATOR_SHARE,
    SPELLING_VARIANTS,
    Profession,
)
from interests.rules.months import add_months


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
