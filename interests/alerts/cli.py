"""`flask --app interests alerts send`: what the worker does daily at 07:30 UK time, by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from interests.services import alerts

alerts_cli = AppGroup("alerts", help="Email alerts about changes on the register.")


@alerts_cli.command("send")
def send_digests() -> None:
    """Queue each confirmed alert's digest of changes since its last one; delete expired unconfirmed ones."""
    done = alerts.send_digests()
    click.echo(f"Email alerts: {done.sent:,} digests queued, {done.expired:,} unconfirmed deleted.")
