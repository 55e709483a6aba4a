"""UK statutory regulators of healthcare professionals and their registration number formats.

Formats are those each regulator publishes for its online register (checked November 2026).
Numbers are normalised to upper case without spaces before they are checked or stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Regulator:
    code: str
    name: str
    professions: tuple[str, ...]
    pattern: re.Pattern[str]
    example: str


REGULATORS: tuple[Regulator, ...] = (
    # General Medical Council: a 7-digit GMC reference number.
    Regulator("GMC", "General Medical Council", ("Doctor",), re.compile(r"\d{7}"), "1234567"),
    # Nursing and Midwifery Council: PIN of 2 digits, a letter, 4 digits and a letter.
    Regulator(
        "NMC",
        "Nursing and Midwifery Council",
        ("Nurse", "Midwife", "Nursing associate"),
        re.compile(r"\d{2}[A-Z]\d{4}[A-Z]"),
        "12A3456E",
    ),
    # Health and Care Professions Council: a 2-3 letter profession prefix and digits.
    Regulator(
        "HCPC",
        "Health and Care Professions Council",
        (
            "Physiotherapist",
            "Paramedic",
            "Radiographer",
            "Occupational therapist",
            "Operating department practitioner",
            "Speech and language therapist",
            "Practitioner psychologist",
            "Dietitian",
            "Biomedical scientist",
        ),
        re.compile(r"(AS|BS|CH|CS|DT|HAD|OP|ODP|OT|PA|PH|PYL|PO|RA|SL)\d{4,6}"),
        "PH123456",
    ),
    # General Dental Council: a registration number of up to 6 digits.
    Regulator(
        "GDC",
        "General Dental Council",
        ("Dentist", "Dental nurse", "Dental hygienist", "Dental therapist"),
        re.compile(r"\d{4,6}"),
        "123456",
    ),
    # General Pharmaceutical Council: 7 digits (pharmacists start 20, technicians start 50).
    Regulator(
        "GPhC",
        "General Pharmaceutical Council",
        ("Pharmacist", "Pharmacy technician"),
        re.compile(r"[25]\d{6}"),
        "2012345",
    ),
    # General Optical Council: 01-NNNNN (optometrists) or D-NNNNN (dispensing opticians).
    Regulator(
        "GOC",
        "General Optical Council",
        ("Optometrist", "Dispensing optician"),
        re.compile(r"(01|D)-\d{4,6}"),
        "01-12345",
    ),
    # General Chiropractic Council: 5 digits.
    Regulator("GCC", "General Chiropractic Council", ("Chiropractor",), re.compile(r"\d{5}"), "01234"),
    # General Osteopathic Council: 4 or 5 digits.
    Regulator("GOsC", "General Osteopathic Council", ("Osteopath",), re.compile(r"\d{4,5}"), "12345"),
    # Pharmaceutical Society of Northern Ireland: 4 to 6 digits.
    Regulator(
        "PSNI",
        "Pharmaceutical Society of Northern Ireland",
        ("Pharmacist",),
        re.compile(r"\d{4,6}"),
        "12345",
    ),
    # Social Work England: SW and up to 6 digits.
    Regulator("SWE", "Social Work England", ("Social worker",), re.compile(r"SW\d{1,6}"), "SW123456"),
)
REGULATOR_BY_CODE = {regulator.code: regulator for regulator in REGULATORS}
_REGULATOR_BY_UPPER = {regulator.code.upper(): regulator for regulator in REGULATORS}


def find_regulator(code: str) -> Regulator | None:
    """The regulator for a code, ignoring case and spaces ("gphc", " GMC ")."""
    return _REGULATOR_BY_UPPER.get(code.strip().upper())


def normalise_registration_number(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


def registration_number_problem(regulator_code: str, number: str) -> str | None:
    """A plain-English reason the number is not valid for the regulator, or None if it is."""
    regulator = find_regulator(regulator_code)
    if regulator is None:
        known = ", ".join(r.code for r in REGULATORS)
        return f"Choose a regulator from {known}"
    normalised = normalise_registration_number(number)
    if not normalised:
        return f"Enter the {regulator.code} registration number"
    if not regulator.pattern.fullmatch(normalised):
        return (
            f"Enter a {regulator.code} registration number in the right format, "
            f"for example {regulator.example}"
        )
    return None
