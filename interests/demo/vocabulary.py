"""The synthetic world's settings and words: sizes, shares and weights, and the names, places,
professions and companies read from demo_data/world.toml."""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import dataclass
from typing import Any

from interests.models import (
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
