"""How fast the inspectors' compliance overview answers at regional and national size.

    python bench/compliance.py [--sizes small,large] [--requests 20] [--page-requests 10]
                               [--postgres [--no-sqlite]] [--keep DIR] [--live]

For each size (small: 3,000 providers / 200,000 engagements; large: 30,000 providers / 2,000,000
engagements) it fills a fresh database with a lean bulk generator (providers, professionals,
engagements, declarations and a few approved withholdings; executemany in big batches on SQLite,
COPY on PostgreSQL), then times through the Flask test client, signed in as an inspector:

- with --live, one first page computed live (no snapshot yet);
- taking the snapshot of the day (`compliance.take_snapshot`, what the nightly
  `flask --app interests compliance snapshot` runs), once;
- then, read from that snapshot: the overview's first page (`/inspect`), p50 and p95 over
  --requests requests;
- the overview sorted by % declared, and filtered to "inadequate" (p50);
- the full CSV export (`/inspect/export.csv`, every row), once;
- the inspectors' provider page (`/inspect/providers/<slug>`) for the largest provider (most
  engagements) and a median-size one, p50 and p95 over --page-requests requests each: "live", with
  no month-end snapshot to read (the runs are marked unfinished for the while, so nothing is read
  from them), and "with snapshots", the 12-month chart reading the month ends' snapshots (taken
  first if missing, and timed). Both pages must show the same figures and chart, or it stops.

SQLite always; PostgreSQL too with --postgres and TEST_DATABASE_URL (its public schema is wiped,
unless --keep is given and it already holds this size's data: then it is reused, snapshots too).
With --keep DIR the SQLite files are kept in DIR and reused by the next run. Not a test: it prints.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text, update  # noqa: E402

from interests import create_app  # noqa: E402
from interests.config import _normalise_database_url  # noqa: E402
from interests.extensions import db  # noqa: E402
from interests.models import rebuild_counted, rebuild_latest  # noqa: E402
from interests.rules.vocabulary import PROVIDER_KINDS, REGIONS  # noqa: E402

TODAY = date(2026, 6, 1)  # fixed, so every run generates the same data
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SIZES = {"small": (3_000, 200_000), "large": (30_000, 2_000_000)}
BATCH = 50_000
PASSWORD = "bench-password-2026"
TYPE_WEIGHTS = {"employee": 60, "bank": 15, "locum": 10, "practising_privileges": 8, "contractor": 7}
WORDS = ("North", "Riverside", "Oak", "Valley", "Castle", "Bridge", "Meadow", "Harbour", "Hill", "Park")
SUFFIXES = (
    "NHS Foundation Trust",
    "Medical Centre",
    "Hospital",
    "Clinic",
    "Dental Care",
    "Pharmacy",
    "Eye Care",
)


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


class Generator:
    """Deterministic rows for each table, produced lazily so 2 million rows fit in little memory."""

    def __init__(self, providers: int, engagements: int, seed: int = 6) -> None:
        self.providers = providers
        self.engagements = engagements
        self.professionals = int(engagements * 0.8)
        self.random = random.Random(seed)
        self.withholding_providers = max(3, providers // 200)

    def provider_rows(self) -> Iterator[tuple[Any, ...]]:
        rnd = random.Random(1)
        kinds = [k.code for k in PROVIDER_KINDS]
        regions = [r.code for r in REGIONS]
        for i in range(1, self.providers + 1):
            name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {rnd.choice(SUFFIXES)} {i}"
            published = NOW - timedelta(days=rnd.randint(0, 500)) if rnd.random() < 0.9 else None
            yield (
                i,
                f"provider-{i}",
                name,
                f"1-{100000000 + i}",
                f"B{i:05d}" if i < 100000 else None,
                rnd.choice(kinds),
                rnd.choice(regions),
                True,
                iso(published),
                iso(NOW),
            )

    def professional_rows(self) -> Iterator[tuple[Any, ...]]:
        for i in range(1, self.professionals + 1):
            yield (i, "Sam", f"Bench{i}", "GMC", f"{1000000 + i}", "Doctor", iso(NOW))

    def engagement_and_declaration_rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Engagements, and for most of them one to three yearly declarations to that provider."""
        rnd = random.Random(2)
        types = list(TYPE_WEIGHTS)
        weights = list(TYPE_WEIGHTS.values())
        declarations = Declarations()
        for i in range(1, self.engagements + 1):
            # Bigger providers first: provider sizes follow roughly 1/rank.
            provider_id = min(self.providers, int(self.providers ** rnd.random()))
            professional_id = rnd.randint(1, self.professionals)
            start = TODAY - timedelta(days=rnd.randint(0, 6 * 365))
            end = start + timedelta(days=rnd.randint(30, 900)) if rnd.random() < 0.15 else None
            engagement_type = rnd.choices(types, weights)[0]
            yield (
                "engagement",
                (
                    i,
                    professional_id,
                    provider_id,
                    engagement_type,
                    "Clinician",
                    iso(start),
                    iso(end),
                    False,
                    iso(NOW),
                ),
            )
            roll = rnd.random()
            if roll < 0.1:
                continue  # never declared
            latest = TODAY - timedelta(days=rnd.randint(0, 540 if roll < 0.3 else 360))
            if latest < start:
                latest = start + timedelta(days=rnd.randint(0, 27))
            yield from declarations.yearly(rnd, professional_id, provider_id, start, latest)


class Declarations:
    """Nil returns for the bulk loader, numbered from 1 in the order they are made."""

    def __init__(self) -> None:
        self.last_id = 0

    def yearly(
        self, rnd: random.Random, professional_id: int, provider_id: int, start: date, latest: date
    ) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """One to three yearly nil returns to the provider, the last on `latest`, none before the
        engagement's start or after TODAY."""
        day = latest
        for _ in range(rnd.randint(1, 3)):
            if day < start or day > TODAY:
                break
            self.last_id += 1
            yield (
                "declaration",
                (
                    self.last_id,
                    f"B-{self.last_id:09d}",
                    professional_id,
                    provider_id,
                    True,
                    iso(day),
                    iso(datetime.combine(day, datetime.min.time(), tzinfo=UTC)),
                    "",
                    f"bench-{self.last_id}",
                ),
            )
            day -= timedelta(days=365)


COLUMNS = {
    "provider": (
        "id",
        "slug",
        "name",
        "cqc_provider_id",
        "ods_code",
        "kind",
        "region",
        "has_website",
        "register_updated_at",
        "created_at",
    ),
    "professional": (
        "id",
        "given_name",
        "family_name",
        "regulator",
        "registration_number",
        "profession",
        "created_at",
    ),
    "engagement": (
        "id",
        "professional_id",
        "provider_id",
        "engagement_type",
        "role",
        "start_date",
        "end_date",
        "decision_maker",
        "created_at",
    ),
    "declaration": (
        "id",
        "reference",
        "professional_id",
        "provider_id",
        "nil_return",
        "declared_on",
        "signed_at",
        "statement",
        "submission_key",
    ),
}


class Loader:
    """Bulk inserts through the raw DB-API connection: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres
        self.pending: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.pending):
            rows = self.pending.get(name) or []
            if not rows:
                continue
            columns = COLUMNS[name]
            cursor = self.connection.cursor()
            if self.postgres:
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
            cursor.close()
            self.pending[name] = []


def write(
    url: str, rows: Iterable[tuple[str, tuple[Any, ...]]], finish: Callable[[Any], None] | None = None
) -> dict[str, int]:
    """Bulk-load (table, row) pairs, parents first (providers, then professionals, then the rest),
    and return how many rows of each table. `finish(connection)` adds what else the bench needs, in
    the transaction that then catches PostgreSQL's sequences up, works out the latest declarations
    and the engagement that counts (the session keeps them in the app; a bulk load goes around it)
    and runs ANALYZE."""
    postgres = url.startswith("postgresql")
    engine = create_engine(url)
    counts: dict[str, int] = {}
    raw = engine.raw_connection()
    try:
        if not postgres:
            raw.execute("PRAGMA journal_mode=OFF")
            raw.execute("PRAGMA synchronous=OFF")
        loader = Loader(raw, postgres)
        previous = ""
        for table, row in rows:
            if table != previous and previous in ("provider", "professional"):
                loader.flush()  # parents before children: foreign keys are checked on PostgreSQL
            previous = table
            loader.add(table, row)
            counts[table] = counts.get(table, 0) + 1
        loader.flush()
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        if finish is not None:
            finish(conn)
        if postgres:
            for table in ("provider", "professional", "engagement", "declaration"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        rebuild_latest(conn)
        rebuild_counted(conn)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return counts


def generate(url: str, providers: int, engagements: int) -> dict[str, int]:
    generator = Generator(providers, engagements)
    withheld: list[int] = []

    def rows() -> Iterator[tuple[str, tuple[Any, ...]]]:
        yield from (("provider", row) for row in generator.provider_rows())
        yield from (("professional", row) for row in generator.professional_rows())
        yield from generator.engagement_and_declaration_rows()

    counts = write(
        url, rows(), lambda conn: withheld.append(add_withholdings(conn, generator.withholding_providers))
    )
    counts["withholding_request"] = withheld[0]
    return counts


def add_withholdings(conn: Any, how_many: int) -> int:
    """A few approved withholdings: an interest declared to a provider, and its approved request."""
    declarations = conn.execute(
        text("SELECT id, professional_id, provider_id FROM declaration ORDER BY id LIMIT :n"), {"n": how_many}
    ).all()
    stamp = iso(NOW)
    for n, (declaration_id, professional_id, provider_id) in enumerate(declarations, start=1):
        conn.execute(
            text("INSERT INTO interest (id, professional_id, created_at) VALUES (:id, :p, :t)"),
            {"id": n, "p": professional_id, "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO interest_version (id, interest_id, version_number, category, interest_type, "
                "other_party, description, date_from, created_at) VALUES (:id, :id, 1, 'financial', "
                "'outside_employment', 'Bench Ltd', 'Advisory work', :d, :t)"
            ),
            {"id": n, "d": iso(TODAY - timedelta(days=400)), "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO declaration_item (id, declaration_id, interest_version_id) VALUES (:id, :d, :id)"
            ),
            {"id": n, "d": declaration_id},
        )
        conn.execute(
            text(
                "INSERT INTO withholding_request (id, interest_id, provider_id, reason, requested_at, "
                "status, decided_at, decision_reason, review_on) "
                "VALUES (:id, :id, :p, 'Personal safety', :t, 'approved', :t, 'Risk to the professional', :r)"
            ),
            {"id": n, "p": provider_id, "t": stamp, "r": iso(TODAY + timedelta(days=180))},
        )
    return len(declarations)


def make_inspector(app: Any) -> None:
    from interests.models import Account
    from interests.services import accounts

    with app.app_context():
        if db.session.scalar(select(Account).where(Account.email == "inspector@bench.example")) is None:
            accounts.create_account(email="inspector@bench.example", password=PASSWORD, role="inspector")
            db.session.commit()


def timed(client: Any, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {body[:300]!r}")
    return times


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(label: str, url: str, workdir: str, repeat: int, page_repeat: int, live: bool = False) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": os.path.join(workdir, "search-index"),
            "SECRET_KEY": "bench-secret-key-long-enough-for-anything",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
            "PASSWORD_HASH_PARALLELISM": 1,
        }
    )
    make_inspector(app)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "inspector@bench.example", "password": PASSWORD})
    if response.status_code not in (302, 303):
        raise SystemExit(f"sign-in failed: {response.status_code}")
    as_of = f"as_of={TODAY.isoformat()}"
    if live:
        before = timed(client, f"/inspect?{as_of}", 1)
        print(f"  {label:<10} first page, live (no snapshot) {before[0] * 1000:8.0f} ms")
    from interests.services import compliance

    with app.app_context():
        started = time.perf_counter()
        run = compliance.take_snapshot(TODAY)
        db.session.commit()
        print(
            f"  {label:<10} snapshot of {TODAY.isoformat()}   {time.perf_counter() - started:8.1f} s   "
            f"({run.providers:,} providers)"
        )
        db.session.remove()
    first = timed(client, f"/inspect?{as_of}", repeat)
    print(
        f"  {label:<10} overview first page      p50 {statistics.median(first) * 1000:8.0f} ms   "
        f"p95 {percentile(first, 0.95) * 1000:8.0f} ms   ({repeat} requests)"
    )
    by_percent = timed(
        client, f"/inspect?{as_of}&sort=percent_declared&order=descending", max(1, repeat // 4)
    )
    print(f"  {label:<10} sorted by % declared     p50 {statistics.median(by_percent) * 1000:8.0f} ms")
    inadequate = timed(client, f"/inspect?{as_of}&rating=inadequate&page=3", max(1, repeat // 4))
    print(f"  {label:<10} rating filter, page 3    p50 {statistics.median(inadequate) * 1000:8.0f} ms")
    started = time.perf_counter()
    response = client.get(f"/inspect/export.csv?{as_of}")
    lines = sum(chunk.count(b"\n") for chunk in response.response)
    seconds = time.perf_counter() - started
    print(f"  {label:<10} full CSV export          {seconds * 1000:8.0f} ms   ({lines - 1:,} rows)")
    if b"Figures calculated at" not in client.get(f"/inspect?{as_of}").get_data():
        raise SystemExit("the overview did not read the snapshot")
    measure_provider_pages(app, client, label, page_repeat)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def chosen_providers() -> list[tuple[str, str, int]]:
    """(what, slug, engagements) for the provider with most engagements and a median-size one."""
    from interests.models import Engagement, Provider

    sizes = db.session.execute(
        select(Provider.slug, func.count(Engagement.id).label("n"))
        .join(Engagement, Engagement.provider_id == Provider.id)
        .group_by(Provider.id, Provider.slug)
        .order_by(func.count(Engagement.id), Provider.id)
    ).all()
    largest, median = sizes[-1], sizes[len(sizes) // 2]
    return [("largest", largest.slug, largest.n), ("median", median.slug, median.n)]


def page_figures(body: bytes) -> str:
    """The figures, chart and lists of a provider page, to check two pages show the same."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    parts = [soup.select_one(selector) for selector in ("#figures", "svg.app-chart", "#trend-table")]
    if any(part is None for part in parts):
        raise SystemExit("the provider page has no figures or chart")
    attention = soup.select_one("#attention")
    lists = [str(part) for part in attention.find_next_siblings()] if attention is not None else []
    return "".join(str(part) for part in parts) + "".join(lists)


def measure_provider_pages(app: Any, client: Any, label: str, repeat: int) -> None:
    """The provider page, live and with the month ends' snapshots, for two providers."""
    from interests.models import ComplianceSnapshotRun
    from interests.services import compliance

    days = compliance.month_ends(TODAY)
    with app.app_context():
        missing = [day for day in days if compliance.finished_snapshot(day) is None]
        started = time.perf_counter()
        for day in missing:
            compliance.take_snapshot(day)
            db.session.commit()
        if missing:
            print(
                f"  {label:<10} month-end snapshots      {time.perf_counter() - started:8.1f} s   "
                f"({len(missing)} dates, {days[0].isoformat()} to {days[-1].isoformat()})"
            )
        chosen = chosen_providers()
        finished = dict(
            db.session.execute(
                select(ComplianceSnapshotRun.as_of, ComplianceSnapshotRun.finished_at).where(
                    ComplianceSnapshotRun.as_of.in_(days)
                )
            ).all()
        )
        db.session.remove()

    def set_finished(values: dict[date, Any]) -> None:
        with app.app_context():
            for day, finished_at in values.items():
                db.session.execute(
                    update(ComplianceSnapshotRun)
                    .where(ComplianceSnapshotRun.as_of == day)
                    .values(finished_at=finished_at)
                )
            db.session.commit()
            db.session.remove()

    for what, slug, engagements in chosen:
        path = f"/inspect/providers/{slug}?as_of={TODAY.isoformat()}"
        with_snapshots = timed(client, path, repeat)
        stored_body = client.get(path).get_data()
        set_finished(dict.fromkeys(finished))  # unfinished runs are never read: the chart is live
        try:
            live = timed(client, path, repeat)
            live_body = client.get(path).get_data()
        finally:
            set_finished(finished)
        if page_figures(live_body) != page_figures(stored_body):
            raise SystemExit(f"{slug}: the page from snapshots differs from the live one")
        for how, times in (("live", live), ("with snapshots", with_snapshots)):
            p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
            print(
                f"  {label:<10} provider page, {what:<7} ({engagements:>7,} engagements) {how:<14} "
                f"p50 {p50:7.0f} ms   p95 {p95:7.0f} ms"
            )


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    engine.dispose()


def create_schema(url: str, workdir: str) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": os.path.join(workdir, "search-index")}
    )
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def catch_up(url: str, workdir: str) -> None:
    """A database kept from a run of older code: add the tables it lacks, and work out the latest
    declarations and the engagement that counts if it has none of them (a kept database then times
    this code on the same rows)."""
    create_schema(url, workdir)  # create_all: only the tables missing
    engine = create_engine(url)
    with engine.begin() as conn:
        if not conn.execute(text("SELECT count(*) FROM latest_declaration")).scalar():
            started = time.perf_counter()
            rebuild_latest(conn)
            conn.execute(text("ANALYZE latest_declaration"))
            print(f"  latest declarations worked out in {time.perf_counter() - started:.1f} s")
        if not conn.execute(text("SELECT count(*) FROM counted_engagement")).scalar():
            started = time.perf_counter()
            rebuild_counted(conn)
            conn.execute(text("ANALYZE counted_engagement"))
            print(f"  engagements that count worked out in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        # Index-only scans need the visibility map of the rows just written (autovacuum may not
        # have come by yet).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM counted_engagement"))
    engine.dispose()


def holds_size(url: str, size: str) -> bool:
    """Whether the database at `url` already holds the generated data of `size`."""
    providers, engagements = SIZES[size]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = conn.execute(
                text("SELECT (SELECT count(*) FROM provider), (SELECT count(*) FROM engagement)")
            ).one()
    except Exception:  # no tables yet
        return False
    finally:
        engine.dispose()
    return tuple(counts) == (providers, engagements)


def run(
    label: str, url: str, size: str, workdir: str, repeat: int, page_repeat: int, reuse: bool, live: bool
) -> None:
    providers, engagements = SIZES[size]
    if reuse:
        catch_up(url, workdir)
    else:
        create_schema(url, workdir)
        started = time.perf_counter()
        counts = generate(url, providers, engagements)
        print(
            f"  {label:<10} generated in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        )
    measure(label, url, workdir, repeat, page_repeat, live)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small, large")
    parser.add_argument("--requests", type=int, default=20, help="requests timed for the first page")
    parser.add_argument("--page-requests", type=int, default=10, help="requests timed per provider page")
    parser.add_argument("--postgres", action="store_true", help="also TEST_DATABASE_URL (wiped first)")
    parser.add_argument("--keep", help="keep the SQLite databases in this directory and reuse them")
    parser.add_argument("--live", action="store_true", help="also time one live first page (slow)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size not in SIZES:
            parser.error(f"unknown size {size!r}")
    with tempfile.TemporaryDirectory() as workdir:
        for size in sizes:
            providers, engagements = SIZES[size]
            print(f"{size}: {providers:,} providers, {engagements:,} engagements")
            folder = Path(args.keep or workdir)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"compliance-{size}.sqlite3"
            reuse = bool(args.keep) and path.exists()
            if not args.no_sqlite:
                run(
                    "sqlite",
                    f"sqlite:///{path}",
                    size,
                    workdir,
                    args.requests,
                    args.page_requests,
                    reuse,
                    args.live,
                )
            if args.postgres:
                url = os.environ.get("TEST_DATABASE_URL", "")
                if not url:
                    parser.error("--postgres needs TEST_DATABASE_URL")
                url = _normalise_database_url(url)
                reuse_postgres = bool(args.keep) and holds_size(url, size)
                if not reuse_postgres:
                    reset_postgres(url)
                run(
                    "postgresql",
                    url,
                    size,
                    workdir,
                    args.requests,
                    args.page_requests,
                    reuse_postgres,
                    args.live,
                )


if __name__ == "__main__":
    main()
