"""How fast a Disclosure UK year imports, and how much memory it takes.

    python bench/disclosure_import.py [--rows 150000] [--professionals 60000] [--format xlsx|csv]
                                      [--names demo|few] [--database-url URL] [--keep DIR]

Builds a register of --professionals people at 300 providers in 40 towns (fresh SQLite unless
--database-url, which must be an empty database), then a Disclosure UK file of --rows payments
(the size of a real year) from 60 companies: a third with a GMC/NMC number of someone on the
register, a third with a registered person's name and town (some with a nickname), the rest
namesakes and people on no register. Then:

1. imports it (read row by row, matched in batches, saved): rows per second;
2. imports it again for the same year (replacing it), under tracemalloc: the Python heap's peak.

Prints the process's peak memory (max RSS) too, and the matcher's counts. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from interests import create_app  # noqa: E402
from interests.extensions import db  # noqa: E402
from interests.models import Engagement, Professional, Provider  # noqa: E402
from interests.services.disclosure import importing  # noqa: E402
from interests.unit_of_work import transaction  # noqa: E402
from tests.disclosure_files import csv_text, xlsx_bytes  # noqa: E402

TOWNS = [
    "Leeds", "York", "Bristol", "Bath", "Exeter", "Plymouth", "Truro", "Norwich", "Ipswich", "Cambridge",
    "Oxford", "Reading", "Brighton", "Hastings", "Canterbury", "Dover", "London", "Croydon", "Luton",
    "Watford", "Derby", "Leicester", "Nottingham", "Lincoln", "Hull", "Sheffield", "Bradford", "Wakefield",
    "Durham", "Sunderland", "Newcastle upon Tyne", "Carlisle", "Preston", "Blackpool", "Liverpool",
    "Manchester", "Stockport", "Chester", "Stoke-on-Trent", "Birmingham",
]  # fmt: skip
GIVEN = [
    "Amira", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack", "Kofi", "Lena",
    "William", "Elizabeth", "Robert", "Margaret", "Siobhan", "Mohammed", "Catherine", "Thomas",
]  # fmt: skip
NICKNAMES = {"William": "Bill", "Elizabeth": "Liz", "Robert": "Bob", "Margaret": "Peggy", "Thomas": "Tom"}
FAMILY = [
    "Okafor", "Carter", "Dunn", "Patel", "Nowak", "Smith", "Jones", "Khan", "Murphy", "Chen", "Evans",
    "O'Neill", "Hughes", "Davies", "Reid", "MacDonald", "Adeyemi", "Kowalski", "Begum", "Wright",
    "Thompson", "Ali", "Singh", "Brown", "Taylor", "Wilson", "Roberts", "Walker", "Hall", "Green",
]  # fmt: skip
COMPANIES = [f"{name} {form}" for name in (
    "Pfizer", "Novartis", "Roche Products", "AstraZeneca", "GlaxoSmithKline", "Sanofi", "Bayer", "AbbVie",
    "Eli Lilly and Company", "Novo Nordisk", "Merck Sharp & Dohme", "Bristol-Myers Squibb",
    "Boehringer Ingelheim", "Takeda", "Janssen-Cilag", "Amgen", "Gilead Sciences", "Astellas Pharma",
    "Daiichi Sankyo", "Ipsen", "UCB Pharma", "Lundbeck", "Otsuka", "Grünenthal", "Teva",
) for form in ("Ltd", "UK Limited", "plc")][:60]  # fmt: skip


def use_demo_names() -> None:
    """The demo's vocabulary (123 family names, 118 given names, 95 towns): namesakes about as
    common as in a trust's staff list. Without it (--names few) 30 family names and 20 given names
    make about 100 people of each name: the matcher's worst case."""
    from interests.demo.vocabulary import FAMILY_NAMES, GIVEN_NAMES_F, GIVEN_NAMES_M, PLACES

    GIVEN[:] = sorted({*GIVEN, *GIVEN_NAMES_F, *GIVEN_NAMES_M})
    FAMILY[:] = sorted({*FAMILY, *FAMILY_NAMES})
    TOWNS[:] = sorted({town for towns in PLACES.values() for town in towns})


def build_register(professionals: int, seed: int) -> list[tuple[str, str, str, str, str]]:
    """The register; returns each person's (given, family, regulator, number, town)."""
    rng = random.Random(seed)
    providers = []
    for n in range(300):
        town = TOWNS[n % len(TOWNS)]
        providers.append(
            {
                "id": n + 1,
                "slug": f"bench-{n}",
                "name": f"{town} Health {n}",
                "cqc_provider_id": f"1-{100000000 + n}",
                "kind": "nhs_trust",
                "region": "london",
                "has_website": True,
                "address": f"{n} High Street, {town} AB1 2CD",
            }
        )
    db.session.execute(insert(Provider), providers)
    people = []
    rows = []
    engagements = []
    for n in range(professionals):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        regulator, number = ("GMC", f"{3000000 + n}") if n % 3 else ("NMC", f"{n % 100:02d}A{n % 10000:04d}B")
        if regulator == "NMC" and any(p[3] == number for p in people[-1:]):
            regulator, number = "GMC", f"{3000000 + n}"
        provider = providers[rng.randrange(len(providers))]
        people.append((given, family, regulator, number, provider["address"].split(", ")[1][:-8]))
        rows.append(
            {
                "id": n + 1,
                "given_name": given,
                "family_name": family,
                "regulator": regulator,
                "registration_number": number,
                "profession": "Doctor" if regulator == "GMC" else "Nurse",
            }
        )
        engagements.append(
            {
                "professional_id": n + 1,
                "provider_id": provider["id"],
                "engagement_type": "employee",
                "role": "Consultant",
                "start_date": date(2015, 1, 1),
                "decision_maker": False,
            }
        )
    # NMC numbers above repeat every 10,000 people: keep the first holder of each only.
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in rows:
        key = (row["regulator"], row["registration_number"])
        if key in seen:
            row["regulator"], row["registration_number"] = "GMC", str(5_000_000 + row["id"])
        seen.add((row["regulator"], row["registration_number"]))
        kept.append(row)
    for start in range(0, len(kept), 10_000):
        db.session.execute(insert(Professional), kept[start : start + 10_000])
        db.session.execute(insert(Engagement), engagements[start : start + 10_000])
    return [
        (r["given_name"], r["family_name"], r["regulator"], r["registration_number"], people[i][4])
        for i, r in enumerate(kept)
    ]


def payment_rows(count: int, people: list[tuple[str, str, str, str, str]], seed: int) -> list[tuple]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        given, family, regulator, number, town = rng.choice(people)
        kind = rng.random()
        identifier = ""
        if kind < 0.33:
            identifier = f"{regulator} {number}" if rng.random() < 0.5 else number
        elif kind < 0.66:
            given = NICKNAMES.get(given, given) if rng.random() < 0.2 else given
        elif kind < 0.8:
            town = rng.choice(TOWNS)  # a namesake elsewhere, or the same person at a private clinic
        else:
            given, family = rng.choice(GIVEN), f"Unregistered{rng.randrange(5000)}"
        fees = rng.choice(["", "", f"{rng.randrange(100, 20000)}.00"])
        travel = rng.choice(["", f"{rng.randrange(20, 900)}.{rng.randrange(100):02d}"])
        registration = "" if fees or travel else f"{rng.randrange(50, 800)}"
        name = f"Dr {given} {family}" if rng.random() < 0.3 else f"{given} {family}"
        rows.append(
            (
                name,
                town,
                "United Kingdom",
                f"{rng.randrange(1, 200)} Some Road",
                identifier,
                rng.choice(COMPANIES),
                registration,
                travel,
                fees,
                "",
                "",
            )  # fmt: skip
        )
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--professionals", type=int, default=60_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--names", choices=["demo", "few"], default="demo")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    if args.names == "demo":
        use_demo_names()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
    directory.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    if not args.database_url:
        (directory / "bench.sqlite3").unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": str(directory / "index"),
            "SERVER_NAME": "localhost",
        }
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        with transaction():
            people = build_register(args.professionals, seed=1)
        took = time.perf_counter() - started
        print(f"register: {len(people):,} professionals in {took:.1f}s ({url.split(':')[0]})")
        rows = payment_rows(args.rows, people, seed=2)
        content = xlsx_bytes(rows) if args.format == "xlsx" else csv_text(rows).encode()
        del rows
        print(
            f"file: {args.rows:,} payments, {args.format}, {len(content) / 1e6:.1f} MB; names: {args.names}"
        )
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        with transaction():
            outcome = importing.import_year(content, year=2024, filename=f"bench.{args.format}", actor=None)
        seconds = time.perf_counter() - started
        record = outcome.disclosure_import
        print(
            f"import: {record.rows:,} rows in {seconds:.1f}s = {record.rows / seconds:,.0f} rows/s; "
            f"certain {record.certain:,}, probable {record.probable:,}, possible {record.possible:,}, "
            f"namesakes {record.ambiguous:,}, nobody {record.nobody:,}"
        )
        print(f"peak RSS: {rss_before:,.0f} MB before the import, {peak_rss_mb():,.0f} MB after")
        tracemalloc.start()
        started = time.perf_counter()
        with transaction():
            importing.import_year(content, year=2024, filename=f"bench.{args.format}", actor=None)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"re-import (replacing the year, under tracemalloc, so slower): {seconds:.1f}s; "
            f"Python heap peak {peak / 1e6:,.1f} MB (the file itself: {len(content) / 1e6:.1f} MB)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
