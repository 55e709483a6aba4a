"""The demo's Disclosure UK file: a year of industry payments about the demo's own people.

Some rows give the person's registration number (matched for certain), some only their name and
the town of a provider they work at (probable, or namesakes not guessed), a few a nickname
(possible), and some are people on no register here (matching nobody). About half of the
payments come from a company the person declared an interest with; the rest were never
declared. Deterministic: the same seed and database, the same file.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date

from sqlalchemy import or_, select

from interests.demo.vocabulary import GIVEN_NAMES_F, GIVEN_NAMES_M, NICKNAMES
from interests.extensions import db
from interests.models import (
    Declaration,
    DeclarationItem,
    Engagement,
    InterestVersion,
    Professional,
    Provider,
)
from interests.rules.disclosure import PUBLISHED_HEADINGS

# Payers with no declared interest in the demo: real companies are never named.
UNDECLARED_COMPANIES = (
    "Brightwater Pharmaceuticals Ltd",
    "Calderstone Medical UK Limited",
    "Oakmere Biologics plc",
    "Pennine Therapeutics Ltd",
    "Sollent Healthcare UK Ltd",
)
# Family names no demo person has: their rows match nobody.
UNREGISTERED_FAMILIES = ("Quarrington", "Penhallow", "Ashgrove", "Tremayne", "Wolvercote", "Danbury")
PEOPLE_SHARE = 0.3  # of the demo's professionals, how many a company reports paying


def disclosure_csv(rng: random.Random, *, year: int) -> bytes:
    """The year's file, as a company-published CSV (UTF-8 with a byte order mark, as Excel saves it)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    places: dict[int, str] = {}
    for professional_id, address in db.session.execute(
        select(Engagement.professional_id, Provider.address)
        .join(Provider, Provider.id == Engagement.provider_id)
        .where(
            Engagement.start_date <= last, or_(Engagement.end_date.is_(None), Engagement.end_date >= first)
        )
        .order_by(Engagement.professional_id, Engagement.id)
    ):
        if address and professional_id not in places:
            places[professional_id] = address.rsplit(", ", 1)[-1]
    declared: dict[int, list[str]] = {}
    for professional_id, company in db.session.execute(
        select(Declaration.professional_id, InterestVersion.other_party)
        .join(DeclarationItem, DeclarationItem.declaration_id == Declaration.id)
        .join(InterestVersion, InterestVersion.id == DeclarationItem.interest_version_id)
        .where(
            InterestVersion.interest_type.in_(("outside_employment", "sponsored_events", "hospitality")),
            InterestVersion.date_from <= last,
        )
        .order_by(Declaration.professional_id, InterestVersion.other_party)
        .distinct()
    ):
        declared.setdefault(professional_id, []).append(company)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PUBLISHED_HEADINGS)
    people = db.session.execute(
        select(
            Professional.id,
            Professional.given_name,
            Professional.family_name,
            Professional.regulator,
            Professional.registration_number,
        ).order_by(Professional.id)
    ).all()
    for person in people:
        town = places.get(person.id)
        if town is None or rng.random() > PEOPLE_SHARE:
            continue
        way = rng.random()
        identifier = f"{person.regulator} {person.registration_number}" if way < 0.4 else ""
        given = person.given_name
        if 0.4 <= way < 0.5 and given in NICKNAMES:
            given = NICKNAMES[given]
        name = (
            f"Dr {given} {person.family_name}"
            if person.regulator == "GMC"
            else f"{given} {person.family_name}"
        )
        companies = declared.get(person.id, [])
        for _ in range(rng.choice((1, 1, 2, 3))):
            company = (
                rng.choice(companies)
                if companies and rng.random() < 0.5
                else rng.choice(UNDECLARED_COMPANIES)
            )
            writer.writerow((name, town, "United Kingdom", "", identifier, company, *_amounts(rng)))
    for _ in range(max(3, len(people) // 40)):
        given = rng.choice(GIVEN_NAMES_F + GIVEN_NAMES_M)
        town = rng.choice(sorted(set(places.values())) or ["Leeds"])
        writer.writerow(
            (
                f"{given} {rng.choice(UNREGISTERED_FAMILIES)}",
                town,
                "United Kingdom",
                "",
                "",
                rng.choice(UNDECLARED_COMPANIES),
                *_amounts(rng),
            )  # fmt: skip
        )
    writer.writerow(
        (
            "Aggregate amount attributable to transfers of value to such Recipients - Art. 3.01.1.b",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            f"{rng.randrange(20_000, 90_000)}.00",
            "",
            "",
        )  # fmt: skip
    )
    return ("\ufeff" + buffer.getvalue()).encode()


def _amounts(rng: random.Random) -> tuple[str, str, str, str, str]:
    kind = rng.random()
    if kind < 0.4:  # an advisory board or a talk
        fees = rng.randrange(300, 6000)
        expenses = rng.choice((0, 0, rng.randrange(20, 400)))
        return ("", "", f"{fees}.00", f"{expenses}.00" if expenses else "", f"{fees + expenses}.00")
    registration = rng.choice((0, rng.randrange(150, 900)))
    travel = rng.randrange(40, 1500)
    return (
        f"{registration}.00" if registration else "",
        f"{travel}.00",
        "",
        "",
        f"{registration + travel}.00",
    )
