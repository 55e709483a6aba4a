"""How fast a large provider's staff page answers, with and without a status filter.

    python bench/staff_page.py [--engagements 50000] [--requests 10] [--postgres [--no-sqlite]]
                               [--keep DIR]

Fills a fresh database with bench/compliance.py's bulk writer and yearly nil returns: one provider
with --engagements engagements (a few people engaged twice, some ended, some starting later, most with
one to three yearly nil returns, a few reminded), and 200 smaller providers sharing the same
professionals (100,000 engagements between them), so the indexes carry other providers' rows too.
Then, signed in as that provider's admin, with the clock pinned to the data's day, it times
through the Flask test client:

- `/manage/<slug>/staff` unfiltered, and with each status filter (declared, due, overdue,
  missing, starts later, ended), p50 and p95 over --requests requests each;
- the provider's public register (`/providers/<slug>`, every declaration a nil return);

and prints the staff page's status counts and the register's total, so two runs can be checked
to show the same people. SQLite always (unless --no-sqlite); PostgreSQL too with --postgres and
TEST_DATABASE_URL (its public schema is wiped). With --keep DIR the SQLite file is kept in DIR,
and the next run reuses it and a PostgreSQL database that already holds the same data: two versions
of the code can then be timed on the same rows, one after the other. Not a test: it prints.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_machine  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.compliance import (  # noqa: E402
    NOW,
    PASSWORD,
    TODAY,
    TYPE_WEIGHTS,
    Declarations,
    catch_up,
    create_schema,
    iso,
    percentile,
    reset_postgres,
    timed,
    write,
)
from interests import create_app  # noqa: E402
from interests.config import _normalise_database_url  # noqa: E402
from interests.extensions import db  # noqa: E402

SLUG = "bench-staff"
OTHER_PROVIDERS = 200
OTHER_ENGAGEMENTS = 100_000
FAMILY = ("Okafor", "Carter", "Dunn", "Patel", "Nowak", "Smith", "Jones", "Khan", "Murphy", "Chen", "Evans")
GIVEN = ("Amira", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack", "Kofi", "Lena")
FILTERS = ("", "declared", "due", "overdue", "missing", "not_started", "ended")


def rows(engagements: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Providers, professionals, engagements and declarations, the same on every run."""
    rnd = random.Random(7)
    yield (
        "provider",
        (
            1,
            SLUG,
            "Bench Staff NHS Foundation Trust",
            "1-100000001",
            "B00001",
            "nhs_trust",
            "london",
            True,
            iso(NOW),
            iso(NOW),
        ),
    )
    for i in range(2, OTHER_PROVIDERS + 2):
        yield (
            "provider",
            (
                i,
                f"bench-{i}",
                f"Bench Clinic {i}",
                f"1-{100000000 + i}",
                f"B{i:05d}",
                "gp_practice",
                "london",
                True,
                iso(NOW),
                iso(NOW),
            ),
        )
    professionals = int(engagements * 0.96) + OTHER_ENGAGEMENTS // 2
    for i in range(1, professionals + 1):
        family = f"{rnd.choice(FAMILY)}{rnd.choice(FAMILY).lower()}"
        yield "professional", (i, rnd.choice(GIVEN), family, "GMC", f"{1000000 + i}", "Doctor", iso(NOW))
    types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    declarations = Declarations()
    for i in range(1, engagements + OTHER_ENGAGEMENTS + 1):
        if i <= engagements:
            provider_id = 1
            # 4% of the big provider's engagements are a second one for someone already there.
            professional_id = i if rnd.random() > 0.04 else rnd.randint(1, max(1, i - 1))
        else:
            provider_id = rnd.randint(2, OTHER_PROVIDERS + 1)
            professional_id = rnd.randint(1, professionals)
        roll = rnd.random()
        if roll < 0.02:
            start = TODAY + timedelta(days=rnd.randint(1, 60))  # starts later
        elif roll < 0.06:
            start = TODAY - timedelta(days=rnd.randint(0, 27))  # new: due
        else:
            start = TODAY - timedelta(days=rnd.randint(28, 6 * 365))
        end = start + timedelta(days=rnd.randint(30, 900)) if rnd.random() < 0.08 else None
        yield (
            "engagement",
            (
                i,
                professional_id,
                provider_id,
                rnd.choices(types, weights)[0],
                "Clinician",
                iso(start),
                iso(end),
                rnd.random() < 0.1,
                iso(NOW),
            ),
        )
        if rnd.random() < 0.12 or start > TODAY:
            continue  # never declared
        latest = TODAY - timedelta(days=rnd.randint(0, 420))
        if latest < start:
            latest = min(TODAY, start + timedelta(days=rnd.randint(0, 27)))
        yield from declarations.yearly(rnd, professional_id, provider_id, start, latest)


def generate(url: str, engagements: int) -> dict[str, int]:
    postgres = url.startswith("postgresql")

    def remind(conn: Any) -> None:
        # A reminder for every 20th person at the big provider: the page shows when they were last reminded.
        conn.execute(
            text(
                "INSERT INTO reminder (professional_id, provider_id, window_key, status, sent_at) "
                "SELECT DISTINCT professional_id, 1, 'bench', 'missing', :sent FROM engagement "
                "WHERE provider_id = 1 AND professional_id % 20 = 0"
            ),
            {"sent": NOW - timedelta(days=3) if postgres else iso(NOW - timedelta(days=3))},
        )

    return write(url, rows(engagements), remind)


def measure(label: str, url: str, workdir: str, repeat: int) -> None:
    from interests.models import Account, Provider
    from interests.services import accounts, register, staff

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
    with app.app_context():
        provider = db.session.scalar(db.select(Provider).where(Provider.slug == SLUG))
        assert provider is not None
        if db.session.scalar(db.select(Account.id).where(Account.email == "lead@bench.example")) is None:
            accounts.create_account(
                email="lead@bench.example", password=PASSWORD, role="provider_admin", providers=[provider]
            )
            db.session.commit()
        counts = staff.status_counts(provider, TODAY)
        published = register.published_count(provider, TODAY)
        db.session.remove()
    print(f"  {label:<10} status counts: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"  {label:<10} register: {published:,} published declarations")
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "lead@bench.example", "password": PASSWORD})
    if response.status_code not in (302, 303):
        raise SystemExit(f"sign-in failed: {response.status_code}")
    for status in FILTERS:
        path = f"/manage/{SLUG}/staff" + (f"?status={status}" if status else "")
        times = timed(client, path, repeat)
        shown = re.findall(rb"([\d,]+) (?:people|engagements|results?)", client.get(path).get_data())[:1]
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        print(
            f"  {label:<10} staff page {status or 'unfiltered':<12} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms"
            + (f"   ({shown[0].decode()} shown)" if shown else "")
        )
    for what, path in (("first page", f"/providers/{SLUG}"), ("page 100", f"/providers/{SLUG}?page=100")):
        times = timed(client, path, repeat)
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        print(f"  {label:<10} register {what:<14} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def holds(url: str, engagements: int) -> bool:
    """Whether the database at `url` already holds the data generated for `engagements`."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT count(*) FROM engagement")).scalar()
    except Exception:  # no tables yet
        return False
    finally:
        engine.dispose()
    return found == engagements + OTHER_ENGAGEMENTS


def run(label: str, url: str, workdir: str, engagements: int, repeat: int, reuse: bool = False) -> None:
    if reuse and holds(url, engagements):
        catch_up(url, workdir)
    else:
        if url.startswith("postgresql"):
            reset_postgres(url)
        create_schema(url, workdir)
        started = time.perf_counter()
        counts = generate(url, engagements)
        print(
            f"  {label:<10} generated in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        )
    with time_machine.travel(NOW, tick=True):
        measure(label, url, workdir, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engagements", type=int, default=50_000, help="at the provider timed")
    parser.add_argument("--requests", type=int, default=10, help="requests timed per page")
    parser.add_argument("--postgres", action="store_true", help="also TEST_DATABASE_URL (wiped first)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--keep", help="keep the SQLite database in this directory and reuse it")
    args = parser.parse_args()
    print(f"staff page: {args.engagements:,} engagements at one provider")
    with tempfile.TemporaryDirectory() as workdir:
        if not args.no_sqlite:
            directory = args.keep or workdir
            if args.keep:
                os.makedirs(directory, exist_ok=True)
            url = f"sqlite:///{directory}/staff-{args.engagements}.sqlite3"
            run("sqlite", url, workdir, args.engagements, args.requests, reuse=bool(args.keep))
        if args.postgres:
            url = os.environ.get("TEST_DATABASE_URL", "")
            if not url:
                parser.error("--postgres needs TEST_DATABASE_URL")
            url = _normalise_database_url(url)
            run("postgresql", url, workdir, args.engagements, args.requests, reuse=bool(args.keep))


if __name__ == "__main__":
    main()
