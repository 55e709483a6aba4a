"""`write()` and `seed()`: the generated rows into the database as bulk inserts, and the demo accounts."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import click
from flask import current_app
from sqlalchemy import func, insert, select, text, update

from interests.demo.disclosure import disclosure_csv
from interests.demo.generate import generate
from interests.demo.vocabulary import BATCH_ROWS, DEMO_PROFESSIONAL_ID, MODEL_BY_TABLE, TABLE_ORDER
from interests.extensions import db
from interests.models import (
    Account,
    Engagement,
    IndustryPayment,
    Professional,
    Provider,
)
from interests.services.disclosure import importing as disclosure_import
from interests.services.scope import rebuild_counted_engagements, rebuild_latest_declarations
from interests.unit_of_work import transaction

# ---------------------------------------------------------------------------------------------
# The writer
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    seeded: bool
    counts: dict[str, int]
    seconds: float
    rows: int


def _progress(done: int, total: int, started: float) -> None:
    click.echo(
        f"  {done:,} of {total:,} professionals ({done * 100 // total}%) "
        f"in {time.perf_counter() - started:.1f}s",
        err=True,
    )


def _reset_sequences() -> None:
    """After inserts with explicit ids, PostgreSQL's sequences must catch up or the next insert fails."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in TABLE_ORDER:
        table = model.__tablename__
        # The table names are our own models', never input.
        catch_up = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608
            f"COALESCE((SELECT MAX(id) FROM {table}), 1), (SELECT COUNT(*) FROM {table}) > 0)"
        )
        db.session.execute(text(catch_up))


def write(
    batches: Iterator[tuple[str, list[dict[str, Any]]]], *, professionals: int, progress: bool = False
) -> int:
    """Bulk-insert the generator's batches; return the number of rows written."""
    written = 0
    done = 0
    reported = 0  # tenths of the professionals reported so far
    started = time.perf_counter()
    for table, rows in batches:
        with transaction():  # a commit per batch keeps the transaction (and WAL) small
            if table == "provider_register_updated":
                if rows:
                    db.session.execute(update(Provider), rows)
                continue
            model = MODEL_BY_TABLE[table]
            for start in range(0, len(rows), BATCH_ROWS):
                # Core insert of the table: the ORM's per-row bookkeeping would only slow this down.
                db.session.execute(insert(model.__table__), rows[start : start + BATCH_ROWS])
        written += len(rows)
        if table == "professional":
            done += len(rows)
            if progress and done * 10 // professionals > reported:
                reported = done * 10 // professionals
                _progress(done, professionals, started)
    with transaction():
        _reset_sequences()
        # The engagements and declarations went in as Core inserts, around the session that keeps
        # these tables.
        rebuild_latest_declarations()
        rebuild_counted_engagements()
    return written


def create_demo_accounts(password: str) -> None:
    from interests.services.accounts import create_account

    professional = db.session.get(Professional, DEMO_PROFESSIONAL_ID)
    engagements = db.session.scalars(
        select(Engagement).where(Engagement.professional_id == DEMO_PROFESSIONAL_ID).order_by(Engagement.id)
    ).all()
    admin_provider = db.session.get(Provider, engagements[0].provider_id)
    assert professional is not None and admin_provider is not None
    create_account(
        email="professional@example.org", password=password, role="professional", professional=professional
    )
    create_account(
        email="provider-admin@example.org",
        password=password,
        role="provider_admin",
        providers=[admin_provider],
        full_name=admin_provider.contact_name,
    )
    create_account(
        email="inspector@example.org", password=password, role="inspector", full_name="Demo Inspector"
    )
    create_account(
        email="admin@example.org", password=password, role="system_admin", full_name="Demo Administrator"
    )


def table_counts() -> dict[str, int]:
    models: tuple[type[Any], ...] = (*TABLE_ORDER, Account, IndustryPayment)
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in models
    }


def seed(
    *,
    providers: int,
    professionals: int,
    seed: int,
    password: str,
    today: date,
    if_empty: bool = False,
    progress: bool = False,
) -> SeedResult:
    """Seed an empty database with the demo register and its four demo accounts."""
    if current_app.config["INTERESTS_ENV"] == "production":
        # The demo accounts' password is published: they must never exist on a real register.
        raise click.ClickException(
            "The demo register cannot be seeded in production (INTERESTS_ENV=production): its "
            "accounts have a published password. Seed a development or test copy instead."
        )
    started = time.perf_counter()
    has_data = db.session.scalar(select(Provider.id).limit(1)) is not None
    if has_data:
        if if_empty:
            return SeedResult(False, table_counts(), time.perf_counter() - started, 0)
        raise click.ClickException(
            "The database already has providers. Seed a fresh database, "
            "or add --if-empty to leave it as it is."
        )
    if len(password) < 12:
        raise click.ClickException("The demo password must be 12 characters or more")
    batches = generate(random.Random(seed), providers=providers, professionals=professionals, today=today)
    rows = write(batches, professionals=professionals, progress=progress)
    with transaction():
        create_demo_accounts(password)
    with transaction():
        # Last year's industry payments, as `make run` shows them (issue 14).
        year = today.year - 1
        content = disclosure_csv(random.Random(seed), year=year)
        outcome = disclosure_import.import_year(
            content, year=year, filename=f"disclosure-uk-{year}.csv", actor=None
        )
        outcome.disclosure_import.imported_at = datetime(today.year, today.month, today.day, 7, tzinfo=UTC)
    return SeedResult(True, table_counts(), time.perf_counter() - started, rows)
