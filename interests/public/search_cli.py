"""flask --app interests search ...: rebuild the index from the database, apply pending work."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from interests.services import search_index
from interests.services.search_index import REFRESH_DAYS

search_cli = AppGroup("search", help="The search index of published registers.")


@search_cli.command("reindex")
@click.option(
    "--if-missing",
    is_flag=True,
    help="Only build the index if there is none yet (one an older version built is brought up to date "
    "instead, when that needs no rebuild).",
)
def reindex_command(if_missing: bool) -> None:
    """Rebuild the search index from the database, showing progress."""
    if if_missing and search_index.index_exists():
        click.echo("The search index exists: not rebuilt (run without --if-missing to rebuild it).")
        return
    if if_missing and search_index.upgrade_index():
        click.echo("The search index, built by an older version, was brought up to date: not rebuilt.")
        return
    started = time.perf_counter()
    with click.progressbar(length=1, label="Indexing professionals", show_pos=True, file=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        indexed = search_index.rebuild(progress=progress)
    click.echo(
        f"Indexed {indexed:,} professionals with published declarations "
        f"in {time.perf_counter() - started:.1f}s."
    )


@search_cli.command("apply")
def apply_command() -> None:
    """Apply index work recorded in the database (what the app does after each change)."""
    applied = search_index.apply_pending(max_rounds=1_000_000)
    search_index.tidy()
    click.echo(f"Applied {applied:,} pending index updates.")


@search_cli.command("refresh")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=REFRESH_DAYS,
    show_default=True,
    help="Look back this many days (further if the last refresh or rebuild was earlier).",
)
def refresh_command(days: int) -> None:
    """Daily: re-index everyone whose published register changed with the date (entries 6 months
    after they ended, engagements that started or ended)."""
    started = time.perf_counter()
    done = search_index.refresh(days=days)
    click.echo(
        f"Re-indexed {done.professionals:,} "
        f"{'professional' if done.professionals == 1 else 'professionals'} whose published register "
        f"changed with the date after {done.since:%-d %B %Y} up to {done.today:%-d %B %Y}, "
        f"in {time.perf_counter() - started:.1f}s."
    )
