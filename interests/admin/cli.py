"""Command line for system admins' data: a Disclosure UK year.

flask --app interests disclosure import FILE --year YYYY   (re-importing a year replaces it)
flask --app interests disclosure reconcile                  (whether each payment was declared, again)
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from interests import clock
from interests.services.disclosure import importing as disclosure_import
from interests.services.disclosure import reconciling
from interests.services.disclosure.reading import DisclosureRefused
from interests.unit_of_work import transaction

disclosure_cli = AppGroup("disclosure", help="Industry payments (Disclosure UK).")


@disclosure_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, type=int, help="The year the payments were made in.")
def import_disclosure(path: Path, year: int) -> None:
    """Read a Disclosure UK file (.xlsx or .csv) whole and replace that year's payments with it
    (nothing is saved if any line has a problem)."""
    problem = disclosure_import.year_problem(year, clock.today().year)
    if problem:
        raise click.BadParameter(problem, param_hint="--year")
    started = time.perf_counter()

    def progress(rows: int) -> None:
        if rows % 20_000 < disclosure_import.BATCH:
            click.echo(f"  read and matched {rows:,} rows", err=True)

    try:
        with transaction():
            outcome = disclosure_import.import_year(
                path.read_bytes(), year=year, filename=path.name, actor=None, progress=progress
            )
    except DisclosureRefused as refused:
        report = refused.report
        for found in report.problems:
            where = f"line {found.line}" if found.line else "file"
            column = f", {found.column}" if found.column else ""
            click.echo(f"{path.name}: {where}{column}: {found.message}", err=True)
        if report.problem_count > len(report.problems):
            click.echo(f"... and {report.problem_count - len(report.problems):,} more", err=True)
        raise click.ClickException(f"{report.problem_count:,} problem(s) found; nothing was saved") from None
    seconds = time.perf_counter() - started
    record = outcome.disclosure_import
    click.echo(
        f"Imported {record.rows:,} payments for {year} from {path.name} ({record.file_format}) "
        f"in {seconds:.1f}s: {record.certain:,} matched certainly (registration number), "
        f"{record.probable:,} probably, {record.possible:,} possibly; "
        f"{record.ambiguous:,} namesakes not matched, {record.nobody:,} matching nobody"
        + (f"; {record.aggregate_rows:,} aggregate rows skipped" if record.aggregate_rows else "")
    )
    if record.not_understood:
        click.echo("Headings not understood (not read): " + "; ".join(record.not_understood))


@disclosure_cli.command("reconcile")
def reconcile_disclosure() -> None:
    """Decide again, for every matched payment, whether the professional declared it (kept with each
    import and each declaration sent; run this once after upgrading to a version that keeps it)."""
    with transaction():
        changed = reconciling.refresh_all()
    click.echo(f"Reconciled every matched payment: {changed:,} changed")
