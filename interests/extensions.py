"""Extensions are created unbound here and bound to an app in create_app()."""

import sqlite3
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, event, insert
from sqlalchemy.engine import Engine

from interests.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# No storage_uri here: it would override the app's RATELIMIT_STORAGE_URI (config.py, memory:// default).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def bulk_insert(model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows in the session's transaction, skipping the unit of work (no objects, no
    before_flush checks: for rows already checked, such as a clean staff list).

    SQLite: one executemany. PostgreSQL: COPY, in the same transaction. An executemany there is
    still one INSERT per row on the server however psycopg pipelines them: 20,000 people's
    invitations and emails took 11 of an import's 19 s (bench/import_staff.py); multi-row INSERTs
    built by SQLAlchemy were 3x slower still (compiling them).
    """
    if not rows:
        return
    connection = db.session.connection()
    table = cast(Table, model.__table__)
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    # Each row's foreign keys are checked by a query PostgreSQL keeps prepared (SELECT 1 FROM the
    # referenced table WHERE id = $1 FOR KEY SHARE). With the connection's plan_cache_mode of
    # force_custom_plan (POSTGRESQL_OPTIONS) every check was planned again: 30-40 us a check rather
    # than 6-8 (EXPLAIN ANALYZE's trigger times), 10 of a 50,000-line import's 16 s of PostgreSQL
    # CPU. Its one generic plan (the primary key's index) is right for every value, so the COPY
    # runs with PostgreSQL's default, for this transaction only until it is put back.
    previous = connection.exec_driver_sql("SELECT current_setting('plan_cache_mode')").scalar_one()
    connection.exec_driver_sql(_PLAN_CACHE_MODE, ("auto",))
    for names, alike in by_columns.items():
        _copy(connection, table, names, alike)
    # Not in a `finally`: after a failed COPY the transaction takes no statement, and its rollback
    # undoes the SET LOCAL anyway.
    connection.exec_driver_sql(_PLAN_CACHE_MODE, (previous,))


_PLAN_CACHE_MODE = "SELECT set_config('plan_cache_mode', %s, true)"  # SET LOCAL: this transaction's


def among(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a long list of values (a staff import's thousands of ids).

    PostgreSQL: ``column = ANY(%(values)s)``, one array parameter. An IN list is one parameter per
    value, each rendered by SQLAlchemy, spliced in by psycopg and planned by the server: asking
    for 50,000 engagements 500 at a time took 2.4 s that way and 1.2 s as arrays, and marking
    40,000 of them asked took 3.2 s against 1.0 s (load 3.4 on 2 CPUs; issue 13). SQLite, which
    has no arrays: an IN list, as before.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return cast(ColumnElement[bool], column.in_(values))
    return cast(ColumnElement[bool], column == any_(bindparam(None, list(values), type_=ARRAY(column.type))))


def _copy(connection: Any, table: Table, names: tuple[str, ...], rows: list[Mapping[str, Any]]) -> None:
    """COPY rows into a table as SQLAlchemy's INSERT would write them: each value through its
    column type's bind processing (UTCDateTime's check and conversion), and the columns the rows
    leave out given their Python-side defaults (created_at, attempts)."""
    from psycopg import sql

    dialect = connection.dialect
    defaults = []
    makers: list[Any] = []  # each left-out column's default: its value, or a function making it
    for column in table.columns:
        default: Any = column.default
        if column.name in names or default is None or column.primary_key:
            continue
        if not (default.is_scalar or default.is_callable):
            connection.execute(insert(table), list(rows))  # a default only SQLAlchemy can work out
            return
        defaults.append(column)
        makers.append(default)
    columns = [table.columns[name] for name in names] + defaults
    processors = [column.type.bind_processor(dialect) for column in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    # Per row, only what differs: the given values in one C call, the defaults, and the few columns
    # whose type processes a value (timestamps); 180,000 rows in a 50,000-line import.
    take = itemgetter(*names)
    one_name = len(names) == 1
    to_make = [(made.arg, made.is_callable) for made in makers]
    to_process = [(index, process) for index, process in enumerate(processors) if process is not None]
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [take(row)] if one_name else list(take(row))
            for made, is_callable in to_make:
                values.append(made(None) if is_callable else made)
            for index, process in to_process:
                values[index] = process(values[index])
            copy.write_row(values)


# SQLite (the embedded default): write-ahead logging, so pages and progress polls keep reading
# while a long write (a 50,000-line staff import) holds the write lock; and other writers wait for
# that lock for up to 30 seconds rather than failing after pysqlite's default of 5.
SQLITE_BUSY_TIMEOUT_MS = 30_000


# PostgreSQL: every statement planned for its own values, and no JIT compilation.
# - psycopg prepares a statement the fifth time a connection runs it, and after five more runs
#   PostgreSQL may keep one generic plan for it, made without the values. A provider's id, a date
#   or an engagement type decides whether a plan walks an index in order or sorts everything:
#   the inspectors' lists for the largest provider (134,000 engagements) took over a minute from
#   a generic plan, and milliseconds from their own.
# - Its planner JIT-compiles any statement whose estimated cost passes jit_above_cost, and on the
#   national tables (2,000,000 engagements) the staff page's status filters and the inspectors'
#   lists pass it although they read a few thousand rows: compiling took longer than running them
#   (EXPLAIN ANALYZE: 380 ms with JIT, 150 ms without, for one count at the largest provider).
#   Every statement here is a short read or write; none gains from it.
POSTGRESQL_OPTIONS = "-c plan_cache_mode=force_custom_plan -c jit=off"


@event.listens_for(Engine, "do_connect")
def _postgresql_options(dialect: Any, connection_record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    if dialect.name != "postgresql":
        return
    given = cparams.get("options", "")
    cparams["options"] = f"{given} {POSTGRESQL_OPTIONS}".strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
