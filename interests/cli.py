"""Command line: flask --app interests <group> <command>."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from interests import backups
from interests.extensions import db
from interests.models import InvalidRecord, Professional, Provider
from interests.rules.vocabulary import ROLE_BY_CODE
from interests.services import accounts, retention, sealing, search_index, second_factor
from interests.unit_of_work import transaction

users_cli = AppGroup("users", help="Manage sign-in accounts.")
security_events_cli = AppGroup("security-events", help="The security log.")
second_factor_cli = AppGroup("second-factor", help="The keys that seal second-factor secrets.")


@second_factor_cli.command("keys")
def second_factor_keys() -> None:
    """Print the key derived from the current SECRET_KEY, to keep in SECOND_FACTOR_KEYS before
    SECRET_KEY changes (the secrets sealed with it stay readable until `rotate` has run)."""
    config = current_app.config
    derived = sealing.derived_key(config["SECRET_KEY"])
    keys = config["SECOND_FACTOR_KEYS"]
    if keys == (derived,):
        click.echo(
            "Secrets are sealed with the key derived from SECRET_KEY (SECOND_FACTOR_KEYS lists no other)."
        )
    else:
        where = "first: it seals" if keys[0] == derived else ("listed" if derived in keys else "not listed")
        click.echo(f"SECOND_FACTOR_KEYS lists {len(keys)} key{'' if len(keys) == 1 else 's'}.")
        click.echo(f"The key derived from the current SECRET_KEY is {where}.")
    click.echo(
        "Before changing SECRET_KEY, set SECOND_FACTOR_KEYS to the new key first and this one after it,\n"
        "then run `flask --app interests second-factor rotate`. The key derived from SECRET_KEY:"
    )
    click.echo(derived)


@second_factor_cli.command("rotate")
@click.option(
    "--batch",
    default=second_factor.RESEAL_BATCH,
    show_default=True,
    type=click.IntRange(min=1),
    help="Accounts read and written at a time.",
)
def rotate_second_factor_secrets(batch: int) -> None:
    """Seal every second-factor secret again with the first of SECOND_FACTOR_KEYS (one transaction;
    nothing changes if any secret opens with none of the keys)."""
    try:
        with transaction():
            resealed = second_factor.reseal_all(batch)
    except second_factor.UnreadableSecrets as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(
        f"Sealed {resealed:,} second-factor secret{'' if resealed == 1 else 's'} again with the first key "
        "of SECOND_FACTOR_KEYS: the other keys can now be removed from it"
    )


@security_events_cli.command("prune")
def prune_security_events() -> None:
    """Delete security events older than SECURITY_LOG_KEEP_DAYS (default 400), and forget patients'
    questions' client keys after two days: the worker runs it daily."""
    with transaction():
        done = retention.prune_daily(current_app.config["SECURITY_LOG_KEEP_DAYS"])
    deleted, keep_days = done.events_deleted, done.keep_days
    click.echo(
        f"Deleted {deleted:,} security {'event' if deleted == 1 else 'events'} older than {keep_days} days; "
        f"forgot the client key of {done.client_keys_forgotten:,} patients' questions"
    )


@users_cli.command("create")
@click.option("--email", required=True, help="The sign-in email address.")
@click.option("--role", required=True, type=click.Choice(sorted(ROLE_BY_CODE)), help="The account's role.")
@click.option("--provider", "provider_slugs", multiple=True, help="A provider slug (provider admins).")
@click.option("--professional", "professional_id", type=int, help="The professional's id (professionals).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "full_name", help="The person's name.")
def create_user(
    email: str,
    role: str,
    provider_slugs: tuple[str, ...],
    professional_id: int | None,
    password: str,
    full_name: str | None,
) -> None:
    """Create an account: flask --app interests users create --email E --role R [--provider SLUG]."""
    providers = []
    for slug in provider_slugs:
        provider = db.session.scalar(select(Provider).where(Provider.slug == slug))
        if provider is None:
            raise click.ClickException(f"There is no provider with the slug {slug!r}")
        providers.append(provider)
    professional = None
    if professional_id is not None:
        professional = db.session.get(Professional, professional_id)
        if professional is None:
            raise click.ClickException(f"There is no professional with id {professional_id}")
    if role == "professional" and professional is None:
        raise click.ClickException("A professional's account needs --professional ID")
    try:
        with transaction():
            account = accounts.create_account(
                email=email,
                password=password,
                role=role,
                providers=providers,
                professional=professional,
                full_name=full_name,
            )
    except InvalidRecord as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {account.role} account {account.email}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the whole database to a new FILE (safe while the app runs)."""
    try:
        done = backups.backup(path)
    except backups.BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(
        f"Backed up the {done.engine} database to {done.path} ({done.size:,} bytes, {done.seconds:.1f}s)"
    )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds a register.")
def restore_command(path: Path, replace: bool) -> None:
    """Put a backup made by `backup` back as this app's database, then rebuild the search index."""
    try:
        done = backups.restore(path, replace=replace)
    except backups.BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Restored the {done.engine} database from {done.path} in {done.seconds:.1f}s")
    indexed = search_index.rebuild()
    click.echo(f"Rebuilt the search index: {indexed:,} professionals")


def register_commands(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(security_events_cli)
    app.cli.add_command(second_factor_cli)
    from interests.public.search_cli import search_cli

    app.cli.add_command(search_cli)
    from interests.public.data_cli import data_cli

    app.cli.add_command(data_cli)
    from interests.manage.cli import import_cli, outbox_cli, reminders_cli

    app.cli.add_command(import_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(outbox_cli)
    from interests.inspect.cli import compliance_cli

    app.cli.add_command(compliance_cli)
    from interests.admin.cli import disclosure_cli

    app.cli.add_command(disclosure_cli)
    from interests.alerts.cli import alerts_cli

    app.cli.add_command(alerts_cli)
    from interests import tasks

    tasks.init_app(app)
    try:
        from interests.demo import demo_cli
    except ImportError:  # pragma: no cover - the demo module arrives with the seed
        return
    app.cli.add_command(demo_cli)
