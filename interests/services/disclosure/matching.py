"""Who each reported payment is about: the register's facts for a batch of payments, handed to the
pure decision rule (`rules.payments.decide_match`).

A batch of rows is looked up together (one query for their registration numbers, one for their
surnames and one for where those people work), so 150,000 rows cost a few hundred queries, not
half a million.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from interests.extensions import db
from interests.models import Engagement, Professional, Provider
from interests.rules.disclosure import read_identifier
from interests.rules.payments import SAME_NAME, VARIANT_NAME, Candidate, Match, decide_match
from interests.search.names import NAME_GROUPS, equivalence_keys, mac_key, name_words, words
from interests.services.disclosure.reading import PaymentRow

_GROUP_WORDS: dict[str, set[str]] = defaultdict(set)
for _group in NAME_GROUPS:
    for _word in _group:
        _GROUP_WORDS[_word].update(_group)


@dataclass(frozen=True)
class RecipientName:
    given: str  # the first given name's first word, folded ("amira")
    family: str  # the family name's last word, folded ("berg" of "van der Berg", "oneill")
    family_lookups: frozenset[str]  # lower-case family names to look for on the register


def recipient_name(full_name: str) -> RecipientName | None:
    """A payment's recipient as given and family names. Files write "Amira Okafor", "Dr Amira
    Okafor" or "OKAFOR, Amira"; a title is dropped. One word alone is not a name to match."""
    if "," in full_name:
        family_part, _, given_part = full_name.partition(",")
        given_words, family_words = name_words(given_part), name_words(family_part)
        raw_family = [family_part.strip().lower()]
    else:
        all_words = name_words(full_name)
        given_words, family_words = all_words[:1], all_words[1:]
        raw = full_name.strip().lower().split()
        # "Anna van der Berg": the family name may be the last one, two or three words.
        raw_family = [" ".join(raw[-n:]) for n in (1, 2, 3) if len(raw) > n]
    if not given_words or not family_words:
        return None
    last = family_words[-1]
    lookups = {last, *raw_family, *_GROUP_WORDS.get(last, ())}
    mac = mac_key(last)
    if mac:
        lookups.update({mac, "mac" + mac[2:]})
    if len(family_words) > 1:
        lookups.add(" ".join(family_words))
    return RecipientName(given_words[0], last, frozenset(lookups))


def _same_or_variant(a: str, b: str) -> str | None:
    if a == b:
        return SAME_NAME
    if set(equivalence_keys(a)) & set(equivalence_keys(b)):
        return VARIANT_NAME
    if (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)):
        return VARIANT_NAME  # an initial
    return None


def name_fit(name: RecipientName, given_name: str, family_name: str) -> str | None:
    """SAME_NAME, VARIANT_NAME or None: how a professional's name fits a payment's."""
    given = words(given_name)
    family = words(family_name)
    if not given or not family:
        return None
    family_fit = _same_or_variant(name.family, family[-1])
    given_fit = _same_or_variant(name.given, given[0])
    if family_fit is None or given_fit is None:
        return None
    return SAME_NAME if family_fit == given_fit == SAME_NAME else VARIANT_NAME


def in_place(city: str, places: Iterable[str]) -> bool:
    """Is the city one of the places (a provider's address or name), word for word?"""
    wanted = words(city)
    if not wanted:
        return False
    width = len(wanted)
    for place in places:
        found = words(place)
        if any(found[i : i + width] == wanted for i in range(len(found) - width + 1)):
            return True
    return False


@dataclass(frozen=True)
class _Person:
    id: int
    given_name: str
    family_name: str
    regulator: str
    registration_number: str
    display: str


def _display(title: str | None, given: str, family: str, regulator: str, number: str) -> str:
    name = f"{title} {given} {family}" if title else f"{given} {family}"
    return f"{name} ({regulator} {number})"


def _people(condition: ColumnElement[bool]) -> list[_Person]:
    return [
        _Person(
            found.id,
            found.given_name,
            found.family_name,
            found.regulator,
            found.registration_number,
            _display(
                found.title, found.given_name, found.family_name, found.regulator, found.registration_number
            ),
        )
        for found in db.session.execute(
            select(
                Professional.id,
                Professional.title,
                Professional.given_name,
                Professional.family_name,
                Professional.regulator,
                Professional.registration_number,
            ).where(condition)
        )
    ]


def match_rows(rows: Sequence[PaymentRow], year: int) -> list[Match]:
    """The matcher's decision for each row, in order."""
    readings = {row.line: read_identifier(row.identifier or "") for row in rows}
    numbers = {reading.number for found in readings.values() for reading in found}
    by_number = {
        (person.regulator, person.registration_number): person
        for person in (_people(Professional.registration_number.in_(numbers)) if numbers else [])
    }
    names = {row.line: recipient_name(row.full_name) for row in rows}
    lookups = {lookup for name in names.values() if name is not None for lookup in name.family_lookups}
    people = _people(func.lower(Professional.family_name).in_(lookups)) if lookups else []
    people_by_family: dict[str, list[_Person]] = defaultdict(list)
    for person in people:
        people_by_family[person.family_name.lower()].append(person)
    places = _places([person.id for person in people], year)
    decisions = []
    for row in rows:
        holders = [by_number.get((reading.regulator, reading.number)) for reading in readings[row.line]]
        number_candidates = [
            Candidate(holder.id, SAME_NAME, True, holder.display) for holder in holders if holder is not None
        ]
        name = names[row.line]
        name_candidates: list[Candidate] = []
        if name is not None:
            seen: set[int] = set()
            for lookup in name.family_lookups:
                for person in people_by_family.get(lookup, ()):
                    fit = name_fit(name, person.given_name, person.family_name)
                    if fit is None or person.id in seen:
                        continue
                    seen.add(person.id)
                    name_candidates.append(
                        Candidate(
                            person.id, fit, in_place(row.city, places.get(person.id, ())), person.display
                        )
                    )
        decisions.append(
            decide_match(
                identifier=row.identifier or "",
                by_number=number_candidates,
                by_name=sorted(name_candidates, key=lambda c: c.professional_id),
                city=row.city,
            )
        )
    return decisions


def _places(professional_ids: list[int], year: int) -> dict[int, list[str]]:
    """Where each professional worked in the year: their providers' addresses and names."""
    if not professional_ids:
        return {}
    first, last = date(year, 1, 1), date(year, 12, 31)
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(professional_ids), 5000):
        batch = professional_ids[start : start + 5000]
        for professional_id, address, name in db.session.execute(
            select(Engagement.professional_id, Provider.address, Provider.name)
            .join(Provider, Provider.id == Engagement.provider_id)
            .where(
                Engagement.professional_id.in_(batch),
                Engagement.start_date <= last,
                or_(Engagement.end_date.is_(None), Engagement.end_date >= first),
            )
        ):
            found[professional_id].extend(place for place in (address, name) if place)
    return found
