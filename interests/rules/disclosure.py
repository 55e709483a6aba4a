"""Disclosure UK files (ABPI, on the EFPIA disclosure template): their columns, their amounts and
their recipients' identifiers, read the same way wherever the file came from.

Pure: no Flask, no database. The services read the file row by row and call these.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from interests.rules.headings import heading_key
from interests.rules.regulators import REGULATORS, find_regulator, normalise_registration_number

# No single transfer of value to one health professional in Disclosure UK comes near this (the
# largest are tens of thousands of pounds); a bigger figure is a mistake in the file, such as
# pence typed as pounds or two columns run together.
MAX_AMOUNT_PENCE = 1_000_000 * 100  # £1,000,000
EARLIEST_YEAR = 2015  # Disclosure UK's first published year (payments made in 2015)
HEADER_SEARCH_LINES = 20  # the heading line may follow a title block of up to this many lines


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # as the EFPIA template names it
    aliases: tuple[str, ...] = ()
    required: bool = True
    max_length: int = 200
    amount: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "full_name",
        "Full name",
        ("name", "recipient", "recipient name", "hcp name", "hcp full name", "full name of recipient"),
    ),
    Column(
        "city",
        "City of principal practice",
        ("city", "town", "city of principal practice or registered address", "city of practice"),
        max_length=100,
    ),
    Column("country", "Country of principal practice", ("country",), required=False, max_length=100),
    Column(
        "address",
        "Principal practice address",
        ("address", "address of principal practice", "principal practice address or registered address"),
        required=False,
        max_length=500,
    ),
    Column(
        "identifier",
        "Unique country identifier",
        (
            "unique country identifier optional",
            "unique country local identifier",
            "unique identifier",
            "country identifier",
            "registration number",
            "professional registration number",
            "gmc number",
        ),
        required=False,
        max_length=40,
    ),
    Column("company", "Company", ("company name", "reporting company", "member company", "donor")),
    Column(
        "registration_fees",
        "Registration fees",
        (
            "contribution to costs of events registration fees",
            "contribution to the costs of events registration fees",
            "event registration fees",
        ),
        amount=True,
    ),
    Column(
        "travel",
        "Travel and accommodation",
        (
            "travel accommodation",
            "contribution to costs of events travel and accommodation",
            "contribution to the costs of events travel and accommodation",
        ),
        amount=True,
    ),
    Column(
        "fees",
        "Fees for service and consultancy",
        (
            "fees",
            "fee for service and consultancy",
            "fee for service and consultancy fees",
            "fees for service and consultancy fees",
            "consultancy fees",
        ),
        amount=True,
    ),
    Column(
        "related_expenses",
        "Related expenses",
        (
            "fee for service and consultancy related expenses",
            "related expenses agreed in the fee for service or consultancy contract",
            "related expenses agreed in the fee for service or consultancy contract including travel "
            "and accommodation relevant to the contract",
        ),
        amount=True,
    ),
    Column("total", "Total", ("total amount", "total optional", "total value"), required=False, amount=True),
)
# A year's headings as companies commonly publish them (title case, "&"): what the demo's file and
# the tests' files are written with; COLUMNS above say how any of these is recognised.
PUBLISHED_HEADINGS = (
    "Full Name",
    "City of Principal Practice",
    "Country of Principal Practice",
    "Principal Practice Address",
    "Unique country identifier",
    "Company",
    "Registration Fees",
    "Travel & Accommodation",
    "Fees",
    "Related expenses",
    "Total",
)

COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
AMOUNT_KEYS = ("registration_fees", "travel", "fees", "related_expenses")
# Group headings some years put before each amount's own heading ("Fee for service and
# consultancy: Related expenses agreed in ..."): a heading not known whole is tried without them.
HEADING_GROUPS = (
    "contribution to costs of events",
    "contribution to the costs of events",
    "fee for service and consultancy",
    "fees for service and consultancy",
)


class _KnownHeadings(dict[str, str]):
    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = super().get(key)
        if found is not None:
            return found
        for group in HEADING_GROUPS:
            if key.startswith(group + " "):
                return super().get(key[len(group) + 1 :], default)
        return default


KEY_BY_HEADING = _KnownHeadings()
for _column in COLUMNS:
    for _heading in (_column.heading, _column.key, *_column.aliases):
        KEY_BY_HEADING[heading_key(_heading)] = _column.key

# Rows of the template that are not one recipient: the aggregate of recipients who did not agree
# to be named, and its counts. Recognised by the first words of the name cell.
AGGREGATE_PREFIXES = ("aggregate", "number of recipients", "of the number of recipients")

_POUNDS = re.compile(r"(?:£|gbp)?\s*(?P<number>.*?)\s*(?:gbp)?", re.IGNORECASE)
_UK_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?")
_CONTINENTAL = re.compile(r"\d+(?:[ .]\d{3})*,\d{1,2}")
_SPACES_IN_NUMBER = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")


def parse_amount(value: object) -> int | str:
    """An amount in whole pence, or what is wrong with it in plain English.

    Accepted: a number cell, "1250", "1250.5", "1,250.00", "£1,250", "1 250" (spaces between
    thousands), blank (0). Refused: negative amounts ("-10", "(10)"), other currencies, a comma
    for the decimal point ("1 250,00" is written in pounds as 1250.00: a file using the
    European style was probably converted wrongly, so it is refused rather than guessed), more
    than two decimal places in text, and anything over MAX_AMOUNT_PENCE.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        return "is not an amount of money"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "is not an amount of money"
        pence = int((Decimal(str(value)) * 100).quantize(Decimal(1)))
        return _checked_pence(pence)
    text = str(value).strip()
    if not text or text in {"-", "–"}:  # noqa: RUF001 - an en dash is how some files write "none"
        return 0
    if text.startswith("-") or (text.startswith("(") and text.endswith(")")):
        return "is negative: payments are amounts paid, so cannot be below zero"
    if any(symbol in text for symbol in "€$¥") or re.search(r"\b(eur|usd)\b", text, re.IGNORECASE):
        return "must be in pounds"
    match = _POUNDS.fullmatch(text)
    number = match.group("number") if match else text
    number = _SPACES_IN_NUMBER.sub("", number)
    if _CONTINENTAL.fullmatch(number) and not _UK_NUMBER.fullmatch(number):
        return "uses a comma for the decimal point: write pounds and pence like 1250.00"
    if not _UK_NUMBER.fullmatch(number):
        return "is not an amount of money: write it like 1250.00 or £1,250.00"
    try:
        pence = int((Decimal(number.replace(",", "")) * 100).quantize(Decimal(1)))
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        return "is not an amount of money"
    return _checked_pence(pence)


def _checked_pence(pence: int) -> int | str:
    if pence < 0:
        return "is negative: payments are amounts paid, so cannot be below zero"
    if pence > MAX_AMOUNT_PENCE:
        return f"is more than £{MAX_AMOUNT_PENCE // 100:,}: check it is in pounds, not pence"
    return pence


def cell_text(value: object) -> str:
    """A cell as text: a whole number kept whole (a GMC number typed into Excel is 1234567.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_aggregate(name: str) -> bool:
    """Is this the template's aggregate of recipients who did not agree to be named?"""
    return heading_key(name).startswith(AGGREGATE_PREFIXES)


@dataclass(frozen=True)
class RegistrationNumber:
    regulator: str
    number: str


_REGULATOR_WORD = re.compile(r"\b(" + "|".join(r.code for r in REGULATORS) + r")\b", re.IGNORECASE)
_NUMBER_LABEL = re.compile(r"\b(?:no|number|num|pin|ref|reference|reg|registration)\b\.?:?", re.IGNORECASE)


def read_identifier(text: str) -> tuple[RegistrationNumber, ...]:
    """The registration numbers a "unique country identifier" could be.

    "GMC 1234567", "GMC No: 1234567" and "NMC PIN 12A3456E" name their regulator; a bare number
    could belong to any regulator whose format it fits (seven digits starting 2 are both a GMC
    number and a GPhC one), so every fitting reading is returned and the matcher asks which one a
    professional on the register holds. Nothing readable: an empty tuple.
    """
    text = text.strip()
    if not text:
        return ()
    named = _REGULATOR_WORD.search(text)
    rest = _NUMBER_LABEL.sub(" ", _REGULATOR_WORD.sub(" ", text))
    number = normalise_registration_number(rest.strip(" :#-"))
    if not number:
        return ()
    if named:
        regulator = find_regulator(named.group(1))
        if regulator is not None and regulator.pattern.fullmatch(number):
            return (RegistrationNumber(regulator.code, number),)
        return ()
    return tuple(
        RegistrationNumber(regulator.code, number)
        for regulator in REGULATORS
        if regulator.pattern.fullmatch(number)
    )


# Words that do not tell one company from another: legal forms, "UK", "the", and "&"/"and".
_COMPANY_NOISE = frozenset(
    {
        "ltd",
        "limited",
        "plc",
        "uk",
        "gb",
        "the",
        "and",
        "co",
        "company",
        "llp",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "nv",
        "llc",
        "group",
        "holdings",
    }
)


def company_key(name: str) -> str:
    """A company's name for comparing: "Pfizer Ltd", "PFIZER LIMITED" and "Pfizer (UK) plc." are
    one company. Case, punctuation, legal forms and "UK" are ignored; an accent is kept as its
    letter ("Société" -> "societe")."""
    folded = unicodedata.normalize("NFKD", name.replace("&", " and "))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = re.sub(r"['\u2019]", "", folded)
    words = [word for word in re.split(r"[^0-9a-z]+", folded) if word and word not in _COMPANY_NOISE]
    return " ".join(words)
