"""Reading a Disclosure UK file row by row: an Excel workbook (python-calamine) or a CSV file
(UTF-8, with or without a byte order mark, or Windows-1252), its heading line found and matched
like the staff import's (`rules.headings`), and every row checked.

Rows are yielded one at a time, so a 150,000-row year is never held as Python rows: the workbook's
cells stay inside calamine until a row is asked for, and a CSV file is read through its text.
Every problem is listed with its line in the file and the column; the caller saves nothing if
there is any.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from python_calamine import CalamineError, CalamineWorkbook

from interests.rules.disclosure import (
    AMOUNT_KEYS,
    COLUMN_BY_KEY,
    COLUMNS,
    HEADER_SEARCH_LINES,
    KEY_BY_HEADING,
    cell_text,
    is_aggregate,
    parse_amount,
)
from interests.rules.headings import Headings, match_headings
from interests.rules.text import without_controls
from interests.services.staff.checking import Problems

WORKBOOK = "Excel workbook"
UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 with byte order mark"
WINDOWS_1252 = "Windows-1252"
_ZIP = b"PK\x03\x04"  # .xlsx (and .ods) are zip files
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the older .xls
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PaymentRow:
    line: int
    full_name: str
    city: str
    country: str | None
    address: str | None
    identifier: str | None
    company: str
    registration_fees: int  # pence
    travel: int
    fees: int
    related_expenses: int
    total: int

    @property
    def amounts(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in AMOUNT_KEYS}


@dataclass
class Report(Problems):
    """What reading a file found: its format, its headings, and its problems."""

    sha256: str = ""
    file_format: str = ""
    not_understood: list[str] = field(default_factory=list)
    rows: int = 0
    aggregate_rows: int = 0


class DisclosureRefused(ValueError):
    """The file has problems; nothing was saved."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"The file has {report.problem_count} problem(s); nothing was saved")
        self.report = report


Cells = Sequence[object]


def _workbook_rows(content: bytes, report: Report) -> Iterator[tuple[int, Cells]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except (CalamineError, ValueError, OSError) as exc:
        report.add(None, None, f"The workbook cannot be opened ({exc}). Save it again as .xlsx or .csv")
        return
    # Files are published with the payments on the first sheet (a notes sheet may follow).
    try:
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, IndexError) as exc:
        report.add(None, None, f"The workbook's first sheet cannot be read ({exc})")
        return
    first_row = sheet.start[0] if sheet.start else 0
    for index, row in enumerate(sheet.iter_rows()):
        yield first_row + index + 1, row


def _decoded(content: bytes, report: Report) -> str | None:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:4096]:
        report.add(
            None,
            None,
            "The file is saved as UTF-16 (Unicode text), or is not a text file. "
            "Save it as 'CSV UTF-8 (Comma delimited)' or as an Excel workbook (.xlsx), and try again",
        )
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.startswith("\ufeff"):
            report.file_format = UTF8_BOM
            return text[1:]
        report.file_format = UTF8
        return text
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        report.add(
            line,
            None,
            "The file is neither UTF-8 nor Windows-1252 text, so its letters cannot be read. "
            "Save it as 'CSV UTF-8 (Comma delimited)' or as an Excel workbook (.xlsx), and try again",
        )
        return None
    report.file_format = WINDOWS_1252
    return text


def _csv_rows(content: bytes, report: Report) -> Iterator[tuple[int, Cells]]:
    text = _decoded(content, report)
    if text is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    try:
        for record in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            yield line, record
    except csv.Error as exc:
        report.add(previous_end + 1, None, f"This line cannot be read: {exc}")


def _find_headings(rows: Iterator[tuple[int, Cells]], report: Report) -> tuple[int, Headings] | None:
    """The heading line: the first of the first HEADER_SEARCH_LINES lines that names the recipient
    and at least one amount (the EFPIA template puts a title block above it)."""
    best: Headings | None = None
    for line, cells in rows:
        header = [cell_text(cell) for cell in cells]
        headings = match_headings(header, KEY_BY_HEADING)
        if "full_name" in headings.positions and any(key in headings.positions for key in AMOUNT_KEYS):
            return line, headings
        if best is None or len(headings.positions) > len(best.positions):
            best = headings
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "semicolons" if header[0].count(";") >= header[0].count("\t") else "tabs"
            report.add(
                line,
                None,
                f"The columns are separated by {separator}, not commas. Save the file as "
                "'CSV UTF-8 (Comma delimited)' or as an Excel workbook (.xlsx), and try again",
            )
            return None
        if line >= HEADER_SEARCH_LINES:
            break
    if best is None:
        if report.ok:  # not already refused for its encoding
            report.add(1, None, "The file is empty")
        return None
    for column in COLUMNS:
        if column.required and column.key not in best.positions:
            report.add(
                None,
                column.heading,
                f"No {column.heading} column was found in the first {HEADER_SEARCH_LINES} lines. "
                "Use the EFPIA template's headings",
            )
    report.not_understood = _shown(best.not_understood)
    return None


NOT_UNDERSTOOD_SHOWN = 50  # headings listed (a hostile file could have thousands of columns)
HEADING_SHOWN_LENGTH = 100  # characters of each


def _shown(headings: list[str]) -> list[str]:
    """The headings not understood, as listed and kept: the first few, each cut short, with any
    control character shown as U+FFFD."""
    shown = [without_controls(heading)[:HEADING_SHOWN_LENGTH] for heading in headings[:NOT_UNDERSTOOD_SHOWN]]
    if len(headings) > NOT_UNDERSTOOD_SHOWN:
        shown.append(f"and {len(headings) - NOT_UNDERSTOOD_SHOWN:,} more")
    return shown


def read_rows(content: bytes, report: Report) -> Iterator[PaymentRow]:
    """Each good payment row, in file order. Problems (and the headings not understood) go into
    `report`; a row with a problem is not yielded."""
    report.sha256 = hashlib.sha256(content).hexdigest()
    if content.startswith((_ZIP, _OLE)):
        report.file_format = WORKBOOK
        rows = _workbook_rows(content, report)
    else:
        rows = _csv_rows(content, report)
    found = _find_headings(rows, report)
    if found is None:
        return
    header_line, headings = found
    report.not_understood = _shown(headings.not_understood)
    for key in headings.repeated:
        report.add(
            header_line, COLUMN_BY_KEY[key].heading, f"The column {COLUMN_BY_KEY[key].heading} appears twice"
        )
    for column in COLUMNS:
        if column.required and column.key not in headings.positions:
            report.add(header_line, column.heading, f"The file has no {column.heading} column")
    if not report.ok:
        return
    positions = headings.positions
    for line, cells in rows:
        if not any(cell_text(cell) for cell in cells):
            continue
        values = {key: (cells[index] if index < len(cells) else None) for key, index in positions.items()}
        row = _check_row(line, values, report)
        if row is not None:
            yield row
    if report.ok and report.rows == 0:
        report.add(header_line + 1, None, "The file has a heading line but no payments")


def _check_row(line: int, values: dict[str, object], report: Report) -> PaymentRow | None:
    name = cell_text(values.get("full_name"))
    if is_aggregate(name):
        report.aggregate_rows += 1
        return None
    before = report.problem_count
    text: dict[str, str] = {}
    for column in COLUMNS:
        if column.amount:
            continue
        raw = cell_text(values.get(column.key))
        if _CONTROL_CHARACTERS.search(raw):
            report.add(line, column.heading, f"{column.heading} must not include control characters")
            continue
        value = _SPACES.sub(" ", raw).strip()
        if column.required and not value:
            report.add(line, column.heading, f"Enter the {column.heading.lower()}")
        elif len(value) > column.max_length:
            report.add(
                line, column.heading, f"{column.heading} must be {column.max_length:,} characters or fewer"
            )
        text[column.key] = value
    pence: dict[str, int] = {}
    for key in (*AMOUNT_KEYS, "total"):
        if key not in values:
            continue
        heading = COLUMN_BY_KEY[key].heading
        parsed = parse_amount(values[key])
        if isinstance(parsed, str):
            shown = cell_text(values[key])
            report.add(line, heading, f"{heading} '{shown}' {parsed}")
        else:
            pence[key] = parsed
    if report.problem_count != before:
        return None
    parts = sum(pence.get(key, 0) for key in AMOUNT_KEYS)
    total = pence.get("total")
    if total is not None and cell_text(values.get("total")) and total != parts:
        report.add(
            line,
            "Total",
            f"Total £{total / 100:,.2f} is not the sum of the amounts (£{parts / 100:,.2f})",
        )
        return None
    if parts == 0:
        report.add(line, None, "There is no amount on this line: a payment needs at least one amount")
        return None
    report.rows += 1
    return PaymentRow(
        line=line,
        full_name=text["full_name"],
        city=text["city"],
        country=text.get("country") or None,
        address=text.get("address") or None,
        identifier=text.get("identifier") or None,
        company=text["company"],
        registration_fees=pence.get("registration_fees", 0),
        travel=pence.get("travel", 0),
        fees=pence.get("fees", 0),
        related_expenses=pence.get("related_expenses", 0),
        total=parts,
    )
