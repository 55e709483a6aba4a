"""Mixed traffic from many people at once, against the national shape and against one SQLite server.

    python bench/load.py [--users 100] [--seconds 60] [--target national|sqlite|both]
                         [--professionals 1000] [--web-workers 2] [--spawn-rate 10]
    python bench/load.py --host http://127.0.0.1:5000,http://127.0.0.1:5001 --database-url URL

Locust (`pip install -e '.[bench]'`), headless, in a process of its own (bench/load_users.py):
patients searching and reading (the start page, a search, a provider's register, a
professional's page), professionals signing in, adding an interest and sending their
declaration, and provider admins on their staff pages, 6 : 3 : 1.

Targets, each with its own servers and data, started and stopped here:

- national: `scripts/run-national` (the pieces of `make run-national`) with its data in a
  temporary directory: a private PostgreSQL and Redis, two gunicorn servers, the worker. Each
  simulated person sends their requests to the two servers in turn, as a load balancer would;
- sqlite: one gunicorn server on an SQLite file, no Redis, no worker (`make run`, served by
  gunicorn).

Both seed the demo register (`demo seed --professionals N`) and get accounts for the bench: a
professional account per simulated professional (people who confirmed where they work) and a
provider admin per simulated admin (the biggest providers). The sign-in rate limit is raised for
the servers through SIGN_IN_RATE_LIMIT, since every simulated person comes from 127.0.0.1; nothing
else is changed. With --host, the servers are yours: give --database-url too, and the bench adds
its accounts (password "load-bench-Kestrel-2026") to that database and checks it at the end; the
servers' SIGN_IN_RATE_LIMIT must allow the sign-ins.

Prints, per page: requests, failures, p50 and p95 (ms), requests per second; then looks in the
database for every change a server accepted (each interest added, each declaration sent, that got
the success redirect) and prints the counts, then "no failed request" or the failures. Not a test:
it prints numbers (the exit status is 1 when an accepted change is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "load-bench-Kestrel-2026"
WEIGHTS = {"patient": 6, "professional": 3, "admin": 1}  # as in bench/load_users.py
# Every simulated person signs in from 127.0.0.1: the limit per address is raised for the bench only.
BENCH_SETTINGS = {"SIGN_IN_RATE_LIMIT": "100000 per minute", "INTERESTS_ENV": "development"}


def free_port(first: int) -> int:
    for port in range(first, first + 200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit(f"no free port from {first}")


def wait_for(urls: list[str], process: subprocess.Popen[Any], log: Path, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    waiting = list(urls)
    while waiting:
        if process.poll() is not None:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise SystemExit(f"the servers stopped (exit status {process.returncode}); log: {log}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{waiting[0]} did not answer within {seconds:.0f}s; log: {log}")
        try:
            with urllib.request.urlopen(waiting[0] + "/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    waiting.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(1)


def stop(process: subprocess.Popen[Any], how: int = signal.SIGINT) -> None:
    """Stop a server group as Ctrl-C would (run-national then stops PostgreSQL and Redis too)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, how)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def flask(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("a") as out:
        subprocess.run(
            [str(BIN / "flask"), "--app", "interests", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=out,
            stderr=out,
        )


@contextlib.contextmanager
def national(work: Path, args: argparse.Namespace) -> Iterator[tuple[list[str], str]]:
    """scripts/run-national with its data in `work`: two servers, the worker, PostgreSQL, Redis."""
    port = free_port(5100)
    while free_port(port + 1) != port + 1:
        port = free_port(port + 2)
    log = work / "national.log"
    env = {
        **os.environ,
        **BENCH_SETTINGS,
        "BIN": str(BIN),
        "NATIONAL_DIR": str(work / "national"),
        "PORT": str(port),
        "PORT2": str(port + 1),
        "WEB_CONCURRENCY": str(args.web_workers),
        "DEMO_SEED_ARGS": f"--professionals {args.professionals}",
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "SEARCH_INDEX_DIR", "TASK_QUEUE_FILE", "BASE_URL"):
        env.pop(name, None)
    hosts = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    print(f"Starting scripts/run-national ({args.professionals:,} professionals; log {log})", flush=True)
    log.write_text("")
    process = start(["bash", str(ROOT / "scripts" / "run-national")], env, log)
    try:
        wait_for(hosts, process, log)
        database_url = dict(
            line.split("=", 1) for line in (work / "national" / "env").read_text().splitlines() if "=" in line
        )["DATABASE_URL"]
        yield hosts, database_url
    finally:
        stop(process)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A server process in a session of its own (so it can be stopped with its children), its
    output appended to `log`."""
    with log.open("a") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


@contextlib.contextmanager
def sqlite(work: Path, args: argparse.Namespace) -> Iterator[tuple[list[str], str]]:
    """One gunicorn server on an SQLite file in `work`, with no Redis and no worker."""
    port = free_port(5100)
    log = work / "sqlite.log"
    database_url = f"sqlite:///{work / 'bench.sqlite3'}"
    env = {
        **os.environ,
        **BENCH_SETTINGS,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(work / "search-index"),
        "TASK_QUEUE_FILE": str(work / "tasks.sqlite3"),
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "BASE_URL"):
        env.pop(name, None)
    print(
        f"Starting one gunicorn server on SQLite ({args.professionals:,} professionals; log {log})",
        flush=True,
    )
    flask(env, "db", "upgrade", log=log)
    flask(env, "demo", "seed", "--professionals", str(args.professionals), log=log)
    flask(env, "search", "reindex", log=log)
    gunicorn = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.web_workers)]
    process = start([*gunicorn, "--control-socket", str(work / "gunicorn.ctl"), "wsgi:app"], env, log)
    hosts = [f"http://127.0.0.1:{port}"]
    try:
        wait_for(hosts, process, log)
        yield hosts, database_url
    finally:
        stop(process, signal.SIGTERM)


def share(users: int, kind: str) -> int:
    """How many of `users` locust makes of a kind (at most: rounding), plus a spare."""
    return math.ceil(users * WEIGHTS[kind] / sum(WEIGHTS.values())) + 1


def prepare(database_url: str, users: int, work: Path, run: str) -> dict[str, Any]:
    """The bench's accounts (made once per database) and what the simulated patients look up."""
    from sqlalchemy import func

    from interests import clock, create_app
    from interests.extensions import db
    from interests.models import Engagement, InterestVersion, Professional, Provider
    from interests.services import accounts, register
    from interests.unit_of_work import transaction

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_INDEX_DIR": str(work / "setup-search-index"),
            "SECRET_KEY": "load-bench-setup-key-long-enough-for-anything",
        }
    )
    with app.app_context():
        today = clock.today()
        session = db.session
        with_account = session.scalars(
            text("SELECT professional_id FROM account WHERE professional_id IS NOT NULL")
        )
        taken = set(with_account)
        confirmed = (
            session.query(Engagement.professional_id)
            .filter(
                Engagement.confirmed_at.is_not(None),
                Engagement.start_date <= today,
                (Engagement.end_date.is_(None)) | (Engagement.end_date >= today),
            )
            .distinct()
            .order_by(Engagement.professional_id)
        )
        candidates = [pid for (pid,) in confirmed if pid not in taken]
        need = share(users, "professional")
        professionals: list[dict[str, str]] = []
        sizes = (
            session.query(Engagement.provider_id, func.count().label("staff"))
            .group_by(Engagement.provider_id)
            .order_by(func.count().desc(), Engagement.provider_id)
            .all()
        )
        admins: list[dict[str, str]] = []
        with transaction():
            for number in range(need):
                email = f"load-pro-{number}@example.org"
                if accounts.find_by_email(email) is None:
                    professional_id = candidates.pop(0)
                    accounts.create_account(
                        email=email,
                        password=PASSWORD,
                        role="professional",
                        professional=session.get(Professional, professional_id),
                    )
                professionals.append({"email": email})
            for number in range(min(share(users, "admin"), len(sizes))):
                email = f"load-admin-{number}@example.org"
                account = accounts.find_by_email(email)
                if account is None:
                    provider = session.get(Provider, sizes[number][0])
                    account = accounts.create_account(
                        email=email,
                        password=PASSWORD,
                        role="provider_admin",
                        providers=[provider],
                        full_name=f"Load Bench Admin {number}",
                    )
                admins.append({"email": email, "slug": account.providers[0].slug})
        slugs = [slug for (slug,) in session.query(Provider.slug).order_by(Provider.id)]
        # Professionals with a public page (someone with only a withheld or old entry has none).
        published = []
        for (pid,) in session.execute(text("SELECT DISTINCT professional_id FROM declaration ORDER BY 1")):
            if register.professional_record(pid, today) is not None:
                published.append(pid)
            if len(published) == 200:
                break
        family_names = [n for (n,) in session.query(Professional.family_name).distinct().limit(40)]
        companies = [
            c
            for (c,) in session.query(InterestVersion.other_party)
            .filter(~InterestVersion.other_party.like("Loadbench %"))
            .distinct()
            .limit(40)
        ]
        count = session.scalar(text("SELECT count(*) FROM account")) or 0
        session.remove()
        db.engine.dispose()
    print(
        f"Accounts: {len(professionals)} professionals and {len(admins)} provider admins "
        f"for the bench ({count} in all)"
    )
    return {
        "run": run,
        "password": PASSWORD,
        "professionals": professionals,
        "admins": admins,
        "slugs": slugs,
        "professional_ids": published,
        "family_names": family_names,
        "queries": family_names + companies,
    }


def run_locust(
    hosts: list[str], data: dict[str, Any], args: argparse.Namespace, work: Path, label: str
) -> dict[str, Any]:
    data_file = work / f"{label}-data.json"
    data_file.write_text(json.dumps(data))
    results = work / f"{label}-results.json"
    log = work / f"{label}-locust.log"
    env = {
        **os.environ,
        "LOAD_BENCH_DATA": str(data_file),
        "LOAD_BENCH_HOSTS": ",".join(hosts),
        "LOAD_BENCH_RESULTS": str(results),
    }
    spawn_rate = args.spawn_rate or max(1.0, args.users / 10)
    print(
        f"Locust: {args.users} users ({spawn_rate:g} started a second), {args.seconds} s, "
        f"against {', '.join(hosts)}",
        flush=True,
    )
    load_before = os.getloadavg()[0]
    with log.open("w") as out:
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "load_users.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(spawn_rate),
                "--run-time",
                f"{args.seconds}s",
                # Users stopping at the end finish the journey in hand (its answer is counted).
                "--stop-timeout",
                "30",
                "--only-summary",
                "--host",
                hosts[0],
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    print(
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end "
        f"({load_before:.1f} before): other work on the machine slows every page",
        flush=True,
    )
    if not results.exists():
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise SystemExit(f"locust wrote no results (see {log})")
    return dict(json.loads(results.read_text()))


def report(results: dict[str, Any]) -> None:
    print(f"\n{'page':<48} {'requests':>8} {'failed':>7} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}")
    for row in [*results["pages"], results["total"]]:
        print(
            f"{row['name']:<48} {row['requests']:>8,} {row['failures']:>7,} "
            f"{row['p50']:>7.0f} {row['p95']:>7.0f} {row['rps']:>6.1f}"
        )


def check(database_url: str, accepted: dict[str, Any], run: str) -> bool:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = {
            party
            for (party,) in conn.execute(
                text("SELECT other_party FROM interest_version WHERE other_party LIKE :run"),
                {"run": f"Loadbench {run} %"},
            )
        }
        keys = [d["key"] for d in accepted["declarations"]]
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            params = {f"k{i}": key for i, key in enumerate(chunk)}
            placeholders = ", ".join(f":k{i}" for i in range(len(chunk)))
            query = text(
                f"SELECT submission_key, count(*) FROM declaration WHERE submission_key IN ({placeholders}) "
                "GROUP BY submission_key"
            )
            found.update(dict(conn.execute(query, params).all()))
    engine.dispose()
    missing_interests = [p for p in accepted["interests"] if p not in stored]
    missing_declarations = [d for d in accepted["declarations"] if found.get(d["key"], 0) < d["providers"]]
    expected_rows = sum(d["providers"] for d in accepted["declarations"])
    print(
        f"\nIn the database: {len(accepted['interests']) - len(missing_interests):,} of "
        f"{len(accepted['interests']):,} interests added (and {len(stored - set(accepted['interests'])):,} "
        "more, whose answer the bench did not wait for); "
        f"{len(accepted['declarations']) - len(missing_declarations):,} of {len(accepted['declarations']):,} "
        f"declarations sent ({sum(found.values()):,} of {expected_rows:,} provider copies)"
    )
    for party in missing_interests[:10]:
        print(f"  MISSING interest {party!r}")
    for declaration in missing_declarations[:10]:
        print(f"  MISSING declaration {declaration['key']} ({declaration['providers']} providers)")
    if accepted["errors"]:
        print("Failed requests:")
        for row in sorted(accepted["errors"], key=lambda e: -e["occurrences"]):
            print(f"  {row['occurrences']:>5} x {row['name']}: {row['error']}")
    else:
        print("no failed request")
    return not missing_interests and not missing_declarations


def warm_up(hosts: list[str], data: dict[str, Any], workers: int) -> None:
    """A few requests to each public page of each server, unmeasured: a gunicorn worker's first
    requests take seconds (imports, templates), which a short run would otherwise count."""
    paths = [
        "/",
        "/sign-in",
        "/search?q=" + urllib.parse.quote(data["queries"][0]),
        f"/providers/{data['slugs'][0]}",
        f"/professionals/{data['professional_ids'][0]}",
    ]
    for host in hosts:
        for _ in range(workers * 3):
            for path in paths:
                with contextlib.suppress(OSError), urllib.request.urlopen(host + path, timeout=60):  # noqa: S310
                    pass


def bench(label: str, hosts: list[str], database_url: str, args: argparse.Namespace, work: Path) -> bool:
    run = secrets.token_hex(4)
    data = prepare(database_url, args.users, work, run)
    warm_up(hosts, data, args.web_workers)
    results = run_locust(hosts, data, args, work, label)
    report(results)
    return check(database_url, results, run)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, help="users started a second (default users/10)")
    parser.add_argument("--target", choices=("national", "sqlite", "both"), default="both")
    parser.add_argument("--professionals", type=int, default=1000, help="size of the demo register seeded")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--host", help="running servers to use instead (comma-separated base URLs)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="their database")
    parser.add_argument("--keep", type=Path, help="keep the servers' data and the logs in this directory")
    args = parser.parse_args()
    ok = True
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            work_root = args.keep.resolve()
        else:
            work_root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="interests-load-")))
        # The postgres user must reach its cluster inside (scripts/services.sh).
        work_root.chmod(0o711)
        if args.host:
            if not args.database_url:
                parser.error("--host needs --database-url (or DATABASE_URL), to add accounts and check")
            hosts = [h.strip().rstrip("/") for h in args.host.split(",") if h.strip()]
            ok = bench("host", hosts, args.database_url, args, work_root)
        else:
            targets = ("national", "sqlite") if args.target == "both" else (args.target,)
            for target in targets:
                print(f"\n=== {target} ===", flush=True)
                work = work_root / target
                work.mkdir(exist_ok=True)
                work.chmod(0o711)
                servers = national if target == "national" else sqlite
                with servers(work, args) as (hosts, database_url):
                    ok = bench(target, hosts, database_url, args, work) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
