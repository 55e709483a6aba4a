"""How fast the demo seed fills a fresh database, and how much memory it needs.

    python bench/seed.py --professionals 10000 [--providers 300] [--postgres]

Seeds a fresh temporary SQLite database (and, with --postgres, the empty-able database named by
TEST_DATABASE_URL: its public schema is dropped first) and prints wall time, rows per second and
peak resident memory of the process. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from interests import create_app  # noqa: E402
from interests.config import _normalise_database_url  # noqa: E402
from interests.demo import seed  # noqa: E402
from interests.extensions import db  # noqa: E402

TODAY = date(2026, 6, 1)  # fixed, so every run seeds the same data


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def run(label: str, url: str, providers: int, professionals: int, workdir: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": os.path.join(workdir, "search-index"),
            "SECRET_KEY": "bench-secret-key-long-enough-for-anything",
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        result = seed(
            providers=providers,
            professionals=professionals,
            seed=1,
            password="bench-password-2026",
            today=TODAY,
            progress=True,
        )
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    rows = result.rows
    print(
        f"{label:<10} {providers:>7,} providers {professionals:>9,} professionals  "
        f"{rows:>10,} rows  {seconds:7.1f} s  {rows / seconds:>9,.0f} rows/s  "
        f"peak RSS {peak_rss_mib():,.0f} MiB"
    )
    print("           " + ", ".join(f"{n:,} {t}" for t, n in result.counts.items()))


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--professionals", type=int, required=True)
    parser.add_argument("--providers", type=int, help="default: one per 33 professionals, at least 30")
    parser.add_argument("--postgres", action="store_true", help="also seed TEST_DATABASE_URL (wiped first)")
    args = parser.parse_args()
    providers = args.providers or max(30, args.professionals // 33)
    with tempfile.TemporaryDirectory() as workdir:
        run("sqlite", f"sqlite:///{workdir}/bench.sqlite3", providers, args.professionals, workdir)
        if args.postgres:
            url = os.environ.get("TEST_DATABASE_URL", "")
            if not url:
                parser.error("--postgres needs TEST_DATABASE_URL")
            url = _normalise_database_url(url)
            reset_postgres(url)
            run("postgresql", url, providers, args.professionals, workdir)


if __name__ == "__main__":
    main()
