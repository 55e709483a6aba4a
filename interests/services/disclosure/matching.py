"""Who each reported payment is about: the register's facts for a batch of payments, handed to the
pure decision rule (`rules.payments.decide_match`).

A batch of rows is looked up together (one query for their registration numbers, one for the
people with their family names and initials, one for where those people work), so 150,000 rows
cost a few hundred queries, not half a million; and what was read for one batch serves the next.
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
    given_letters: frozenset[str]  # first letters of the given name and its variants (Bill: b, w)

    @property
    def initial_only(self) -> bool:
        return len(self.given) == 1

    @property
    def given_keys(self) -> frozenset[str]:
        return name_keys(self.given)

    @property
    def family_keys(self) -> frozenset[str]:
        return name_keys(self.family)


def name_keys(word: str) -> frozenset[str]:
    """The word and the keys of every group of equivalent names it belongs to (Bill -> william)."""
    return frozenset({word, *equivalence_keys(word)})


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
    given = given_words[0]
    letters = {given[0], *(word[0] for word in _GROUP_WORDS.get(given, ()))}
    return RecipientName(given, last, frozenset(lookups), frozenset(letters))


PLACE_WORDS = 4  # the longest town name to look for, in words ("Newcastle upon Tyne" is 3)


def word_runs(found: list[str]) -> set[str]:
    """Every run of 1 to PLACE_WORDS consecutive words, joined by spaces."""
    return {
        " ".join(found[i : i + width])
        for width in range(1, PLACE_WORDS + 1)
        for i in range(len(found) - width + 1)
    }


def in_place(city: str, places: Iterable[str]) -> bool:
    """Is the city one of the places (a provider's address or name), word for word?"""
    wanted = " ".join(words(city))
    return bool(wanted) and any(wanted in word_runs(words(place)) for place in places)


@dataclass(frozen=True)
class _Person:
    id: int
    regulator: str
    registration_number: str
    display: str
    given: str  # first word of the given name, folded
    family: str  # last word of the family name, folded


def _display(title: str | None, given: str, family: str, regulator: str, number: str) -> str:
    name = f"{title} {given} {family}" if title else f"{given} {family}"
    return f"{name} ({regulator} {number})"


# Candidates kept for later rows of the same recipient (name and city), counted in candidates so
# the memory stays bounded (about 100 bytes each) however common the names are.
CANDIDATES_KEPT = 200_000
PAIRS_PER_QUERY = 20_000  # (family name, initial) keys per query: under SQLite's 32,766 parameters
# "okafor|a": one text per person, so a batch's names are one IN list (hashed by PostgreSQL); a
# row-value IN of (family, initial) pairs was compared pair by pair, minutes per batch at 60,000.
_NAME_KEY = (
    func.lower(Professional.family_name)
    .concat("|")
    .concat(func.substr(func.lower(Professional.given_name), 1, 1))
)
_INITIAL = "initial:"


class Matcher:
    """Matches the batches of one import. What it has read of the register (the people with a
    family name and initial a recipient had, and where they work) is kept for the later batches,
    so each is read once per import."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._pairs_read: set[tuple[str, str]] = set()
        self._people: dict[int, _Person] = {}
        # (family key, given key) -> people: a recipient's candidates without scanning namesakes.
        self._index: dict[tuple[str, str], list[_Person]] = defaultdict(list)
        # Each person's places in the year (providers' addresses and names) as every run of up to
        # PLACE_WORDS words, so "is the city one of them" is one set lookup.
        # Kept per provider (far fewer than people), with each person's providers in the year.
        self._provider_places: dict[int, frozenset[str]] = {}
        self._providers_of: dict[int, list[int]] = {}
        # A recipient is often on several rows (one per company): their candidates are worked out once.
        self._candidates: dict[tuple[str, str, str], list[Candidate]] = {}
        self._candidates_kept = 0

    def match(self, rows: Sequence[PaymentRow]) -> list[Match]:
        """The matcher's decision for each row, in order."""
        readings = {row.line: read_identifier(row.identifier or "") for row in rows}
        numbers = {reading.number for found in readings.values() for reading in found}
        by_number = {
            (person.regulator, person.registration_number): person
            for person in (self._read(Professional.registration_number.in_(numbers)) if numbers else [])
        }
        holders = {
            row.line: [
                Candidate(holder.id, SAME_NAME, True, holder.display)
                for reading in readings[row.line]
                if (holder := by_number.get((reading.regulator, reading.number))) is not None
            ]
            for row in rows
        }
        # A number one person holds decides alone (rules.payments.decide_match): no name needed.
        names = {
            row.line: recipient_name(row.full_name) if len(holders[row.line]) != 1 else None for row in rows
        }
        self._read_names([name for name in names.values() if name is not None])
        people = {
            (name.given, name.family): self._people_named(name) for name in names.values() if name is not None
        }
        self._read_places(
            sorted({person.id for found in people.values() for person in found} - self._providers_of.keys())
        )
        decisions = []
        for row in rows:
            name = names[row.line]
            city = " ".join(words(row.city))
            name_candidates: list[Candidate] = []
            if name is not None:
                key = (name.given, name.family, city)
                cached = self._candidates.get(key)
                if cached is None:
                    cached = [
                        Candidate(
                            person.id,
                            SAME_NAME if (person.given, person.family) == key[:2] else VARIANT_NAME,
                            self._works_in(person.id, city),
                            person.display,
                        )
                        for person in people[key[:2]]
                    ]
                    self._candidates_kept += len(cached) + 1
                    if self._candidates_kept > CANDIDATES_KEPT:
                        self._candidates.clear()
                        self._candidates_kept = len(cached) + 1
                    self._candidates[key] = cached
                name_candidates = cached
            decisions.append(
                decide_match(
                    identifier=row.identifier or "",
                    by_number=holders[row.line],
                    by_name=name_candidates,
                    city=row.city,
                )
            )
        return decisions

    def _people_named(self, name: RecipientName) -> list[_Person]:
        """The people whose name is the recipient's or a variant of it, in id order."""
        found: dict[int, _Person] = {}
        given_keys = [_INITIAL + name.given] if name.initial_only else list(name.given_keys)
        for family_key in name.family_keys:
            for given_key in given_keys:
                for person in self._index.get((family_key, given_key), ()):
                    found[person.id] = person
        return [found[pid] for pid in sorted(found)]

    def _read_names(self, names: list[RecipientName]) -> None:
        wanted = {
            (lookup, letter)
            for name in names
            for lookup in name.family_lookups
            for letter in name.given_letters
        } - self._pairs_read
        pairs = sorted(wanted)
        for start in range(0, len(pairs), PAIRS_PER_QUERY):
            chunk = pairs[start : start + PAIRS_PER_QUERY]
            keys = [f"{family}|{initial}" for family, initial in chunk]
            for person in self._read(_NAME_KEY.in_(keys)):
                if person.id in self._people:
                    continue
                self._people[person.id] = person
                for family_key in name_keys(person.family):
                    for given_key in (*name_keys(person.given), _INITIAL + person.given[:1]):
                        self._index[(family_key, given_key)].append(person)
        self._pairs_read.update(wanted)

    def _read(self, condition: ColumnElement[bool]) -> list[_Person]:
        people = []
        for found in db.session.execute(
            select(
                Professional.id,
                Professional.title,
                Professional.given_name,
                Professional.family_name,
                Professional.regulator,
                Professional.registration_number,
            ).where(condition)
        ):
            given, family = words(found.given_name), words(found.family_name)
            if not given or not family:
                continue
            display = _display(
                found.title, found.given_name, found.family_name, found.regulator, found.registration_number
            )
            people.append(
                _Person(found.id, found.regulator, found.registration_number, display, given[0], family[-1])
            )
        return people

    def _works_in(self, professional_id: int, city: str) -> bool:
        return bool(city) and any(
            city in self._provider_places[provider_id] for provider_id in self._providers_of[professional_id]
        )

    def _read_places(self, professional_ids: list[int]) -> None:
        """Where each professional worked in the year: their providers' addresses and names."""
        first, last = date(self.year, 1, 1), date(self.year, 12, 31)
        for pid in professional_ids:
            self._providers_of[pid] = []
        for start in range(0, len(professional_ids), 5000):
            batch = professional_ids[start : start + 5000]
            for professional_id, provider_id, address, provider_name in db.session.execute(
                select(Engagement.professional_id, Provider.id, Provider.address, Provider.name)
                .join(Provider, Provider.id == Engagement.provider_id)
                .where(
                    Engagement.professional_id.in_(batch),
                    Engagement.start_date <= last,
                    or_(Engagement.end_date.is_(None), Engagement.end_date >= first),
                )
            ):
                self._providers_of[professional_id].append(provider_id)
                if provider_id not in self._provider_places:
                    self._provider_places[provider_id] = frozenset(
                        word_runs(words(address or "")) | word_runs(words(provider_name))
                    )
