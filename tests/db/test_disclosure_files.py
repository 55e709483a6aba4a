"""Reading Disclosure UK files as they are published: every kind of bad heading, amount and
encoding is refused with its line, and a good file's rows are read whatever its format."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from interests.services.disclosure.reading import (
    UTF8,
    UTF8_BOM,
    WINDOWS_1252,
    WORKBOOK,
    PaymentRow,
    Report,
    read_rows,
)
from tests.disclosure_files import HEADINGS, csv_text, xlsx_bytes

GOOD = ("Dr Amira Okafor", "Leeds", "United Kingdom", "Beckett Street", "GMC 1234567", "Pfizer Ltd")


def read(content: bytes) -> tuple[list[PaymentRow], Report]:
    report = Report()
    rows = list(read_rows(content, report))
    return rows, report


def problems(report: Report) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.column, p.message) for p in report.problems]


def test_a_utf8_csv_is_read_row_by_row_with_its_amounts_in_pence() -> None:
    rows, report = read(
        csv_text(
            [(*GOOD, "250", "£1,250.50", "", "", "1500.50"), (*GOOD[:5], "Novartis", "", "", "900", "", "")]
        ).encode()
    )
    assert report.ok, problems(report)
    assert report.file_format == UTF8
    assert [(r.line, r.registration_fees, r.travel, r.fees, r.total) for r in rows] == [
        (2, 25000, 125050, 0, 150050),
        (3, 0, 0, 90000, 90000),  # a blank total is the sum of the amounts
    ]
    assert rows[0].identifier == "GMC 1234567"
    assert rows[0].company == "Pfizer Ltd"


def test_a_csv_with_a_byte_order_mark_reads_its_first_heading_and_says_so() -> None:
    rows, report = read(("\ufeff" + csv_text([(*GOOD, "", "", "100", "", "100")])).encode())
    assert report.ok, problems(report)
    assert report.file_format == UTF8_BOM
    assert rows[0].full_name == "Dr Amira Okafor"


def test_a_windows_1252_csv_is_read_with_its_accents_and_pound_signs_and_says_so() -> None:
    text = csv_text(
        [("Zoë Ní Bhriain", "Londonderry", "UK", "", "", "Société Pharma", "£100", "", "", "", "")]
    )
    rows, report = read(text.encode("cp1252"))
    assert report.ok, problems(report)
    assert report.file_format == WINDOWS_1252
    assert (rows[0].full_name, rows[0].company, rows[0].total) == ("Zoë Ní Bhriain", "Société Pharma", 10000)


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused_with_its_line() -> None:
    content = csv_text([(*GOOD, "1", "", "", "", "")]).encode() + b"Bad \x81\x8d name,Leeds\r\n"
    rows, report = read(content)
    assert rows == []
    assert problems(report) == [
        (
            3,
            None,
            "The file is neither UTF-8 nor Windows-1252 text, so its letters cannot be read. "
            "Save it as 'CSV UTF-8 (Comma delimited)' or as an Excel workbook (.xlsx), and try again",
        )
    ]


def test_a_utf16_file_is_refused_with_how_to_save_it() -> None:
    rows, report = read(csv_text([(*GOOD, "1", "", "", "", "")]).encode("utf-16"))
    assert rows == []
    assert "UTF-16" in report.problems[0].message


def test_a_workbook_is_read_with_number_cells_and_a_registration_number_typed_as_a_number() -> None:
    rows, report = read(
        xlsx_bytes([("Amira Okafor", "Leeds", "UK", "", 1234567, "Pfizer", 100, 250.5, None, 0, 350.5)])
    )
    assert report.ok, problems(report)
    assert report.file_format == WORKBOOK
    assert (rows[0].identifier, rows[0].registration_fees, rows[0].travel, rows[0].total) == (
        "1234567",
        10000,
        25050,
        35050,
    )


def test_a_title_block_above_the_headings_is_skipped_and_lines_are_the_sheets_rows() -> None:
    content = xlsx_bytes(
        [
            ("Disclosure UK 2024: transfers of value to HCPs",),
            (),
            HEADINGS,
            ("Amira Okafor", "Leeds", "UK", "", "", "Pfizer", 1, "", "", "", ""),
            ("Ben Ode", "Leeds", "UK", "", "", "Pfizer", "-5", "", "", "", ""),
        ],
        headings=None,
    )
    rows, report = read(content)
    assert [row.line for row in rows] == [4]
    assert problems(report) == [
        (
            5,
            "Registration fees",
            "Registration fees '-5' is negative: payments are amounts paid, so cannot be below zero",
        )
    ]


def test_other_years_headings_are_understood_and_unknown_ones_listed() -> None:
    headings = (
        "HCP Name",
        "City",
        "Speciality",
        "Company Name",
        "Contribution to costs of Events: Registration Fees",
        "Contribution to costs of Events: Travel & Accommodation",
        "Fee for service and consultancy: Fees",
        "Fee for service and consultancy: Related expenses agreed in the fee for service or "
        "consultancy contract",
        "TOTAL",
        "Donations and Grants to HCOs",
    )
    rows, report = read(
        csv_text(
            [("Amira Okafor", "Leeds", "Urology", "Pfizer", "", "", "1,000", "", "1000", "")], headings
        ).encode()
    )
    assert report.ok, problems(report)
    assert rows[0].fees == 100000
    assert report.not_understood == ["Speciality", "Donations and Grants to HCOs"]


@pytest.mark.parametrize(
    ("headings", "expected"),
    [
        (
            tuple(h for h in HEADINGS if h != "Company"),
            (1, "Company", "The file has no Company column"),
        ),
        (
            tuple(h for h in HEADINGS if h != "Related expenses"),
            (1, "Related expenses", "The file has no Related expenses column"),
        ),
        (
            (*HEADINGS, "Fees"),
            (
                1,
                "Fees for service and consultancy",
                "The column Fees for service and consultancy appears twice",
            ),
        ),
    ],
)
def test_a_file_missing_a_required_column_or_repeating_one_is_refused(
    headings: tuple[str, ...], expected: tuple[int, str, str]
) -> None:
    rows, report = read(csv_text([("Amira Okafor",) + ("1",) * (len(headings) - 1)], headings).encode())
    assert rows == []
    assert expected in problems(report)


def test_a_file_with_no_recognisable_heading_line_names_each_missing_column() -> None:
    rows, report = read(csv_text([("a", "b")], ("Who", "Paid")).encode())
    assert rows == []
    assert (
        None,
        "Full name",
        "No Full name column was found in the first 20 lines. Use the EFPIA template's headings",
    ) in problems(report)
    assert report.not_understood == ["Who", "Paid"]


def test_a_file_separated_by_semicolons_is_refused_with_how_to_save_it() -> None:
    rows, report = read(";".join(HEADINGS).encode() + b"\r\nA;B\r\n")
    assert rows == []
    assert "separated by semicolons" in report.problems[0].message


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        (
            ("1 250,00", "", "", "", ""),
            (
                "Registration fees",
                "Registration fees '1 250,00' uses a comma for the decimal point: "
                "write pounds and pence like 1250.00",
            ),
        ),
        (
            ("", "abc", "", "", ""),
            (
                "Travel and accommodation",
                "Travel and accommodation 'abc' is not an amount of money: "
                "write it like 1250.00 or £1,250.00",
            ),
        ),
        (
            ("", "", "€500", "", ""),
            ("Fees for service and consultancy", "Fees for service and consultancy '€500' must be in pounds"),
        ),
        (
            ("", "", "", "(20.00)", ""),
            (
                "Related expenses",
                "Related expenses '(20.00)' is negative: payments are amounts paid, so cannot be below zero",
            ),
        ),
        (
            ("", "", "2000000", "", ""),
            (
                "Fees for service and consultancy",
                "Fees for service and consultancy '2000000' is more than £1,000,000: "
                "check it is in pounds, not pence",
            ),
        ),
        (("100", "", "", "", "150"), ("Total", "Total £150.00 is not the sum of the amounts (£100.00)")),
        (
            ("", "", "", "", ""),
            (None, "There is no amount on this line: a payment needs at least one amount"),
        ),
        (
            ("", "", "", "", "0"),
            (None, "There is no amount on this line: a payment needs at least one amount"),
        ),
    ],
)
def test_each_bad_amount_is_refused_with_its_line_and_column(
    amounts: tuple[str, ...], expected: tuple[str | None, str]
) -> None:
    content = csv_text([(*GOOD, "1", "", "", "", ""), (*GOOD, *amounts)]).encode()
    rows, report = read(content)
    assert problems(report) == [(3, *expected)]


def test_every_bad_line_is_listed_not_just_the_first() -> None:
    rows, report = read(
        csv_text(
            [
                (*GOOD, "x", "", "", "", ""),
                (*GOOD, "1", "", "", "", ""),
                ("", "Leeds", "", "", "", "Pfizer", "5", "", "", "", ""),
            ]
        ).encode()
    )
    assert problems(report) == [
        (
            2,
            "Registration fees",
            "Registration fees 'x' is not an amount of money: write it like 1250.00 or £1,250.00",
        ),
        (4, "Full name", "Enter the full name"),
    ]


def test_a_name_too_long_or_with_control_characters_is_refused() -> None:
    rows, report = read(
        csv_text(
            [("A" * 201, *GOOD[1:], "1", "", "", "", ""), ("Amira\x07Okafor", *GOOD[1:], "1", "", "", "", "")]
        ).encode()
    )
    assert problems(report) == [
        (2, "Full name", "Full name must be 200 characters or fewer"),
        (3, "Full name", "Full name must not include control characters"),
    ]


def test_the_templates_aggregate_rows_for_unnamed_recipients_are_skipped_and_counted() -> None:
    rows, report = read(
        csv_text(
            [
                (*GOOD, "1", "", "", "", ""),
                (
                    "Aggregate amount attributable to transfers of value to such Recipients - Art. 3.01.1.b",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "5000",
                    "",
                    "",
                    "",
                    "",
                ),
                (
                    "Number of Recipients in aggregate disclosure - Art. 3.01.1.b",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "12",
                    "",
                    "",
                    "",
                    "",
                ),
            ]
        ).encode()
    )
    assert report.ok, problems(report)
    assert (len(rows), report.aggregate_rows) == (1, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (csv_text([]).encode(), "The file has a heading line but no payments"),
        (b"PK\x03\x04 not really a workbook", "The workbook cannot be opened"),
    ],
)
def test_an_empty_file_or_a_broken_workbook_is_refused(content: bytes, message: str) -> None:
    rows, report = read(content)
    assert rows == []
    assert message in report.problems[0].message


def test_a_workbook_whose_first_sheet_is_empty_is_refused() -> None:
    rows, report = read(xlsx_bytes([], headings=None))
    assert rows == []
    assert not report.ok


def test_a_broken_zip_inside_is_refused_not_a_crash() -> None:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/workbook.xml", "<not-xml")
    rows, report = read(buffer.getvalue())
    assert rows == []
    assert "cannot be opened" in report.problems[0].message


def test_a_hostile_heading_line_is_listed_short_without_control_characters() -> None:
    headings = (*HEADINGS, *(f"Junk {n}\x07" + "x" * 500 for n in range(60)))
    rows, report = read(csv_text([(*GOOD, "1", "", "", "", "")], headings).encode())
    assert report.ok
    assert len(report.not_understood) == 51
    assert report.not_understood[0] == ("Junk 0\ufffd" + "x" * 500)[:100]
    assert report.not_understood[-1] == "and 10 more"
