"""Making providers, and the small pieces every row needs: names, slugs, times, registration
numbers, roles, companies and references."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from interests.demo.vocabulary import (
    CHARITIES,
    COMPANY_FIELDS,
    COMPANY_STEMS,
    COMPANY_SUFFIXES,
    DEPARTMENT_BY_SPECIALTY,
    DOUBLE_BARRELLED,
    FAMILY_NAMES,
    GIVEN_NAMES_F,
    GIVEN_NAMES_M,
    NHS_KINDS_WITH_ODS,
    PLACES,
    PRIVATE_HOSPITALS,
    PROVIDER_KIND_SHARE,
    PROVIDER_KIND_SIZE,
    REFERENCE_ALPHABET,
    REGION_NAMES,
    REGION_SHARE,
    ROLE_TITLES,
    SAINTS,
    SOCIETIES,
    STREETS,
    SURGICAL,
    UNIVERSITIES,
    Profession,
)
from interests.rules.vocabulary import (
    PROVIDER_KINDS,
    REGIONS,
)

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
