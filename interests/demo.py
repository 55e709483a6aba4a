"""A realistic, deterministic synthetic register: `flask --app interests demo seed`.

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

import importlib.resources
import random
import sys
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, insert, select, text, update

from interests import clock
from interests.extensions import db
from interests.models import (
    Account,
    Declaration,
    DeclarationItem,
    Engagement,
    Interest,
    InterestVersion,
    Professional,
    ProfessionalName,
    Provider,
    WithholdingRequest,
)
from interests.rules.months import add_months
from interests.rules.vocabulary import (
    PROVIDER_KINDS,
    REGIONS,
    TYPES_WITH_VALUE,
)

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo password, by design
SIGN_IN_URL = "http://127.0.0.1:5000/sign-in"
DEMO_ACCOUNTS = (
    ("professional@example.org", "professional"),
    ("provider-admin@example.org", "provider_admin"),
    ("inspector@example.org", "inspector"),
    ("admin@example.org", "system_admin"),
)
DEMO_PROFESSIONAL_ID = 1  # the generator always builds the demo professional first
BATCH_ROWS = 5_000  # rows per executemany: big enough to amortise, small enough for memory
CHUNK_PROFESSIONALS = 1_000  # professionals generated per batch of rows
HISTORY_YEARS = 3  # the register went live this long ago: no declaration is older

# Rows are inserted parent-first so foreign keys always point at rows already written.
TABLE_ORDER: tuple[type[Any], ...] = (
    Provider,
    Professional,
    ProfessionalName,
    Engagement,
    Interest,
    InterestVersion,
    Declaration,
    DeclarationItem,
    WithholdingRequest,
)
MODEL_BY_TABLE = {model.__tablename__: model for model in TABLE_ORDER}

# ---------------------------------------------------------------------------------------------
# Vocabulary of the synthetic world. The words (names, places, professions, companies) are package
# data in demo_data/world.toml, read once here; the weights that shape the world stay below.
# ---------------------------------------------------------------------------------------------

WORDS_FILE = ("demo_data", "world.toml")  # inside the interests package (pyproject.toml package-data)


def _read_words() -> dict[str, Any]:
    resource = importlib.resources.files("interests")
    for part in WORDS_FILE:
        resource = resource / part
    return tomllib.loads(resource.read_text(encoding="utf-8"))


_WORDS = _read_words()

PLACES: dict[str, tuple[str, ...]] = {region: tuple(towns) for region, towns in _WORDS["places"].items()}
REGION_NAMES: dict[str, str] = dict(_WORDS["region_names"])
STREETS: tuple[str, ...] = tuple(_WORDS["streets"]["names"])
SAINTS: tuple[str, ...] = tuple(_WORDS["streets"]["saints"])


# Provider kinds: share of providers, size weight (how many staff relative to a pharmacy), and
# whether the NHS Organisation Data Service gives it a code.
PROVIDER_KIND_SHARE = {
    "nhs_trust": 6,
    "gp_practice": 30,
    "independent_hospital": 6,
    "clinic": 14,
    "dental": 20,
    "pharmacy": 17,
    "opticians": 7,
}
PROVIDER_KIND_SIZE = {
    "nhs_trust": (40, 400),
    "gp_practice": (3, 10),
    "independent_hospital": (10, 40),
    "clinic": (1, 6),
    "dental": (2, 6),
    "pharmacy": (1, 3),
    "opticians": (1, 3),
}
NHS_KINDS_WITH_ODS = frozenset({"nhs_trust", "gp_practice", "dental", "pharmacy"})
REGION_SHARE = {
    "east_of_england": 11,
    "london": 17,
    "midlands": 19,
    "north_east_and_yorkshire": 15,
    "north_west": 13,
    "south_east": 15,
    "south_west": 10,
}

# Regulators: share of professionals (roughly the sizes of the UK registers) and professions,
# each with where they work (provider kind weights) and their specialties.
REGULATOR_SHARE = {
    "NMC": 34,
    "GMC": 22,
    "HCPC": 15,
    "GPhC": 8,
    "GDC": 8,
    "GOC": 4,
    "SWE": 3,
    "GCC": 2,
    "GOsC": 2,
    "PSNI": 2,
}


@dataclass(frozen=True)
class Profession:
    regulator: str
    name: str
    weight: int
    kinds: dict[str, int]
    specialties: tuple[str, ...]
    number_prefix: str = ""


PROFESSIONS: tuple[Profession, ...] = tuple(
    Profession(
        regulator=p["regulator"],
        name=p["name"],
        weight=p["weight"],
        kinds=dict(p["kinds"]),
        specialties=tuple(p.get("specialties", ())),
        number_prefix=p.get("number_prefix", ""),
    )
    for p in _WORDS["professions"]
)
MEDICAL_SPECIALTIES: tuple[str, ...] = next(p.specialties for p in PROFESSIONS if p.regulator == "GMC")
SURGICAL = frozenset(
    s for s in MEDICAL_SPECIALTIES if "surgery" in s or s in ("Urology", "Otolaryngology", "Urogynaecology")
)
CLINICAL_INTERESTS: dict[str, str] = dict(_WORDS["clinical_interests"])
PROFESSIONS_BY_REGULATOR: dict[str, tuple[Profession, ...]] = {}
for _p in PROFESSIONS:
    PROFESSIONS_BY_REGULATOR[_p.regulator] = (*PROFESSIONS_BY_REGULATOR.get(_p.regulator, ()), _p)
DEPARTMENT_BY_SPECIALTY: dict[str, str] = dict(_WORDS["department_by_specialty"])
# Job titles by profession, then provider kind ("*": any other kind).
ROLE_TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    profession: {kind: tuple(titles) for kind, titles in by_kind.items()}
    for profession, by_kind in _WORDS["role_titles"].items()
}

# Names, with the variants search must cope with.
GIVEN_NAMES_F: tuple[str, ...] = tuple(_WORDS["names"]["given_female"])
GIVEN_NAMES_M: tuple[str, ...] = tuple(_WORDS["names"]["given_male"])
FAMILY_NAMES: tuple[str, ...] = tuple(_WORDS["names"]["family"])
DOUBLE_BARRELLED: tuple[str, ...] = tuple(_WORDS["names"]["double_barrelled"])
NICKNAMES: dict[str, str] = dict(_WORDS["nicknames"])
SPELLING_VARIANTS: dict[str, str] = dict(_WORDS["spelling_variants"])

# Interests. Each template fixes the category and type; the pools give the other party.
_PARTIES = _WORDS["other_parties"]
COMPANY_STEMS: tuple[str, ...] = tuple(_PARTIES["company_stems"])
COMPANY_FIELDS: tuple[str, ...] = tuple(_PARTIES["company_fields"])
COMPANY_SUFFIXES: tuple[str, ...] = tuple(_PARTIES["company_suffixes"])
CHARITIES: tuple[str, ...] = tuple(_PARTIES["charities"])
UNIVERSITIES: tuple[str, ...] = tuple(_PARTIES["universities"])
PRIVATE_HOSPITALS: tuple[str, ...] = tuple(_PARTIES["private_hospitals"])
SOCIETIES: tuple[str, ...] = tuple(_PARTIES["societies"])
FAMILY_RELATIONSHIPS: tuple[str, ...] = tuple(_PARTIES["family_relationships"])
# (category, type, weight, pool, descriptions, value range in pence or None)
INTEREST_TEMPLATES: tuple[tuple[str, str, int, str, tuple[str, ...], tuple[int, int] | None], ...] = tuple(
    (
        t["category"],
        t["type"],
        t["weight"],
        t["pool"],
        tuple(t["descriptions"]),
        (t["value_pence"][0], t["value_pence"][1]) if "value_pence" in t else None,
    )
    for t in _WORDS["interest_templates"]
)

GIVES_INTERESTS_BY_REGULATOR = {  # mean number of interests: doctors have the most
    "GMC": 2.4,
    "GDC": 1.0,
    "GPhC": 0.8,
    "GOC": 0.8,
    "HCPC": 0.6,
    "NMC": 0.5,
    "GCC": 0.8,
    "GOsC": 0.8,
    "PSNI": 0.7,
    "SWE": 0.3,
}
MANAGEMENT_ACTIONS: tuple[str, ...] = tuple(_WORDS["providers"]["management_actions"])
WITHHOLDING_REASONS: tuple[str, ...] = tuple(_WORDS["providers"]["withholding_reasons"])
WITHHOLDING_DECISIONS: dict[str, str] = dict(_WORDS["withholding_decisions"])

DECLARATION_STATEMENT = (
    "I declare that the information above is complete and correct to the best of my knowledge."
)
NIL_STATEMENT = "I declare that I have no relevant interests to declare."
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0/O, 1/I/L


# ---------------------------------------------------------------------------------------------
# The generator (pure: no Flask, no database)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Ids:
    provider: int = 0
    professional: int = 0
    professional_name: int = 0
    engagement: int = 0
    interest: int = 0
    interest_version: int = 0
    declaration: int = 0
    declaration_item: int = 0
    withholding_request: int = 0

    def next(self, table: str) -> int:
        value = getattr(self, table) + 1
        setattr(self, table, value)
        return value


@dataclass
class _World:
    rng: random.Random
    today: date
    now: datetime
    ids: _Ids = field(default_factory=_Ids)
    providers: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    numbers: dict[str, set[str]] = field(default_factory=dict)
    companies: list[str] = field(default_factory=list)
    register_updated: dict[int, datetime] = field(default_factory=dict)
    flagged: set[int] = field(default_factory=set)  # interests whose owner will ask to withhold them
    requested: set[int] = field(default_factory=set)
    reference_key: int = 0
    template_turn: int = 0
    regulator_turn: int = 0


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def _slugify(value: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in _ascii(value).lower())
    return "-".join(part for part in out.split("-") if part)


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 21) -> datetime:
    return datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(first_hour, last_hour),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=UTC,
    )


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _provider_name(rng: random.Random, kind: str, region: str, place: str) -> str:
    street = rng.choice(STREETS)
    family = rng.choice(FAMILY_NAMES[:60])
    if kind == "nhs_trust":
        return rng.choice(
            (
                f"{place} Hospitals NHS Foundation Trust",
                f"{place} and {rng.choice(PLACES[region])} NHS Trust",
                f"St {rng.choice(SAINTS)}'s Hospital NHS Foundation Trust",
                f"{place} Community Health NHS Trust",
                f"{place} Mental Health NHS Foundation Trust",
                f"{REGION_NAMES[region]} Ambulance Service NHS Trust",
                f"{place} Teaching Hospitals NHS Trust",
            )
        )
    if kind == "gp_practice":
        return rng.choice(
            (
                f"{street} Surgery",
                f"{place} Medical Centre",
                f"The {street} Practice",
                f"{place} Health Centre",
                f"{street} Family Practice",
            )
        )
    if kind == "independent_hospital":
        return rng.choice(
            (
                f"{place} Private Hospital",
                f"The {street} Independent Hospital",
                f"{place} Park Hospital",
                f"St {rng.choice(SAINTS)}'s Private Hospital",
            )
        )
    if kind == "clinic":
        return rng.choice(
            (
                f"{place} Day Surgery Clinic",
                f"{place} Eye Clinic",
                f"{street} Physiotherapy and Sports Injury Clinic",
                f"{place} Chiropractic Clinic",
                f"{place} Osteopathic Practice",
                f"{place} Fertility Clinic",
                f"{street} Skin Clinic",
            )
        )
    if kind == "dental":
        return rng.choice(
            (
                f"{place} Dental Practice",
                f"{street} Dental Care",
                f"Smile {place} Dental",
                f"{family} and Partners Dental Surgery",
            )
        )
    if kind == "pharmacy":
        return rng.choice((f"{family}'s Pharmacy", f"{place} Pharmacy", f"{street} Chemist"))
    return rng.choice(
        (f"{family} Opticians", f"{place} Eyecare", f"{family} and {rng.choice(FAMILY_NAMES)} Optometrists")
    )


def _ods_code(rng: random.Random, kind: str, used: set[str]) -> str:
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    for attempt in range(200):
        if kind == "nhs_trust":
            tail = 2 if attempt < 20 else 4
            code = "R" + "".join(rng.choice(alnum) for _ in range(tail))
        elif kind == "gp_practice":
            code = rng.choice("ABCDEFGHJKLMNPY") + f"{rng.randint(0, 99999):05d}"
        elif kind == "pharmacy":
            code = "F" + "".join(rng.choice(alnum) for _ in range(4))
        else:
            code = "V" + f"{rng.randint(0, 99999):05d}"
        if code not in used:
            used.add(code)
            return code
    raise RuntimeError("ran out of ODS codes")  # pragma: no cover - 200 misses in a vast space


def _providers(world: _World, count: int) -> Iterator[dict[str, Any]]:
    rng = world.rng
    kinds = [term.code for term in PROVIDER_KINDS]
    regions = [term.code for term in REGIONS]
    slugs: set[str] = set()
    cqc_ids: set[str] = set()
    ods_codes: set[str] = set()
    for index in range(count):
        # The first providers take every kind and every region in turn, so even a tiny seed has all.
        kind = kinds[index] if index < len(kinds) else _weighted(rng, PROVIDER_KIND_SHARE)
        region = regions[index] if index < len(regions) else _weighted(rng, REGION_SHARE)
        place = rng.choice(PLACES[region])
        name = _provider_name(rng, kind, region, place)
        slug = base = _slugify(name)
        n = 2
        while slug in slugs:
            slug = f"{base}-{n}"
            n += 1
        slugs.add(slug)
        cqc_id = None
        while cqc_id is None or cqc_id in cqc_ids:
            digits = rng.choice((9, 9, 10, 11))
            cqc_id = "1-" + str(rng.randint(10 ** (digits - 1), 10**digits - 1))
        cqc_ids.add(cqc_id)
        ods = _ods_code(rng, kind, ods_codes) if kind in NHS_KINDS_WITH_ODS else None
        # Small independents sometimes have no website: their register is kept on site (9.7).
        has_website = not (kind in ("pharmacy", "dental", "opticians", "clinic") and rng.random() < 0.25)
        domain = slug[:50].strip("-") + (
            ".nhs.example.uk" if kind in ("nhs_trust", "gp_practice") else ".example.co.uk"
        )
        low, high = PROVIDER_KIND_SIZE[kind]
        size = rng.randint(low, high)
        if kind == "nhs_trust" and rng.random() < 0.3:
            size *= 3  # a few large teaching trusts
        contact_given = rng.choice(GIVEN_NAMES_F + GIVEN_NAMES_M)
        contact_family = rng.choice(FAMILY_NAMES)
        provider_id = world.ids.next("provider")
        row = {
            "id": provider_id,
            "slug": slug,
            "name": name,
            "cqc_provider_id": cqc_id,
            "ods_code": ods,
            "kind": kind,
            "region": region,
            "website_url": f"https://www.{domain}" if has_website else None,
            "has_website": has_website,
            "address": f"{rng.randint(1, 240)} {rng.choice(STREETS)} Road, {place}",
            "contact_name": f"{contact_given} {contact_family}",
            "contact_email": f"declarations@{domain}",
            "contact_phone": f"0{rng.randint(1000, 2999)} {rng.randint(100000, 999999)}",
            "register_updated_at": None,
            "created_at": datetime(world.today.year - 3, 1, 1, 9, 0, tzinfo=UTC)
            + timedelta(minutes=provider_id),
        }
        world.providers.append({"id": provider_id, "kind": kind, "size": size, "name": name})
        yield row
    for kind in kinds:
        members = [p for p in world.providers if p["kind"] == kind]
        cumulative: list[float] = []
        total = 0.0
        for p in members:
            total += p["size"]
            cumulative.append(total)
        world.by_kind[kind] = ([p["id"] for p in members], cumulative)


def _pick_provider(world: _World, kinds: dict[str, int], exclude: set[int]) -> int | None:
    """A provider of one of the kinds, large providers more often; None if all are excluded."""
    rng = world.rng
    available = {k: w for k, w in kinds.items() if world.by_kind.get(k, ([], []))[0]}
    if not available:
        available = {k: 1 for k, members in world.by_kind.items() if members[0]}
    for _ in range(8):
        ids, cumulative = world.by_kind[_weighted(rng, available)]
        chosen = rng.choices(ids, cum_weights=cumulative)[0]
        if chosen not in exclude:
            return chosen
    candidates = [i for k in available for i in world.by_kind[k][0] if i not in exclude]
    return rng.choice(candidates) if candidates else None


def _registration_number(world: _World, profession: Profession) -> str:
    rng = world.rng
    used = world.numbers.setdefault(profession.regulator, set())
    while True:
        match profession.regulator:
            case "GMC":
                number = str(rng.randint(2_000_000, 7_999_999))
            case "NMC":
                letters = "ABCDEFGHJKLMNPRSTUVWY"
                year = rng.randint(70, 124) % 100  # the two digits of the year of first registration
                number = f"{year:02d}{rng.choice(letters)}{rng.randint(0, 9999):04d}{rng.choice(letters)}"
            case "HCPC":
                number = f"{profession.number_prefix}{rng.randint(1, 999_999):0{rng.choice((5, 6))}d}"
            case "GDC":
                number = str(rng.randint(1_000, 299_999))
            case "GPhC":
                prefix = "2" if profession.name == "Pharmacist" else "5"
                number = f"{prefix}{rng.randint(0, 999_999):06d}"
            case "GOC":
                prefix = "01-" if profession.name == "Optometrist" else "D-"
                number = f"{prefix}{rng.randint(10_000, 99_999)}"
            case "GCC":
                number = f"{rng.randint(1, 99_999):05d}"
            case "GOsC":
                number = str(rng.randint(1_000, 99_999))
            case "PSNI":
                number = str(rng.randint(1_000, 999_999))
            case _:  # SWE
                number = f"SW{rng.randint(1, 999_999)}"
        if number not in used:
            used.add(number)
            return number


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(given name, family name, sex) with the variety of the UK workforce."""
    sex = "f" if rng.random() < 0.62 else "m"
    given = rng.choice(GIVEN_NAMES_F if sex == "f" else GIVEN_NAMES_M)
    roll = rng.random()
    if roll < 0.03:
        family = f"{rng.choice(FAMILY_NAMES)}-{rng.choice(FAMILY_NAMES)}"  # e.g. Hughes-Patel
    elif roll < 0.04:
        family = rng.choice(DOUBLE_BARRELLED)  # e.g. Lloyd George
    else:
        family = rng.choice(FAMILY_NAMES)
    return given, family, sex


def _title(
    rng: random.Random, profession: Profession, specialty: str | None, sex: str, role: str
) -> str | None:
    if profession.regulator == "GMC":
        if role == "Consultant" and rng.random() < 0.06:
            return "Prof"
        if role == "Consultant" and specialty in SURGICAL:
            return "Mr" if sex == "m" else rng.choice(("Ms", "Miss", "Mrs"))  # UK surgeons drop "Dr"
        return "Dr"
    if profession.name == "Dentist" and rng.random() < 0.6:
        return "Dr"
    if profession.regulator == "HCPC" and profession.name == "Practitioner psychologist":
        return "Dr"
    if rng.random() < 0.45:
        return "Mr" if sex == "m" else rng.choice(("Ms", "Mrs", "Miss"))
    return None


def _role(rng: random.Random, profession: Profession, kind: str) -> str:
    table = ROLE_TITLES.get(profession.name, {})
    options = table.get(kind) or table.get("*")
    if options:
        return rng.choice(options)
    return profession.name


def _department(profession: Profession, specialty: str | None, kind: str) -> str | None:
    if kind in ("pharmacy", "opticians", "dental"):
        return None
    if kind == "gp_practice":
        return "General practice"
    return DEPARTMENT_BY_SPECIALTY.get(specialty or "", specialty)


def _company(world: _World) -> str:
    if not world.companies:
        rng = world.rng
        names = {f"{s} {f} {x}" for s in COMPANY_STEMS for f in COMPANY_FIELDS for x in COMPANY_SUFFIXES}
        pool = sorted(names)
        rng.shuffle(pool)
        world.companies = [
            "Medivance Surgical Ltd",
            "Northbridge Pharma plc",
            "Helix Orthopaedics UK",
        ] + pool[:240]
    # A few companies turn up again and again, as real market leaders do.
    index = min(int(world.rng.paretovariate(1.1)) - 1, len(world.companies) - 1)
    return world.companies[index] if world.rng.random() < 0.5 else world.rng.choice(world.companies)


def _other_party(world: _World, pool: str) -> str:
    rng = world.rng
    if pool == "company":
        return _company(world)
    if pool == "charity":
        return rng.choice(CHARITIES)
    if pool == "university":
        return rng.choice(UNIVERSITIES)
    if pool == "society":
        return rng.choice(SOCIETIES)
    return rng.choice(PRIVATE_HOSPITALS)


def _reference(world: _World, declaration_id: int) -> str:
    # An affine bijection on 31**8 keeps references unique without a lookup, yet not sequential.
    space = 31**8
    value = (declaration_id * 527_115_649_796 + world.reference_key) % space  # multiplier coprime to 31
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 31)
        chars.append(REFERENCE_ALPHABET[digit])
    return f"DEC-{''.join(chars[:4])}-{''.join(chars[4:])}"


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


# ---------------------------------------------------------------------------------------------
# The writer
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    seeded: bool
    counts: dict[str, int]
    seconds: float
    rows: int


def _progress(done: int, total: int, started: float) -> None:
    click.echo(
        f"  {done:,} of {total:,} professionals ({done * 100 // total}%) "
        f"in {time.perf_counter() - started:.1f}s",
        err=True,
    )


def _reset_sequences() -> None:
    """After inserts with explicit ids, PostgreSQL's sequences must catch up or the next insert fails."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in TABLE_ORDER:
        table = model.__tablename__
        # The table names are our own models', never input.
        catch_up = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608
            f"COALESCE((SELECT MAX(id) FROM {table}), 1), (SELECT COUNT(*) FROM {table}) > 0)"
        )
        db.session.execute(text(catch_up))


def write(
    batches: Iterator[tuple[str, list[dict[str, Any]]]], *, professionals: int, progress: bool = False
) -> int:
    """Bulk-insert the generator's batches; return the number of rows written."""
    written = 0
    done = 0
    reported = 0  # tenths of the professionals reported so far
    started = time.perf_counter()
    for table, rows in batches:
        if table == "provider_register_updated":
            if rows:
                db.session.execute(update(Provider), rows)
            continue
        model = MODEL_BY_TABLE[table]
        for start in range(0, len(rows), BATCH_ROWS):
            # Core insert of the table: the ORM's per-row bookkeeping would only slow this down.
            db.session.execute(insert(model.__table__), rows[start : start + BATCH_ROWS])
        written += len(rows)
        if table == "professional":
            done += len(rows)
            db.session.commit()  # a commit per chunk keeps the transaction (and WAL) small
            if progress and done * 10 // professionals > reported:
                reported = done * 10 // professionals
                _progress(done, professionals, started)
    _reset_sequences()
    db.session.commit()
    return written


def create_demo_accounts(password: str) -> None:
    from interests.services.accounts import create_account

    professional = db.session.get(Professional, DEMO_PROFESSIONAL_ID)
    engagements = db.session.scalars(
        select(Engagement).where(Engagement.professional_id == DEMO_PROFESSIONAL_ID).order_by(Engagement.id)
    ).all()
    admin_provider = db.session.get(Provider, engagements[0].provider_id)
    assert professional is not None and admin_provider is not None
    create_account(
        email="professional@example.org", password=password, role="professional", professional=professional
    )
    create_account(
        email="provider-admin@example.org",
        password=password,
        role="provider_admin",
        providers=[admin_provider],
        full_name=admin_provider.contact_name,
    )
    create_account(
        email="inspector@example.org", password=password, role="inspector", full_name="Demo Inspector"
    )
    create_account(
        email="admin@example.org", password=password, role="system_admin", full_name="Demo Administrator"
    )
    db.session.commit()


def table_counts() -> dict[str, int]:
    models: tuple[type[Any], ...] = (*TABLE_ORDER, Account)
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in models
    }


def seed(
    *,
    providers: int,
    professionals: int,
    seed: int,
    password: str,
    today: date,
    if_empty: bool = False,
    progress: bool = False,
) -> SeedResult:
    """Seed an empty database with the demo register and its four demo accounts."""
    if current_app.config["INTERESTS_ENV"] == "production":
        # The demo accounts' password is published: they must never exist on a real register.
        raise click.ClickException(
            "The demo register cannot be seeded in production (INTERESTS_ENV=production): its "
            "accounts have a published password. Seed a development or test copy instead."
        )
    started = time.perf_counter()
    has_data = db.session.scalar(select(Provider.id).limit(1)) is not None
    if has_data:
        if if_empty:
            return SeedResult(False, table_counts(), time.perf_counter() - started, 0)
        raise click.ClickException(
            "The database already has providers. Seed a fresh database, "
            "or add --if-empty to leave it as it is."
        )
    if len(password) < 12:
        raise click.ClickException("The demo password must be 12 characters or more")
    batches = generate(random.Random(seed), providers=providers, professionals=professionals, today=today)
    rows = write(batches, professionals=professionals, progress=progress)
    create_demo_accounts(password)
    return SeedResult(True, table_counts(), time.perf_counter() - started, rows)


demo_cli = AppGroup("demo", help="A synthetic register to try the service with.")


@demo_cli.command("seed")
@click.option("--providers", default=30, show_default=True, type=click.IntRange(min=2))
@click.option("--professionals", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Password of the demo accounts."
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has providers.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The date the data is as of.")
def seed_command(
    providers: int, professionals: int, seed_value: int, password: str, if_empty: bool, today: datetime | None
) -> None:
    """Fill an empty database with a realistic, deterministic demo register."""
    as_of = today.date() if today is not None else clock.today()
    progress = professionals >= 5_000
    if progress:
        click.echo(f"Seeding {providers:,} providers and {professionals:,} professionals...", err=True)
    result = seed(
        providers=providers,
        professionals=professionals,
        seed=seed_value,
        password=password,
        today=as_of,
        if_empty=if_empty,
        progress=progress,
    )
    if result.seeded:
        click.echo(
            f"Seeded {result.rows:,} rows in {result.seconds:.1f}s (seed {seed_value}, as of {as_of})."
        )
    else:
        click.echo("The database already has providers: nothing seeded.")
    click.echo(", ".join(f"{count:,} {table.replace('_', ' ')}" for table, count in result.counts.items()))
    click.echo(f"\nSign in at {SIGN_IN_URL} with password {password!r}:")
    for email, role in DEMO_ACCOUNTS:
        click.echo(f"  {email:<30} {role.replace('_', ' ')}")
    sys.stdout.flush()
