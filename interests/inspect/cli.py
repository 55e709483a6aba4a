"""Command line: flask --app interests compliance snapshot [--as-of YYYY-MM-DD] [--days N];
flask --app interests compliance rebuild-latest."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup

from interests import clock
from interests.services import compliance, scope
from interests.unit_of_work import transaction

compliance_cli = AppGroup("compliance", help="The inspectors' compliance figures.")


@compliance_cli.command("snapshot")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The (last) date to calculate, YYYY-MM-DD. Default: today (UK time).",
)
@click.option(
    "--days", type=click.IntRange(1, 3660), default=1, show_default=True, help="How many days up to it."
)
@click.option(
    "--chunk",
    type=click.IntRange(1, 1_000_000),
    default=compliance.SNAPSHOT_CHUNK,
    show_default=True,
    help="Providers per statement.",
)
def snapshot(as_of: datetime | None, days: int, chunk: int) -> None:
    """Calculate and store every provider's figures for a date, replacing that date's snapshot.

    The worker runs it nightly; safe to run again: each date is replaced in one transaction, and
    the overview only reads a date once its snapshot has finished.
    """
    last = as_of.date() if as_of is not None else clock.today()
    for offset in range(days - 1, -1, -1):
        day: date = last - timedelta(days=offset)
        began = time.perf_counter()
        click.echo(f"Snapshot of {day.isoformat()}:")

        def progress(done: int, total: int, began: float = began) -> None:
            click.echo(f"  {done:,} of {total:,} providers ({time.perf_counter() - began:.1f}s)")

        with transaction():
            run = compliance.take_snapshot(day, chunk=chunk, progress=progress)
        click.echo(
            f"Stored {run.providers:,} providers for {day.isoformat()} in {time.perf_counter() - began:.1f}s"
        )


@compliance_cli.command("rebuild-latest")
def rebuild_latest() -> None:
    """Work out each professional's latest declaration to each provider again, from every
    declaration (the table the statuses read; kept in step on every send, so only needed after
    declarations were written around the app, such as a bulk load)."""
    began = time.perf_counter()
    with transaction():
        rows = scope.rebuild_latest_declarations()
    click.echo(f"Rebuilt {rows:,} latest declarations in {time.perf_counter() - began:.1f}s")


@compliance_cli.command("rebuild-counted")
def rebuild_counted() -> None:
    """Work out again which engagement counts for each professional at each provider, and when,
    from every engagement and latest declaration (the table the inspectors' figures read; kept in
    step on every change, so only needed after engagements were written around the app, such as a
    bulk load)."""
    began = time.perf_counter()
    with transaction():
        rows = scope.rebuild_counted_engagements()
    click.echo(f"Rebuilt {rows:,} counted engagement rows in {time.perf_counter() - began:.1f}s")
