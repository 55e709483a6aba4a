"""The daily `search refresh` over a realistic register.

    python bench/search_refresh.py --professionals 200000 [--days 2] [--runs 30]

Seeds (or reuses) the same demo dataset as bench/search.py, builds the search index as of the
demo's day, then for each of ``--runs`` consecutive days pins the clock to that day and runs a
refresh with a ``--days`` window: prints how many people each day's change touched, the time of
the date-range query alone and of the whole refresh (query, tasks, index writes). Not a test.
The build runs under the pinned clock and is several times slower than `search reindex` (Whoosh
under time-machine): use bench/search.py for build times.

Measured (2 cores, November 2026, 200,000 professionals, 141,604 published, window 2 days):
340 people per day (median), date-range query 546 ms, whole refresh 3.3 s (median), 4.0 s (max).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_machine  # noqa: E402

from bench.search import AS_OF, DATA, dataset  # noqa: E402
from interests import create_app  # noqa: E402
from interests.services import (
    register,  # noqa: E402
    search_index,  # noqa: E402
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--professionals", type=int, default=20000)
    parser.add_argument("--days", type=int, default=search_index.REFRESH_DAYS)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = dataset(args.professionals)
    index_dir = DATA / f"refresh-index-{args.professionals}"
    shutil.rmtree(index_dir, ignore_errors=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SEARCH_INDEX_DIR": str(index_dir),
            "SECRET_KEY": "b" * 40,
        }
    )
    noon = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=ZoneInfo("Europe/London"))
    with app.app_context():
        with time_machine.travel(noon, tick=False):
            started = time.perf_counter()
            indexed = search_index.rebuild()
            print(f"index built as of {AS_OF}: {indexed:,} published in {time.perf_counter() - started:.1f}s")
        query_ms: list[float] = []
        total_ms: list[float] = []
        people: list[int] = []
        for day in range(1, args.runs + 1):
            with time_machine.travel(noon + timedelta(days=day), tick=True):
                today = AS_OF + timedelta(days=day)
                started = time.perf_counter()
                register.professionals_changed_by_date(today - timedelta(days=args.days), today)
                query_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                done = search_index.refresh(days=args.days)
                total_ms.append((time.perf_counter() - started) * 1000)
                people.append(done.professionals)
        search_index.remove_index()
    print(f"{args.runs} daily refreshes, window {args.days} days, {args.professionals:,} professionals:")
    print(f"  people re-indexed per run: median {statistics.median(people):.0f}, max {max(people)}")
    print(
        f"  date-range query: median {statistics.median(query_ms):.0f} ms, max {max(query_ms):.0f} ms; "
        f"whole refresh: median {statistics.median(total_ms):.0f} ms, max {max(total_ms):.0f} ms"
    )


if __name__ == "__main__":
    main()
