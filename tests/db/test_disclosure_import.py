"""Importing a Disclosure UK year: each payment matched to a professional (registration number,
then name and place), namesakes not guessed, a year replaced whole in one transaction, a refused
file saving nothing, and whether each matched payment was declared."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import AuditEvent, DisclosureImport, IndustryPayment, Professional
from interests.services.disclosure import importing
from interests.services.disclosure.reading import DisclosureRefused
from interests.services.disclosure.reconciling import reconciled
from interests.unit_of_work import discard
from tests import factories
from tests.disclosure_files import csv_text, xlsx_bytes

pytestmark = pytest.mark.alldb

YEAR = 2024
WORKED_THEN = date(2020, 1, 1)


@pytest.fixture
def world(app_ctx: Flask) -> dict[str, Any]:
    leeds = factories.make_provider(name="Leeds Teaching Hospitals", address="Beckett Street, Leeds LS9 7TF")
    york = factories.make_provider(name="York and Scarborough", address="Wigginton Road, York YO31 8HE")
    people = {
        "okafor": factories.make_professional(
            title="Dr", given_name="Amira", family_name="Okafor", registration_number="1234567"
        ),
        "smith_1": factories.make_professional(given_name="John", family_name="Smith"),
        "smith_2": factories.make_professional(given_name="John", family_name="Smith"),
        "hughes": factories.make_professional(given_name="William", family_name="Hughes"),
        "oneill": factories.make_professional(given_name="Siobhan", family_name="O'Neill"),
        "nurse": factories.make_professional(
            given_name="Grace", family_name="Adeyemi", regulator="NMC", registration_number="12A3456E"
        ),
    }
    for key in ("okafor", "smith_1", "smith_2", "oneill", "nurse"):
        factories.make_engagement(people[key], leeds, start_date=WORKED_THEN)
    factories.make_engagement(people["hughes"], york, start_date=WORKED_THEN)
    # Left Leeds before the year: Leeds is no longer where he works.
    old = factories.make_professional(given_name="Peter", family_name="Gone")
    factories.make_engagement(old, leeds, start_date=WORKED_THEN, end_date=date(2022, 12, 31))
    db.session.commit()
    return {key: person.id for key, person in {**people, "gone": old}.items()}


ROWS = [
    # name, city, country, address, identifier, company, reg fees, travel, fees, expenses, total
    ("Someone Else", "Leeds", "UK", "", "GMC 1234567", "Pfizer Ltd", "", "", "1500", "", ""),
    ("OKAFOR, Amira", "Leeds", "UK", "", "", "Novartis", "200", "", "", "", ""),
    ("John Smith", "Leeds", "UK", "", "", "Pfizer Ltd", "", "300", "", "", ""),
    ("Bill Hughes", "York", "UK", "", "", "AbbVie", "", "", "800", "", ""),
    ("Dr Siobhan O'Neill", "Leeds", "UK", "", "", "Roche", "", "", "100", "", ""),
    ("Peter Gone", "Leeds", "UK", "", "", "Roche", "", "", "100", "", ""),
    ("Nobody Known", "Leeds", "UK", "", "", "Roche", "", "", "100", "", ""),
    ("Grace Adeyemi", "Leeds", "UK", "", "12a3456e", "Bayer plc", "", "", "700", "", ""),
]


def payments(year: int = YEAR) -> list[IndustryPayment]:
    return list(
        db.session.scalars(
            select(IndustryPayment).where(IndustryPayment.year == year).order_by(IndustryPayment.line)
        )
    )


def test_each_payment_is_matched_with_a_confidence_and_a_reason_in_words(world: dict[str, int]) -> None:
    outcome = importing.import_year(csv_text(ROWS).encode(), year=YEAR, filename="2024.csv", actor=None)
    db.session.commit()
    record = outcome.disclosure_import
    found = [(p.line, p.match, p.professional_id) for p in payments()]
    assert found == [
        (2, "certain", world["okafor"]),  # the number wins over the name in the file
        (3, "probable", world["okafor"]),  # "Surname, Given"
        (4, "ambiguous", None),  # two John Smiths at Leeds: not guessed
        (5, "possible", world["hughes"]),  # Bill for William, works in York
        (6, "probable", world["oneill"]),
        (7, "possible", world["gone"]),  # same name, but no longer works in Leeds
        (8, "nobody", None),
        (9, "certain", world["nurse"]),
    ]
    reasons = [p.match_reason for p in payments()]
    assert reasons[0] == "Registration number GMC 1234567 is Dr Amira Okafor (GMC 1234567)'s"
    assert reasons[1] == "Dr Amira Okafor (GMC 1234567): same name, works in Leeds"
    assert reasons[2] == "2 people fit equally (same name, works in Leeds): not guessed"
    assert reasons[6] == "Nobody on the register has this name"
    assert (
        record.rows,
        record.certain,
        record.probable,
        record.possible,
        record.ambiguous,
        record.nobody,
    ) == (
        8,
        2,
        2,
        2,
        1,
        1,
    )
    assert record.file_format == "UTF-8"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "disclosure_imported"))
    assert event is not None and "8 payments, 6 matched" in event.summary


def test_reimporting_a_year_replaces_it_and_leaves_other_years_alone(world: dict[str, int]) -> None:
    importing.import_year(csv_text(ROWS).encode(), year=2023, filename="2023.csv", actor=None)
    importing.import_year(csv_text(ROWS).encode(), year=YEAR, filename="first.csv", actor=None)
    db.session.commit()
    importing.import_year(xlsx_bytes(ROWS[:2]), year=YEAR, filename="second.xlsx", actor=None)
    db.session.commit()
    assert len(payments()) == 2
    assert len(payments(2023)) == 8
    records = db.session.scalars(select(DisclosureImport).order_by(DisclosureImport.year)).all()
    assert [(r.year, r.filename, r.rows, r.file_format) for r in records] == [
        (2023, "2023.csv", 8, "UTF-8"),
        (YEAR, "second.xlsx", 2, "Excel workbook"),
    ]


def test_a_refused_file_saves_nothing_and_the_years_earlier_import_stands(world: dict[str, int]) -> None:
    importing.import_year(csv_text(ROWS).encode(), year=YEAR, filename="good.csv", actor=None)
    db.session.commit()
    # Good rows first (saved in a batch as the file is read), then a bad one near the end.
    bad = [*ROWS] * 300 + [("Amira Okafor", "Leeds", "UK", "", "", "Pfizer", "-1", "", "", "", "")]
    with pytest.raises(DisclosureRefused) as refused:
        importing.import_year(csv_text(bad).encode(), year=YEAR, filename="bad.csv", actor=None)
    discard()
    assert [(p.line, p.column) for p in refused.value.report.problems] == [(2402, "Registration fees")]
    assert len(payments()) == 8
    assert (
        db.session.scalar(select(DisclosureImport.filename).where(DisclosureImport.year == YEAR))
        == "good.csv"
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_matched_payment_is_declared_only_with_that_company_and_type_in_that_year(
    world: dict[str, int],
) -> None:
    okafor = db.session.get(Professional, world["okafor"])
    assert okafor is not None
    provider = okafor.engagements[0].provider
    consultancy = factories.make_interest(
        okafor,
        other_party="PFIZER LIMITED",
        interest_type="outside_employment",
        date_from=date(2024, 2, 1),
        date_to=date(2024, 2, 1),
    )
    factories.make_declaration(okafor, provider, [consultancy], declared_on=date(2024, 2, 20))
    # Drafted but never sent: not declared.
    factories.make_interest(
        okafor, other_party="Novartis", interest_type="sponsored_events", date_from=date(2024, 1, 1)
    )
    importing.import_year(csv_text(ROWS[:2]).encode(), year=YEAR, filename="2024.csv", actor=None)
    db.session.commit()
    found = reconciled(payments())
    pfizer, novartis = payments()
    assert found[pfizer.id].declared is True
    assert found[novartis.id].declared is False
    assert found[novartis.id].reason == "No interest with this company for 2024"


def test_a_year_not_yet_published_or_before_disclosure_uk_is_refused() -> None:
    assert importing.year_problem(2026, 2026) is not None
    assert importing.year_problem(2014, 2026) is not None
    assert importing.year_problem(2025, 2026) is None
    assert importing.year_problem(2015, 2026) is None


def test_matching_a_big_batch_uses_the_register_once_per_batch(world: dict[str, int], app_ctx: Flask) -> None:
    """5,000 rows: three batches, each a handful of queries, whatever the number of rows."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    rows = [ROWS[i % len(ROWS)] for i in range(5000)]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        importing.import_year(csv_text(rows).encode(), year=YEAR, filename="big.csv", actor=None)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) < 20, len(selects)
    assert len(payments()) == 5000


@pytest.mark.parametrize(
    ("full_name", "given", "family", "looks_for"),
    [
        ("Dr Amira Okafor", "amira", "okafor", {"okafor"}),
        ("OKAFOR, Amira", "amira", "okafor", {"okafor"}),
        ("Prof. Siobhan O'Neill", "siobhan", "oneill", {"oneill", "o'neill"}),
        ("Anna van der Berg", "anna", "berg", {"berg", "der berg", "van der berg"}),
        ("Bill Davis", "bill", "davis", {"davis", "davies", "davey"}),
        ("Fiona MacDonald", "fiona", "macdonald", {"macdonald", "mcdonald"}),
    ],
)
def test_a_recipients_name_is_read_as_given_and_family_names_and_the_spellings_to_look_for(
    full_name: str, given: str, family: str, looks_for: set[str]
) -> None:
    from interests.services.disclosure.matching import recipient_name

    name = recipient_name(full_name)
    assert name is not None
    assert (name.given, name.family) == (given, family)
    assert looks_for <= name.family_lookups


@pytest.mark.parametrize("full_name", ["Okafor", "Dr", "", "Aggregate"])
def test_one_word_is_not_a_name_to_match(full_name: str) -> None:
    from interests.services.disclosure.matching import recipient_name

    assert recipient_name(full_name) is None


@pytest.mark.parametrize(
    ("city", "places", "found"),
    [
        ("Leeds", ["Beckett Street, Leeds LS9 7TF"], True),
        ("LEEDS", ["Leeds Teaching Hospitals NHS Trust"], True),
        ("Newcastle upon Tyne", ["Freeman Road, Newcastle upon Tyne NE7 7DN"], True),
        ("Stoke-on-Trent", ["Newcastle Road, Stoke-on-Trent ST4 6QG"], True),
        ("York", ["New York Road, Leeds"], True),  # word for word: a street named after a town counts
        ("Bath", ["Bathgate Road, Edinburgh"], False),  # not part of a word
        ("Leeds", [], False),
        ("", ["Leeds"], False),
    ],
)
def test_a_city_is_found_word_for_word_in_a_providers_address_or_name(
    city: str, places: list[str], found: bool
) -> None:
    from interests.services.disclosure.matching import in_place

    assert in_place(city, places) is found
