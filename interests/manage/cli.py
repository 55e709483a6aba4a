"""Command line for providers' registers: import a staff list, send reminders, deliver email.

flask --app interests import staff FILE.csv --provider SLUG
flask --app interests reminders send [--today YYYY-MM-DD]     (the worker runs it daily; safe to run again)
flask --app interests outbox deliver                           (sends by SMTP when MAIL_SERVER is set)
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from interests import clock
from interests.extensions import db
from interests.models import Provider
from interests.services import outbox, reminders
from interests.services.staff import importing as staff_import
from interests.unit_of_work import transaction

import_cli = AppGroup("import", help="Import data.")
reminders_cli = AppGroup("reminders", help="Remind professionals who need to declare.")
outbox_cli = AppGroup("outbox", help="The email outbox.")


@import_cli.command("staff")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", "slug", required=True, help="The provider's slug.")
@click.option(
    "--no-invitations",
    is_flag=True,
    help="Do not ask new people by email to confirm they work here.",
)
def import_staff(path: Path, slug: str, no_invitations: bool) -> None:
    """Check a staff-list CSV whole, then import it (nothing is saved if any line has a problem)."""
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug))
    if provider is None:
        raise click.ClickException(f"There is no provider with the slug {slug!r}")
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "checking" and done % 5000:
            return  # every 5,000 lines is enough on a terminal
        click.echo(f"  {stage}: {done:,}" + (f" of {total:,}" if total else " lines"), err=True)

    try:
        with transaction():
            outcome = staff_import.import_staff(
                provider,
                path.read_bytes(),
                filename=path.name,
                actor=None,
                progress=progress,
                invite=not no_invitations,
            )
    except staff_import.ImportRefused as refused:
        checked = refused.checked
        for problem in checked.problems:
            where = f"line {problem.line}" if problem.line else "file"
            column = f", {problem.column}" if problem.column else ""
            click.echo(f"{path.name}: {where}{column}: {problem.message}", err=True)
        if checked.problem_count > len(checked.problems):
            click.echo(f"... and {checked.problem_count - len(checked.problems):,} more", err=True)
        raise click.ClickException(f"{checked.problem_count:,} problem(s) found; nothing was saved") from None
    seconds = time.perf_counter() - started
    click.echo(
        f"Imported {outcome.staff_import.rows:,} lines in {seconds:.1f}s: "
        f"{outcome.professionals_created:,} people new to the register, "
        f"{outcome.engagements_created:,} engagements added, {outcome.engagements_updated:,} changed, "
        f"{outcome.unchanged:,} unchanged, {outcome.invitations_sent:,} asked to confirm they work here"
    )


@reminders_cli.command("send")
@click.option(
    "--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Pretend today is this date."
)
def send_reminders(today: object) -> None:
    """Email everyone due, overdue or missing at every provider, once per reminder window."""
    day: date = today.date() if today is not None else clock.today()  # type: ignore[attr-defined]
    with transaction():
        sent = reminders.send_reminders(day)
    delivery = outbox.deliver_pending()
    click.echo(
        f"Reminders: {sent.sent:,} queued, {sent.already_reminded:,} already reminded in this window, "
        f"{sent.no_email:,} without an email address. Email: {delivery.sent:,} sent, "
        f"{delivery.waiting:,} waiting."
    )


@outbox_cli.command("deliver")
def deliver() -> None:
    """Send waiting emails by SMTP (MAIL_SERVER); without it they stay in the outbox.

    Safe while the worker delivers too: each run claims its emails first, so none is sent twice."""
    delivery = outbox.deliver_pending()
    if not outbox.smtp_configured():
        click.echo(f"MAIL_SERVER is not set: {delivery.waiting:,} emails kept in the outbox.")
        return
    click.echo(f"Sent {delivery.sent:,}, failed {delivery.failed:,}, waiting {delivery.waiting:,}.")
