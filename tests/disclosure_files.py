"""Disclosure UK files for tests and benchmarks: CSV text and minimal .xlsx workbooks.

openpyxl is not installed and python-calamine only reads, so a workbook is written here with
zipfile and the few XML parts Excel needs (strings inline, numbers as numbers).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from interests.rules.disclosure import COLUMNS
from interests.rules.disclosure import PUBLISHED_HEADINGS as HEADINGS

if TYPE_CHECKING:
    from interests.models import Professional

Cell = str | int | float | None

# The columns' keys in the order of HEADINGS (full_name, city, country, address, identifier,
# company, registration_fees, travel, fees, related_expenses, total).
ROW_KEYS = tuple(column.key for column in COLUMNS)
assert len(ROW_KEYS) == len(HEADINGS)  # noqa: S101 - a test helper: the two must stay in step


def payment_row(person: Professional | None, company: str, **parts: str) -> tuple[str, ...]:
    """One row of a Disclosure UK file (in the order of HEADINGS): a payment by `company` to `person`,
    by their name and "GMC <registration number>", in Leeds, UK. `parts` set any other column by its
    key in `rules.disclosure.COLUMNS` (fees="1250", city="Hull", identifier="" for a row matched by
    name alone); columns not given are empty. With no person, give full_name."""
    row = {key: "" for key in ROW_KEYS}
    row.update(city="Leeds", country="UK", company=company)
    if person is not None:
        row.update(full_name=person.display_name, identifier=f"GMC {person.registration_number}")
    unknown = set(parts) - set(ROW_KEYS)
    if unknown:
        raise TypeError(f"payment_row() has no column {', '.join(sorted(unknown))}")
    row.update(parts)
    return tuple(row[key] for key in ROW_KEYS)


def csv_text(rows: Iterable[Sequence[Cell]], headings: Sequence[str] = HEADINGS) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _cell(ref: str, value: Cell) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def _sheet_rows(rows: Iterable[Sequence[Cell]]) -> Iterable[str]:
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_column(i)}{number}", value) for i, value in enumerate(row))
        yield f'<row r="{number}">{cells}</row>'


def xlsx_bytes(rows: Iterable[Sequence[Cell]], headings: Sequence[str] | None = HEADINGS) -> bytes:
    """A one-sheet workbook: the headings (unless None), then the rows."""
    all_rows: Iterable[Sequence[Cell]] = rows if headings is None else _with_headings(headings, rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="HCP" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for row in _sheet_rows(all_rows):
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def _with_headings(headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterable[Sequence[Cell]]:
    yield list(headings)
    yield from rows
