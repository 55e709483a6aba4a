"""`flask --app interests demo seed`."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup

from interests import clock
from interests.demo.vocabulary import DEFAULT_PASSWORD, DEMO_ACCOUNTS, SIGN_IN_URL
from interests.demo.writer import seed

demo_cli = AppGroup("demo", help="A synthetic register to try the service with.")


@demo_cli.command("seed")
@click.option("--providers", default=30, show_default=True, type=click.IntRange(min=2))
@click.option("--professionals", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Password of the demo accounts."
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has providers.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The date the data is as of.")
def seed_command(
    providers: int, professionals: int, seed_value: int, password: str, if_empty: bool, today: datetime | None
) -> None:
    """Fill an empty database with a realistic, deterministic demo register."""
    as_of = today.date() if today is not None else clock.today()
    progress = professionals >= 5_000
    if progress:
        click.echo(f"Seeding {providers:,} providers and {professionals:,} professionals...", err=True)
    result = seed(
        providers=providers,
        professionals=professionals,
        seed=seed_value,
        password=password,
        today=as_of,
        if_empty=if_empty,
        progress=progress,
    )
    if result.seeded:
        click.echo(
            f"Seeded {result.rows:,} rows in {result.seconds:.1f}s (seed {seed_value}, as of {as_of})."
        )
    else:
        click.echo("The database already has providers: nothing seeded.")
    click.echo(", ".join(f"{count:,} {table.replace('_', ' ')}" for table, count in result.counts.items()))
    click.echo(f"\nSign in at {SIGN_IN_URL} with password {password!r}:")
    for email, role in DEMO_ACCOUNTS:
        click.echo(f"  {email:<30} {role.replace('_', ' ')}")
    sys.stdout.flush()
