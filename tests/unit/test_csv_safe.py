"""Cells a spreadsheet would run as a formula get a leading apostrophe (OWASP: CSV injection),
including after spaces and in full-width forms; ordinary text is left as it is."""

from __future__ import annotations

import pytest

from interests.services.downloads import csv_safe


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ('  =HYPERLINK("http://evil")', '\'  =HYPERLINK("http://evil")'),
        ("＝1+1", "'＝1+1"),  # full-width equals sign
        ("＋1", "'＋1"),
        ("\u3000=1", "'\u3000=1"),  # ideographic space, then "="
        ("Smith", "Smith"),
        ("a=b", "a=b"),
        ("Dr Ann O'Neill", "Dr Ann O'Neill"),
        ("", ""),
        (None, ""),
        (1250, "1250"),
    ],
)
def test_formula_cells_are_neutralised_and_others_kept(value: object, written: str) -> None:
    assert csv_safe(value) == written
