"""flask --app interests data ...: the national download (/data), made at once or listed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from interests.services import national_data

data_cli = AppGroup("data", help="The national download of the whole published register (/data).")


@data_cli.command("publish")
@click.option("--if-missing", is_flag=True, help="Only publish if no night has been published yet.")
def publish_command(if_missing: bool) -> None:
    """Publish today's national download now (the worker does it every night at 02:45 UK time)."""
    if if_missing and national_data.nights():
        click.echo("The national download has been published already: not published again.")
        return
    done = national_data.publish()
    click.echo(
        f"Published the national download of {done.night.isoformat()}: {done.rows:,} rows "
        f"in {done.seconds:.1f}s, in {done.path}"
    )


@data_cli.command("list")
def list_command() -> None:
    """The published nights, newest first, with their rows."""
    for night in national_data.nights():
        package = national_data.package(night) or {}
        rows = (package.get("resources") or [{}])[0].get("rows", "?")
        click.echo(f"{night.isoformat()}  {rows:,} rows" if isinstance(rows, int) else night.isoformat())
