"""The national download: every night, the whole published register in two files, with a schema.

    DATA_DIR/2026-12-01/register.csv.gz      one row per published entry (as a provider's register.csv)
    DATA_DIR/2026-12-01/register.jsonl.gz    the same rows, one JSON object a line
    DATA_DIR/2026-12-01/datapackage.json     the Frictionless data package: the night's manifest

The rows are exactly what each provider's `/providers/<slug>/register.csv` publishes (the same row
builder, `register/export.py`'s `declaration_rows`), with the provider's slug and name in front,
providers in slug order. They are read from the database provider by provider, declarations in chunks
(`register.iter_register`), and written as they come: gzipped, counted and hashed (SHA-256) on the
way to disk, never built in memory. On PostgreSQL the whole file is read in one REPEATABLE READ
transaction, so it is one consistent snapshot however long it takes.

A night is written into a hidden folder beside the others (`.partial-…`) and renamed into place
when all three files are complete, so a half-written night is never listed or served. The
datapackage.json is the manifest (date, rows, bytes, hashes): a night without one does not exist.
The list of nights is read from DATA_DIR, so every server that shares DATA_DIR lists the same
nights (docs/deploy.md: the national path points DATA_DIR at storage every server mounts).
The latest KEEP_NIGHTS nights are kept; older ones are deleted after each publish.

The worker's nightly job and `flask --app interests data publish` call `publish()`; the /data pages
(interests/public/routes.py) read the nights with `nights()`, `package()` and `file_path()`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import select

from interests import clock
from interests.extensions import db
from interests.models import Provider
from interests.services import register
from interests.services.downloads import csv_line_maker
from interests.services.outbox import absolute_url
from interests.services.register import export
from interests.unit_of_work import discard

KEEP_NIGHTS = 30
CSV_FILE = "register.csv.gz"
JSONL_FILE = "register.jsonl.gz"
PACKAGE_FILE = "datapackage.json"
FILES = (CSV_FILE, JSONL_FILE, PACKAGE_FILE)
NIGHT_PATTERN = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # ASCII digits only (\d takes "٣")
PARTIAL_PREFIX = ".partial-"
REPLACED_PREFIX = ".replaced-"
# A hidden folder this old was left by a publish that died (a publish takes minutes, not hours).
STALE_PARTIAL_SECONDS = 24 * 3600

COLUMNS = ("provider_slug", "provider_name", *export.CSV_COLUMNS)

LICENCE = {
    "name": "OGL-UK-3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "title": "Open Government Licence v3.0",
}
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."

# The schema of a row: each column's type and what it means, in plain English.
_SCHEMA = """
provider_slug      string   The organisation's short name in web addresses on this register.
provider_name      string   The name of the organisation the declaration was made to.
professional_id    integer  The professional's number on this register (the same at every organisation).
name               string   The professional's name, with their title.
registration       string   Their professional regulator and registration number, such as GMC 1234567.
role               string   Their role at the organisation.
declaration_reference string  The declaration's reference.
declared_on        date     The date of the declaration.
nil_return         boolean  True when the professional declared that they have no interests.
category           string   The category of interest, as a code (blank on a nil return or when every entry is withheld).
type               string   The type of interest, as a code.
other_party        string   The company or organisation the interest is with.
description        string   What the interest is, in the professional's words.
relationship       string   Whose interest it is when it is not the professional's own, such as a spouse.
value_pounds       number   The value in pounds, when one was given.
date_from          date     The date the interest started.
date_to            date     The date the interest ended (blank if it has not).
management_action  string   What the organisation is doing to manage the interest, once recorded.
withheld_entries   integer  How many of the declaration's entries are withheld from publication or awaiting a decision: a count only.
"""  # noqa: E501 - a table: one column a line
FIELDS: tuple[dict[str, str], ...] = tuple(
    {"name": name, "type": kind, "description": description}
    for name, kind, description in (line.split(maxsplit=2) for line in _SCHEMA.strip().splitlines())
)


class UnknownFile(Exception):
    """No such night or file."""


@dataclass(frozen=True)
class Published:
    night: date
    rows: int
    seconds: float
    path: Path


def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def night_name(night: date) -> str:
    return night.isoformat()


def parse_night(text: str) -> date | None:
    """A night's date from its name (YYYY-MM-DD), or None for anything else."""
    if not NIGHT_PATTERN.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- the rows ---------------------------------------------------------------------------------


def national_rows(today: date) -> Iterator[dict[str, Any]]:
    """Every published row of every provider's register (providers in slug order)."""
    providers = list(db.session.scalars(select(Provider).order_by(Provider.slug)))
    for provider in providers:
        for declaration in register.iter_register(provider, today):
            for row in export.declaration_rows(declaration):
                yield {"provider_slug": provider.slug, "provider_name": provider.name, **row}


# --- writing ----------------------------------------------------------------------------------


class _Counted:
    """A binary file that hashes and counts the bytes written to it (the gzip stream's output)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class _GzipOut:
    def __init__(self, path: Path, inner_name: str) -> None:
        self.raw = path.open("wb")
        self.counted = _Counted(self.raw)
        # mtime 0: the same register gives the same bytes (and hash) whenever it is written.
        self.gzip = gzip.GzipFile(filename=inner_name, mode="wb", fileobj=self.counted, mtime=0)

    def write(self, text: str) -> None:
        self.gzip.write(text.encode("utf-8"))

    def close(self) -> None:
        self.gzip.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()

    def abandon(self) -> None:
        self.gzip.close()
        self.raw.close()


def _consistent_snapshot() -> None:
    """On PostgreSQL, read everything in one REPEATABLE READ transaction (one snapshot)."""
    discard()  # a new transaction (a command or a job has nothing waiting to be saved here)
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _write_night(folder: Path, night: date) -> int:
    csv_out = _GzipOut(folder / CSV_FILE, "register.csv")
    jsonl_out = _GzipOut(folder / JSONL_FILE, "register.jsonl")
    rows = 0
    try:
        line = csv_line_maker()
        csv_out.write(line(COLUMNS))
        for row in national_rows(night):
            cells = [row[column] for column in COLUMNS]
            csv_out.write(line(cells))
            jsonl_out.write(json.dumps(dict(zip(COLUMNS, cells, strict=True)), ensure_ascii=False) + "\n")
            rows += 1
    except BaseException:
        csv_out.abandon()
        jsonl_out.abandon()
        raise
    csv_out.close()
    jsonl_out.close()
    package = datapackage(night, rows, {CSV_FILE: csv_out.counted, JSONL_FILE: jsonl_out.counted})
    (folder / PACKAGE_FILE).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return rows


def datapackage(night: date, rows: int, files: dict[str, _Counted]) -> dict[str, Any]:
    schema = {"fields": [dict(field) for field in FIELDS], "missingValues": [""]}

    def resource(name: str, path: str, fmt: str, mediatype: str, title: str) -> dict[str, Any]:
        counted = files[path]
        return {
            "name": name,
            "path": path,
            "title": title,
            "format": fmt,
            "mediatype": mediatype,
            "encoding": "utf-8",
            "compression": "gz",
            "bytes": counted.bytes,
            "hash": f"sha256:{counted.sha256.hexdigest()}",
            "rows": rows,
            "schema": schema,
        }

    return {
        "name": "register-of-declared-interests",
        "title": "Register of declared interests: every organisation's published register",
        "description": (
            "Every healthcare professional's published declaration of interests, to every organisation "
            f"on the register, as published on {night.isoformat()}. One row for each published entry; "
            "a nil return, or a declaration whose entries are all withheld, is one row without an "
            "entry. Withheld entries are only counted (withheld_entries), never shown. Text cells of "
            "the CSV that a spreadsheet would run as a formula start with an apostrophe."
        ),
        "homepage": absolute_url("public.data"),
        "created": clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "date": night.isoformat(),
        "licenses": [dict(LICENCE)],
        "attribution": ATTRIBUTION,
        "resources": [
            resource("register-csv", CSV_FILE, "csv", "text/csv", "The register as CSV (gzipped)"),
            resource(
                "register-jsonl",
                JSONL_FILE,
                "jsonl",
                "application/jsonl",
                "The register as JSON Lines, one row a line (gzipped)",
            ),
        ],
    }


def publish(today: date | None = None) -> Published:
    """Write tonight's files (replacing any of the same date), then keep only the latest nights."""
    night = today or clock.today()
    root = data_dir()
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = root / f"{PARTIAL_PREFIX}{night_name(night)}-{secrets.token_hex(6)}"
    partial.mkdir()
    try:
        _consistent_snapshot()
        try:
            rows = _write_night(partial, night)
        finally:
            discard()  # read only: ends the snapshot
        final = root / night_name(night)
        if final.exists():
            # Published again the same day: the old folder steps aside, the new one steps in.
            old = root / f"{REPLACED_PREFIX}{night_name(night)}-{secrets.token_hex(6)}"
            final.rename(old)
            partial.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    prune()
    return Published(night, rows, time.perf_counter() - started, final)


def prune(keep: int = KEEP_NIGHTS) -> list[date]:
    """Delete all but the latest `keep` nights, and hidden folders left by a publish that died."""
    root = data_dir()
    deleted = []
    for night in nights()[keep:]:
        shutil.rmtree(root / night_name(night), ignore_errors=True)
        deleted.append(night)
    if root.is_dir():
        for entry in root.iterdir():
            hidden = entry.name.startswith((PARTIAL_PREFIX, REPLACED_PREFIX))
            if hidden and entry.is_dir() and time.time() - entry.stat().st_mtime > STALE_PARTIAL_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
    return deleted


# --- reading ----------------------------------------------------------------------------------


def nights() -> list[date]:
    """The published nights, newest first: folders named by date holding a datapackage.json."""
    root = data_dir()
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        night = parse_night(entry.name)
        # A link is not a night (it could lead out of DATA_DIR); a folder without its manifest is
        # one being written or deleted.
        if night is not None and not entry.is_symlink() and (entry / PACKAGE_FILE).is_file():
            found.append(night)
    return sorted(found, reverse=True)


def package(night: date) -> dict[str, Any] | None:
    """A night's datapackage.json, or None when there is no such night (or it has just been pruned)."""
    try:
        text = (data_dir() / night_name(night) / PACKAGE_FILE).read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def file_path(night_text: str, name: str) -> Path:
    """The file to serve for /data/<night>/<name>: only a published night and one of FILES."""
    night = parse_night(night_text)
    if night is None or name not in FILES:
        raise UnknownFile(f"{night_text}/{name}")
    root = data_dir().resolve()
    folder = root / night_name(night)
    path = (folder / name).resolve()
    # Only a whole night (its manifest written), and never a link leading out of DATA_DIR.
    if path.parent != folder or not path.is_file() or not (folder / PACKAGE_FILE).is_file():
        raise UnknownFile(f"{night_text}/{name}")
    return path
