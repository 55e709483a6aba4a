"""What every downloadable file shares: cells a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence

# Spreadsheet programs run a cell that starts with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_safe(value: object) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would treat it as a formula:
    also after leading spaces, and written in full-width forms ("＝", "＋": NFKC folds them), which
    some spreadsheet programs read as the ASCII sign."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or unicodedata.normalize("NFKC", text).lstrip(" ").startswith(
        FORMULA_STARTS
    ):
        return "'" + text
    return text


def csv_line_maker() -> Callable[[Sequence[object]], str]:
    """A function turning one row's cells into its CSV line, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Sequence[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(cell) for cell in cells])
        return buffer.getvalue()

    return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text, one line at a time (streamed, never built in memory), every cell made safe."""
    line = csv_line_maker()
    yield line(header)
    for cells in rows:
        yield line(cells)
