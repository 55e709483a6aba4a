"""interests.rules.disclosure and rules.headings: a Disclosure UK file's headings, amounts,
identifiers and company names, as tables of cases."""

from __future__ import annotations

import pytest

from interests.rules.disclosure import (
    KEY_BY_HEADING,
    RegistrationNumber,
    company_key,
    is_aggregate,
    parse_amount,
    read_identifier,
)
from interests.rules.headings import heading_key, match_headings


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        ("Full Name", "full_name"),
        ("\ufeffFULL_NAME", "full_name"),
        ("HCP Name", "full_name"),
        ("City of Principal Practice", "city"),
        ("Country of Principal Practice", "country"),
        ("Principal Practice Address", "address"),
        ("Unique country identifier (OPTIONAL)", "identifier"),
        ("Unique Country Local Identifier", "identifier"),
        ("Company Name", "company"),
        ("Registration Fees", "registration_fees"),
        ("Contribution to costs of Events: Registration Fees", "registration_fees"),
        ("Travel & Accommodation", "travel"),
        ("Travel and accommodation", "travel"),
        ("Fee for service and consultancy - Fees", "fees"),
        ("Fees", "fees"),
        ("Related expenses agreed in the fee for service or consultancy contract", "related_expenses"),
        ("TOTAL", "total"),
        ("Total (optional)", "total"),
    ],
)
def test_each_years_spelling_of_a_heading_means_one_column(heading: str, key: str) -> None:
    assert KEY_BY_HEADING[heading_key(heading)] == key


def test_headings_not_understood_are_listed_as_written_and_a_repeated_one_is_named() -> None:
    found = match_headings(
        ["Full name", "Speciality", "", "Fees", "Company", "Fees", "Donations and Grants to HCOs"],
        KEY_BY_HEADING,
    )
    assert found.not_understood == ["Speciality", "Donations and Grants to HCOs"]
    assert found.repeated == ["fees"]
    assert found.positions["company"] == 4


@pytest.mark.parametrize(
    ("value", "pence"),
    [
        (None, 0),
        ("", 0),
        ("  ", 0),
        ("-", 0),
        ("1250", 125000),
        ("1250.5", 125050),
        ("1,250.00", 125000),
        ("£1,250.00", 125000),
        ("£ 1,250", 125000),
        ("1 250", 125000),  # a space between thousands
        ("1\u00a0250.75", 125075),  # a no-break space, as Excel's "Number" format writes it
        ("1250 GBP", 125000),
        ("0.01", 1),
        (1250, 125000),
        (1250.5, 125050),
        (0.1 + 0.2, 30),  # a spreadsheet's sum, rounded to the penny
        ("1,000,000", 100_000_000),  # the largest allowed
    ],
)
def test_amounts_in_pounds_are_read_as_pence(value: object, pence: int) -> None:
    assert parse_amount(value) == pence


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("-10", "negative"),
        ("(10.00)", "negative"),  # accounting style
        (-5, "negative"),
        ("1 250,00", "comma for the decimal point"),  # decided: refused, not guessed
        ("1.250,00", "comma for the decimal point"),
        ("€100", "must be in pounds"),
        ("100 EUR", "must be in pounds"),
        ("$100", "must be in pounds"),
        ("12.345", "not an amount"),  # more than pence
        ("1,25", "comma for the decimal point"),
        ("1e5", "not an amount"),
        ("twelve", "not an amount"),
        ("12,50,000", "not an amount"),
        (True, "not an amount"),
        (float("nan"), "not an amount"),
        (float("inf"), "not an amount"),
        ("1,000,000.01", "more than £1,000,000"),
        (50_000_000, "more than £1,000,000"),  # pence typed as pounds
    ],
)
def test_amounts_that_cannot_be_pounds_are_refused_with_a_reason(value: object, says: str) -> None:
    problem = parse_amount(value)
    assert isinstance(problem, str)
    assert says in problem


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("", ()),
        ("GMC 1234567", (RegistrationNumber("GMC", "1234567"),)),
        ("gmc no: 1234567", (RegistrationNumber("GMC", "1234567"),)),
        ("NMC PIN 12A3456E", (RegistrationNumber("NMC", "12A3456E"),)),
        ("12a3456e", (RegistrationNumber("NMC", "12A3456E"),)),
        ("1234567", (RegistrationNumber("GMC", "1234567"),)),
        # Seven digits starting 2 fit both the GMC's and the GPhC's formats: both are asked about.
        ("2012345", (RegistrationNumber("GMC", "2012345"), RegistrationNumber("GPhC", "2012345"))),
        ("GMC 12A3456E", ()),  # the named regulator's format does not fit
        ("n/a", ()),
    ],
)
def test_a_unique_country_identifier_is_read_as_the_registration_numbers_it_could_be(
    text: str, readings: tuple[RegistrationNumber, ...]
) -> None:
    assert read_identifier(text) == readings


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Pfizer Ltd", "PFIZER LIMITED", True),
        ("Pfizer Ltd.", "Pfizer (UK) plc", True),
        ("Johnson & Johnson Ltd", "Johnson and Johnson", True),
        ("Bristol-Myers Squibb Pharmaceuticals Limited", "Bristol Myers Squibb Pharmaceuticals", True),
        ("Société Générale", "societe generale", True),
        ("Pfizer", "Pfizer Biotech", False),
        ("AbbVie Ltd", "Abbott Laboratories Ltd", False),
    ],
)
def test_company_names_compare_without_legal_forms_uk_punctuation_or_case(
    one: str, other: str, same: bool
) -> None:
    assert (company_key(one) == company_key(other)) is same


@pytest.mark.parametrize(
    ("name", "aggregate"),
    [
        ("Aggregate amount attributable to transfers of value to such Recipients - Art. 3.01.1.b", True),
        ("Number of Recipients in aggregate disclosure - Art. 3.01.1.b", True),
        ("Amira Okafor", False),
    ],
)
def test_the_templates_aggregate_rows_are_recognised(name: str, aggregate: bool) -> None:
    assert is_aggregate(name) is aggregate
