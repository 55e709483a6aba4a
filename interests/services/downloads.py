"""What every downloadable file shares: cells a spreadsheet will not run as formulas."""

from __future__ import annotations

# Spreadsheet programs run a cell that starts with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_safe(value: object) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
