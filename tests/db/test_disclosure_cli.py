"""flask --app interests disclosure import FILE --year YYYY."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import DisclosureImport, IndustryPayment
from tests import factories
from tests.disclosure_files import csv_text, xlsx_bytes

pytestmark = pytest.mark.alldb

ROWS = [
    ("Amira Okafor", "Leeds", "UK", "", "GMC 1234567", "Pfizer Ltd", "", "", "1500", "", "1500"),
    ("Nobody Known", "Leeds", "UK", "", "", "Roche", "", "250", "", "", ""),
]


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["disclosure", "import", *args])


def payment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(IndustryPayment)) or 0


def test_the_command_imports_a_workbook_and_says_what_matched(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        factories.make_professional(given_name="Amira", family_name="Okafor", registration_number="1234567")
        db.session.commit()
    path = tmp_path / "disclosure-2024.xlsx"
    path.write_bytes(xlsx_bytes(ROWS, headings=(*tuple(csv_text([]).strip().split(",")), "Speciality")))
    result = run(app, str(path), "--year", "2024")
    assert result.exit_code == 0, result.output
    assert "Imported 2 payments for 2024 from disclosure-2024.xlsx (Excel workbook)" in result.output
    assert "1 matched certainly (registration number), 0 probably, 0 possibly" in result.output
    assert "0 namesakes not matched, 1 matching nobody" in result.output
    assert "Headings not understood (not read): Speciality" in result.output
    assert payment_count(app) == 2


def test_the_command_refuses_a_bad_file_with_each_line_and_saves_nothing(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    bad = [ROWS[0], ("Amira Okafor", "Leeds", "UK", "", "", "Pfizer", "1 250,00", "", "", "", "")]
    path.write_text(csv_text(bad), encoding="cp1252")
    result = run(app, str(path), "--year", "2024")
    assert result.exit_code == 1
    assert (
        "bad.csv: line 3, Registration fees: Registration fees '1 250,00' uses a comma for the decimal point"
        in result.output
    )
    assert "1 problem(s) found; nothing was saved" in result.output
    assert payment_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DisclosureImport)) == 0


def test_the_command_refuses_a_year_not_yet_published(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(csv_text(ROWS))
    result = run(app, str(path), "--year", "2099")
    assert result.exit_code == 2
    assert "Enter a year from 2015" in result.output
    assert payment_count(app) == 0
