"""How fast a provider's staff list imports, and how quick the staff page stays afterwards.

    python bench/import_staff.py [--rows 50000] [--keep DIR]

Generates a realistic staff-list CSV of --rows lines (GMC, NMC and HCPC numbers, five engagement
types, departments, a mix of UK and ISO dates, emails for most people), then on a fresh SQLite
database (--database-url postgresql://... to use PostgreSQL instead: its public schema is wiped):

1. imports it, new to the register (invitations queued for everyone with an email);
2. imports the same file again (nothing changes);
3. imports a changed file (every 10th person has a new role);
4. times the staff page's first page, a status filter and a search (service call, 5 runs each);
5. uploads a file of --rows new people to a second provider through the web page, as a provider
   admin would (so in the background), and asks for its progress every 0.25 s as the page does:
   prints the time to the end, the progress answers' p50/p95 and the steps the page showed.

Prints rows per second for each import, the CPU seconds it took in this process and, on a local
PostgreSQL, in the database's server process for this connection (the machine may be shared: CPU
time is steadier than wall time; the load average is printed with it), and the process's peak
memory (max RSS). Not a test.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import text  # noqa: E402

from interests import create_app  # noqa: E402
from interests.extensions import db  # noqa: E402
from interests.models import Provider  # noqa: E402
from interests.services import accounts, staff  # noqa: E402
from interests.services.staff import importing as staff_import  # noqa: E402

DEPARTMENTS = [
    "Gynaecology",
    "Urology",
    "Theatres",
    "Emergency",
    "Cardiology",
    "Oncology",
    "Paediatrics",
    "Radiology",
]
GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack", "Kofi", "Lena"]
FAMILY = ["Okafor", "Carter", "Dunn", "Patel", "Nowak", "Smith", "Jones", "Khan", "Murphy", "Chen", "Evans"]
TYPES = ["employee", "bank", "locum", "practising_privileges", "contractor"]


def staff_csv(rows: int, seed: int, changed_every: int = 0, first: int = 0) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    out.write(staff_import.template_csv().splitlines()[0] + "\r\n")
    for n in range(first, first + rows):
        kind = n % 3
        if kind == 0:
            regulator, number, profession = "GMC", f"{3000000 + n:07d}", "Doctor"
        elif kind == 1:
            regulator, number, profession = (
                "NMC",
                f"{n % 100:02d}{chr(65 + n % 26)}{n // 100 % 10000:04d}{chr(65 + n // 2600 % 26)}",
                "Nurse",
            )
        else:
            regulator, number, profession = "HCPC", f"PH{100000 + n}", "Physiotherapist"
        start = date(2015, 1, 1) + timedelta(days=rng.randrange(3800))
        start_text = start.isoformat() if n % 2 else start.strftime("%d/%m/%Y")
        role = "Consultant" if kind == 0 else "Staff nurse" if kind == 1 else "Physiotherapist"
        if changed_every and n % changed_every == 0:
            role = "Clinical lead"
        email = f"person{n}@example.nhs.uk" if n % 5 else ""
        out.write(
            f"{GIVEN[n % len(GIVEN)]},{FAMILY[n * 7 % len(FAMILY)]}{n},{regulator},{number},{email},"
            f"{TYPES[n % 5]},{role},{DEPARTMENTS[n % len(DEPARTMENTS)]},{start_text},,"
            f"{'yes' if n % 9 == 0 else 'no'},"
            f"{profession}\r\n"
        )
    return out.getvalue().encode("utf-8")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def server_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL server process `pid`, if it runs on this machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in ticks


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--database-url", help="PostgreSQL to import into (its public schema is wiped)")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "bench.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    if args.database_url:
        from sqlalchemy import create_engine

        from interests.config import _normalise_database_url

        url = _normalise_database_url(args.database_url)
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": str(directory / "index"),
            "SERVER_NAME": "localhost",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    content = staff_csv(args.rows, seed=1)
    changed = staff_csv(args.rows, seed=1, changed_every=10)
    where = "PostgreSQL" if args.database_url else f"SQLite at {database}"
    print(f"{args.rows:,} rows, {len(content) / 1e6:.1f} MB CSV; {where}")
    with app.app_context():
        db.create_all()
        provider = Provider(
            slug="bench-trust",
            name="Bench Trust",
            cqc_provider_id="1-999999999",
            kind="nhs_trust",
            region="london",
        )
        db.session.add(provider)
        db.session.commit()
        for label, data in (
            ("first import", content),
            ("same file again", content),
            ("changed file", changed),
        ):
            server = db.session.scalar(text("SELECT pg_backend_pid()")) if args.database_url else None
            load = load_average()
            server_before = server_cpu_seconds(server)
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            outcome = staff_import.import_staff(provider, data, filename="staff.csv", actor=None)
            db.session.commit()
            seconds = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_before
            server_after = server_cpu_seconds(server)
            server_cpu = (
                f", PostgreSQL {server_after - server_before:.2f}s"
                if server_before is not None and server_after is not None
                else ""
            )
            print(
                f"{label:16s} {seconds:6.2f}s  {args.rows / seconds:9,.0f} rows/s  "
                f"created {outcome.engagements_created:,}, updated {outcome.engagements_updated:,}, "
                f"unchanged {outcome.unchanged:,}, invitations {outcome.invitations_sent:,}  "
                f"CPU: Python {cpu:.2f}s{server_cpu}  load {load}-{load_average()}  "
                f"peak RSS {peak_mib():,.0f} MiB"
            )
        today = date.today()
        for label, filters in (
            ("staff page 1", staff.StaffFilters()),
            ("status=missing", staff.StaffFilters(status="missing")),
            ("search 'okafor1'", staff.StaffFilters(q="okafor1")),
            ("type+department", staff.StaffFilters(engagement_type="bank", department="Urology")),
        ):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                page = staff.staff_page(provider, filters, today, 1, 25)
                times.append(time.perf_counter() - started)
            print(f"{label:18s} p50 {statistics.median(times) * 1000:7.1f} ms  ({page.total:,} matching)")
        web_import(app, staff_csv(args.rows, seed=2, first=args.rows))
    print(f"peak RSS {peak_mib():,.0f} MiB")


def web_import(app: Flask, content: bytes) -> None:
    """Upload through /manage as a provider admin, and poll the progress as the job's page does,
    while a real task consumer (a worker thread, as `flask --app interests worker` runs) does the
    import: a big file is a queued job since imports left the web process."""
    from huey.consumer import Consumer

    from interests import tasks

    consumer = Consumer(
        tasks.queue_for(app).huey, workers=1, worker_type="thread", periodic=False, max_delay=0.25
    )
    consumer.start()
    try:
        _upload_and_follow(app, content)
    finally:
        consumer.stop(graceful=True)


def _upload_and_follow(app: Flask, content: bytes) -> None:
    provider = Provider(
        slug="bench-web",
        name="Bench Web Trust",
        cqc_provider_id="1-999999998",
        kind="nhs_trust",
        region="london",
    )
    db.session.add(provider)
    db.session.flush()
    accounts.create_account(
        email="lead@bench.example",
        password="bench-password-2026",
        role="provider_admin",
        providers=[provider],
    )
    db.session.commit()
    client = app.test_client()
    client.post("/sign-in", data={"email": "lead@bench.example", "password": "bench-password-2026"})
    started = time.perf_counter()
    response = client.post(
        "/manage/bench-web/import",
        data={"file": (io.BytesIO(content), "everyone.csv")},
        content_type="multipart/form-data",
    )
    uploaded = time.perf_counter() - started
    rows = content.count(b"\n") - 1
    if "/import/jobs/" not in response.headers.get("Location", ""):
        # A file under IMPORT_IN_BACKGROUND_FROM_BYTES is imported in the request itself: no job to
        # follow (asking for a job's progress here crashed the bench at --rows 2000).
        print(
            f"web import (in the request) {uploaded:6.2f}s  {rows / uploaded:9,.0f} rows/s  "
            f"answered {response.status_code} -> {response.headers.get('Location')}"
        )
        return
    progress_url = response.headers["Location"] + "/progress"
    polls: list[float] = []
    steps: list[str] = []
    while True:
        asked = time.perf_counter()
        progress = client.get(progress_url).get_json()
        polls.append(time.perf_counter() - asked)
        # No step yet while the job waits for a worker (or once a small file has finished).
        step = (progress["step"] or progress["state"]).split(":")[0]
        if not steps or steps[-1] != step:
            steps.append(step)
        if progress["finished"]:
            break
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    polls_ms = sorted(p * 1000 for p in polls)
    p95 = polls_ms[min(len(polls_ms) - 1, int(len(polls_ms) * 0.95))]
    print(
        f"web import (background) {seconds:6.2f}s  {rows / seconds:9,.0f} rows/s  upload answered in "
        f"{uploaded * 1000:.0f} ms; {len(polls)} progress answers p50 {statistics.median(polls_ms):.1f} ms, "
        f"p95 {p95:.1f} ms; ended {progress['state']}"
    )
    print("steps shown: " + " -> ".join(steps))


if __name__ == "__main__":
    main()
