"""Search speed and recall over a realistic register.

    python bench/search.py --professionals 20000 [--queries 600] [--reuse-index]
        [--database-url postgresql://user:password@host/db]

Seeds (or reuses) a deterministic demo dataset in bench/.data/ (gitignored), builds the search
index from it (with --database-url: copies the dataset into that PostgreSQL database, whose public
schema is dropped first, and searches with the PostgreSQL engine), then sends a fixed mix of
queries through the Flask test client (GET /search, the page a patient uses) and prints: index
build time and size, p50/p95 latency per kind of query and overall, and recall@10 for misspelt
and variant names (a hit: the intended professional, or a namesake with exactly the same name, is
in the first 10 results). Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nicknames import NickNamer  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from interests import create_app  # noqa: E402
from interests.demo.vocabulary import FAMILY_NAMES  # noqa: E402
from interests.extensions import db  # noqa: E402
from interests.models import Provider  # noqa: E402
from interests.search import names  # noqa: E402
from interests.services import (
    register,  # noqa: E402
    search_index,  # noqa: E402
)

NICKNAMES = NickNamer()
DATA = Path(__file__).resolve().parent / ".data"
AS_OF = date(2026, 11, 1)  # the demo data's "today": fixed, so every run seeds the same data
SEED = 1


def dataset(professionals: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"demo-{professionals}.sqlite3"
    if path.exists():
        return path
    from interests.demo import seed

    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{partial}",
            "SEARCH_INDEX_DIR": str(DATA / "unused"),
            "SECRET_KEY": "b" * 40,
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        seed(
            providers=max(30, professionals // 65),
            professionals=professionals,
            seed=SEED,
            password="bench-password-2026",
            today=AS_OF,
            progress=True,
        )
        print(f"seeded {professionals:,} professionals in {time.perf_counter() - started:.0f}s")
        db.session.remove()
        db.engine.dispose()
    partial.rename(path)
    return path


def typo(word: str, rng: random.Random) -> str:
    """One typing mistake: a letter dropped, doubled, changed, or two letters swapped."""
    i = rng.randrange(1, len(word))  # not the first letter: people rarely get that wrong
    kind = rng.choice(["drop", "double", "change", "swap"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "change":
        return word[:i] + rng.choice("aeioulnrst".replace(word[i].lower(), "")) + word[i + 1 :]
    if i == len(word) - 1:
        i -= 1
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


# The "variant" queries' own table of other ways to write a name: the hand-written groups the engine
# used until November 2026, frozen here so the queries stay the same whatever tables the engine
# uses (the engine now takes nicknames from the `nicknames` dataset, which the "nickname" queries
# measure).
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("william", "bill", "billy", "will", "willie", "willy", "liam", "wills"),
    (
        "elizabeth",
        "elisabeth",
        "liz",
        "lizzie",
        "lizzy",
        "beth",
        "betty",
        "bess",
        "eliza",
        "libby",
        "lisa",
        "elspeth",
    ),
    ("robert", "rob", "robbie", "bob", "bobby", "bert"),
    ("richard", "rich", "richie", "rick", "ricky", "dick"),
    ("margaret", "maggie", "meg", "peggy", "marge", "margo", "margot", "greta", "mags"),
    (
        "katherine",
        "catherine",
        "kathryn",
        "katharine",
        "kathrine",
        "cathryn",
        "kate",
        "katie",
        "katy",
        "kath",
        "cath",
        "cathy",
        "kathy",
        "kitty",
        "kat",
    ),
    ("james", "jim", "jimmy", "jamie", "jimmie"),
    ("john", "jon", "johnny", "jack", "johnnie"),
    ("ian", "iain", "ean"),
    ("sean", "shaun", "shawn", "shane"),
    ("jonathan", "jon", "jonny", "johnathan", "jonathon"),
    ("michael", "mike", "mick", "mickey", "micky", "mikey", "michal"),
    ("christopher", "chris", "kit", "topher", "kris"),
    ("christine", "christina", "kristina", "kirsty", "kirstie", "chris", "tina", "kristine"),
    ("anthony", "antony", "tony", "anton"),
    ("edward", "ed", "eddie", "eddy", "ted", "teddy", "ned"),
    ("thomas", "tom", "tommy", "thom", "tomas", "tomasz"),
    ("alexander", "alex", "alec", "sandy", "alistair", "alasdair", "alastair", "sasha"),
    ("alexandra", "alex", "alexa", "sandra", "sasha", "lexie"),
    ("andrew", "andy", "drew", "andreas", "andrei"),
    ("daniel", "dan", "danny", "dani"),
    ("david", "dave", "davy", "davie", "dafydd", "dai"),
    ("stephen", "steven", "steve", "stevie", "stefan"),
    ("matthew", "matt", "matty", "mathew"),
    ("nicholas", "nick", "nicky", "nico", "nicolas"),
    ("nicola", "nikki", "nicky", "nicole"),
    ("patrick", "pat", "paddy", "padraig"),
    ("patricia", "pat", "trish", "tricia", "patsy"),
    ("peter", "pete", "piotr", "pedro"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammy"),
    ("joseph", "joe", "joey", "josef"),
    ("yusuf", "yousuf", "youssef", "yousef"),
    ("benjamin", "ben", "benny", "benji"),
    ("charles", "charlie", "chas", "chuck"),
    ("charlotte", "charlie", "lottie", "lotte"),
    ("frederick", "fred", "freddie", "freddy"),
    ("henry", "harry", "hal", "hank"),
    ("gregory", "greg"),
    ("timothy", "tim", "timmy"),
    ("philip", "phillip", "phil", "pip"),
    ("jennifer", "jenny", "jen", "jenni"),
    ("susan", "sue", "susie", "suzie", "suzanne", "susanna"),
    ("deborah", "debra", "debbie", "deb"),
    ("rebecca", "becky", "becca", "bex"),
    ("victoria", "vicky", "vicki", "vikki", "tori"),
    ("alison", "allison", "ali"),
    ("ann", "anne", "anna", "annie"),
    ("hannah", "hanna"),
    ("sarah", "sara", "sally"),
    ("rachel", "rachael"),
    ("jacqueline", "jackie", "jacqui"),
    ("helen", "helena", "ellen", "nell", "nellie"),
    ("zoe", "zoey"),
    ("chloe", "khloe"),
    ("siobhan", "shevaun", "chevonne"),
    (
        "mohammed",
        "muhammad",
        "mohamed",
        "mohammad",
        "muhammed",
        "mohamad",
        "mohd",
        "mehmet",
        "mohammod",
        "muhammet",
    ),
    ("ahmed", "ahmad", "ahmet"),
    ("hussain", "hussein", "husain", "hussan"),
    ("aisha", "ayesha", "aysha", "ayse"),
    ("fatima", "fatimah", "fatma"),
    ("graham", "graeme", "grahame"),
    ("neil", "neal", "niall", "neill"),
    ("geoffrey", "jeffrey", "geoff", "jeff", "jeffery"),
    ("lewis", "louis", "luis"),
    ("carl", "karl"),
    ("claire", "clare", "clair"),
    ("louise", "louisa", "lou", "lulu"),
    ("jane", "jayne", "jayn"),
    ("catriona", "katrina", "catrina"),
    ("bjorn", "bjoern"),
    ("ciaran", "kieran", "kieron"),
    # Surnames
    ("smith", "smyth", "smythe"),
    ("davies", "davis", "davey", "davy", "davie", "daveys"),
    ("hughes", "hewes", "hughs", "hewe"),
    ("thompson", "thomson", "tomson"),
    ("stewart", "stuart", "steward"),
    ("reid", "reed", "read", "reade"),
    ("clark", "clarke", "clerk"),
    ("brown", "browne"),
    ("green", "greene"),
    ("phillips", "philips", "phillipps"),
    ("matthews", "mathews"),
    ("jeffries", "jefferies", "jeffreys", "jeffrey"),
    ("stephenson", "stevenson"),
    ("chaudhry", "chaudhary", "chaudhri", "choudhury", "chowdhury", "choudhry"),
    ("rahman", "rehman"),
    ("oneill", "oneil", "oneal", "oneale"),
    ("obrien", "obryan", "obrian"),
    ("patterson", "paterson"),
    ("lloyd", "loyd"),
    ("llewellyn", "llewelyn", "lewellyn", "llewelin"),
)


def variant(given: str, family: str, rng: random.Random) -> str | None:
    """How else a patient may write this name (equivalents table, Mc/Mac, accents, order, titles)."""
    options = []
    for group in VARIANT_GROUPS:
        folded = names.fold(given)
        if folded in group:
            others = [g for g in group if g != folded]
            if others:
                options.append(f"{rng.choice(others).title()} {family}")
        folded_family = names.fold(family).replace("'", "")
        if folded_family in group:
            others = [g for g in group if g != folded_family]
            if others:
                options.append(f"{given} {rng.choice(others).title()}")
    if names.fold(family).startswith(("mac", "mc")):
        key = names.mac_key(names.fold(family)) or ""
        options.append(f"{given} {'Mac' + key[2:] if family.lower().startswith('mc') else 'Mc' + key[2:]}")
    if names.fold(given + family) != (given + family).lower():
        options.append(names.fold(f"{given} {family}"))
    if "'" in family:
        options.append(f"{given} {family.replace(chr(39), '')}")
    if "-" in family:
        options.append(f"{given} {family.replace('-', ' ')}")
    options.append(f"{family} {given}")
    options.append(f"Dr {given} {family}")
    return rng.choice(options) if options else None


def build_queries(count: int, rng: random.Random) -> list[tuple[str, str, int | None, str]]:
    """(kind, query, expected professional id, expected name) - a fixed mix, from the register."""
    top = register.max_professional_id()
    docs: list = []
    while len(docs) < count:
        sample = sorted(rng.sample(range(1, top + 1), min(top, 400)))
        docs.extend(register.search_documents(sample, date.today()).values())
    providers = list(db.session.scalars(select(Provider.name).order_by(func.random()).limit(60)))
    return queries_from(docs, providers, count, rng)


def queries_from(
    docs: list, providers: list[str], count: int, rng: random.Random
) -> list[tuple[str, str, int | None, str]]:
    rng.shuffle(docs)
    companies = [c for d in docs for c in d.companies]
    plan = {
        "exact": 0.22,
        "surname": 0.10,
        "misspelt": 0.22,
        "variant": 0.20,
        "registration": 0.10,
        "company": 0.08,
        "provider": 0.08,
        # Last, so the kinds above draw the same people as before it was added.
        "nickname": 0.10,
    }
    queries: list[tuple[str, str, int | None, str]] = []
    it = iter(docs)
    for kind, share in plan.items():
        for _ in range(max(1, round(count * share))):
            d = next(it)
            if kind == "nickname":
                # A patient's "Bob Smith" for Robert Smith: nicknames from the independent dataset
                # (the `nicknames` package) of a given name it lists.
                while not NICKNAMES.nicknames_of(names.fold(d.given_name)):
                    d = next(it)
                nickname = rng.choice(sorted(NICKNAMES.nicknames_of(names.fold(d.given_name))))
                full = f"{d.given_name} {d.family_name}"
                queries.append((kind, f"{nickname.title()} {d.family_name}", d.professional_id, full))
                continue
            full = f"{d.given_name} {d.family_name}"
            if kind == "exact":
                queries.append((kind, full, d.professional_id, full))
            elif kind == "surname":
                queries.append((kind, d.family_name, None, ""))
            elif kind == "misspelt":
                longest = max((d.given_name, d.family_name), key=len)
                wrong = typo(longest, rng) if len(longest) >= 4 else longest
                queries.append((kind, full.replace(longest, wrong, 1), d.professional_id, full))
            elif kind == "variant":
                v = variant(d.given_name, d.family_name, rng)
                queries.append((kind, v or full, d.professional_id, full))
            elif kind == "registration":
                number = d.registration_number
                queries.append(
                    (kind, rng.choice([number, f"{d.regulator} {number}"]), d.professional_id, full)
                )
            elif kind == "company":
                queries.append((kind, rng.choice(companies) if companies else full, None, ""))
            else:
                queries.append((kind, rng.choice(providers), None, ""))
    return queries


def copy_into_postgres(sqlite_path: Path, url: str) -> None:
    """Copy the SQLite dataset, table by table, into an emptied PostgreSQL database (COPY)."""
    from psycopg.types.json import Jsonb
    from sqlalchemy import JSON, create_engine, inspect, text

    from interests.config import _normalise_database_url

    url = _normalise_database_url(url)
    target = create_engine(url)
    with target.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.metadata.create_all(target)
    source = create_engine(f"sqlite:///{sqlite_path}")
    started = time.perf_counter()
    rows = 0
    with source.connect() as read, target.begin() as write:
        raw = write.connection.driver_connection
        in_source = set(inspect(source).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name not in in_source:  # a dataset seeded before the migration that made it
                print(f"  {table.name}: not in the dataset")
                continue
            # A dataset seeded before a migration lacks its new columns: they take their defaults.
            present = {c["name"] for c in inspect(source).get_columns(table.name)}
            kept = [c for c in table.columns if c.name in present]
            columns = [c.name for c in kept]
            json_at = [i for i, c in enumerate(kept) if isinstance(c.type, JSON)]
            with raw.cursor().copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in read.execute(select(*kept)).yield_per(5000):
                    values = list(row)
                    for i in json_at:
                        values[i] = None if values[i] is None else Jsonb(values[i])
                    copy.write_row(values)
                    rows += 1
            key = [c for c in table.primary_key.columns if c.autoincrement is True or c.name == "id"]
            if len(key) == 1 and str(key[0].type) == "INTEGER":
                write.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                        f"COALESCE((SELECT max({key[0].name}) FROM {table.name}), 0) + 1, false)"
                    )
                )
        if "latest_declaration" not in in_source:  # kept from the declarations: made from them
            from interests.models.declarations import rebuild_latest

            rebuild_latest(write)
        write.execute(text("ANALYZE"))
    print(f"copied into PostgreSQL: {rows:,} rows in {time.perf_counter() - started:.1f}s")


PLACES = ("Medical Centre", "Surgery", "Dental Practice", "Pharmacy", "Hospital", "Health Centre", "Clinic")


def synthetic_index(
    url: str, professionals: int, providers: int, write: bool = True
) -> tuple[list, list[str]]:
    """Fill the PostgreSQL engine's tables with generated professionals (the demo seed's names,
    regulators and companies) without the register's own rows, as fast as COPY allows: for sizes
    the demo seed would take hours to make. Returns a sample of the documents and provider names.
    write=False: only generate the same documents (the index is already there)."""
    import psycopg

    from interests.demo.providers import _person
    from interests.demo.vocabulary import COMPANY_FIELDS, COMPANY_STEMS, COMPANY_SUFFIXES, REGULATOR_SHARE
    from interests.search import PersonDocument, ProviderDocument
    from interests.search.postgres import PostgresBackend

    rng = random.Random(SEED)
    regulators = list(REGULATOR_SHARE)
    weights = list(REGULATOR_SHARE.values())
    provider_names = [f"{rng.choice(FAMILY_NAMES)} {rng.choice(PLACES)}" for _ in range(providers)]
    companies = [f"{s} {f} {x}" for s in COMPANY_STEMS for f in COMPANY_FIELDS for x in COMPANY_SUFFIXES]
    sample: list = []
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        backend = PostgresBackend(lambda: conn)
        with backend.writing(rebuild=True) if write else nullcontext() as index:
            chunk: dict[int, PersonDocument | None] = {}
            for pid in range(1, professionals + 1):
                given, family, _ = _person(rng)
                regulator = rng.choices(regulators, weights)[0]
                at = sorted({rng.randrange(1, providers + 1) for _ in range(rng.choice((1, 1, 1, 2, 3)))})
                doc = PersonDocument(
                    professional_id=pid,
                    given_name=given,
                    family_name=family,
                    other_names=(),
                    regulator=regulator,
                    registration_number=str(7_000_000 + pid),
                    provider_ids=tuple(at),
                    companies=tuple(rng.sample(companies, rng.choice((0, 0, 1, 1, 2, 3)))),
                    title="Dr" if regulator == "GMC" else None,
                    profession="Doctor" if regulator == "GMC" else "Professional",
                    providers=tuple((f"p{p}", provider_names[p - 1], "Consultant") for p in at),
                )
                chunk[pid] = doc
                if len(sample) < 4000 and rng.random() < 4000 / professionals:
                    sample.append(doc)
                if len(chunk) == 20_000:
                    if index is not None:
                        index.put_people(chunk)
                    chunk = {}
                    if pid % 200_000 == 0:
                        print(
                            f"  {pid:,} professionals written in {time.perf_counter() - started:.0f}s",
                            flush=True,
                        )
            if index is None:
                return sample, rng.sample(provider_names, 60)
            index.put_people(chunk)
            index.put_providers(
                ProviderDocument(p, name, f"p{p}", None) for p, name in enumerate(provider_names, start=1)
            )
        backend.note_refreshed(date.today())
        conn.commit()
    print(f"synthetic index: {professionals:,} professionals in {time.perf_counter() - started:.0f}s")
    return sample, rng.sample(provider_names, 60)


def postgres_index_bytes() -> int:
    sizes = db.session.execute(
        text(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relname LIKE 'search_index_%' AND relkind = 'r' ORDER BY 1"
        )
    ).all()
    print("  " + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sizes))
    return sum(int(size) for _, size in sizes)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--professionals", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--reuse-index", action="store_true", help="Skip the rebuild if an index exists.")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="With --database-url: write generated professionals straight into the search tables "
        "(no register rows; for 2,000,000 professionals, which the demo seed would take hours to make).",
    )
    parser.add_argument(
        "--database-url",
        help="A PostgreSQL database to copy the dataset into and search with its engine (emptied first).",
    )
    args = parser.parse_args()

    if args.synthetic:
        synthetic(args)
        return
    db_path = dataset(args.professionals)
    index_dir = DATA / f"index-{args.professionals}"
    database = f"sqlite:///{db_path}"
    if args.database_url:
        if not args.reuse_index:
            copy_into_postgres(db_path, args.database_url)
        database = args.database_url
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SEARCH_INDEX_DIR": str(index_dir),
            "SECRET_KEY": "b" * 40,
            # The recall queries go through /api/v1/search, whose per-address limit would refuse them.
            "RATELIMIT_ENABLED": False,
        }
    )
    print(f"search engine: {app.config['SEARCH_BACKEND']}")
    with app.app_context():
        if not (args.reuse_index and search_index.index_exists()):
            shutil.rmtree(index_dir, ignore_errors=True)
            started = time.perf_counter()
            indexed = search_index.rebuild()
            print(
                f"index build: {time.perf_counter() - started:.1f}s for {indexed:,} published professionals"
            )
        if app.config["SEARCH_BACKEND"] == "postgres":
            size = postgres_index_bytes()
        else:
            size = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
        print(f"index size: {size / 1e6:.1f} MB")
        queries = build_queries(args.queries, random.Random(2026))

    measure(app, queries)


def measure(app: Any, queries: list[tuple[str, str, int | None, str]]) -> None:
    client = app.test_client()
    for _, q, _, _ in queries[:30]:  # warm up: open searchers, compile templates
        client.get("/search", query_string={"q": q})
    timings: dict[str, list[float]] = {}
    for kind, q, _, _ in queries:
        started = time.perf_counter()
        response = client.get("/search", query_string={"q": q})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (q, response.status_code)
        timings.setdefault(kind, []).append(elapsed)
    # The same queries through the search seam alone (index + stored results, no page render).
    engine: list[float] = []
    with app.app_context():
        for _, q, _, _ in queries:
            started = time.perf_counter()
            search_index.search(q, page=1, per_page=app.config["PAGE_SIZE"])
            engine.append((time.perf_counter() - started) * 1000)
    every = [t for ts in timings.values() for t in ts]
    print(f"{len(every)} queries through GET /search (Flask test client, whole request)")
    print(f"{'kind':<14}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}")
    for kind, ts in timings.items():
        print(f"{kind:<14}{len(ts):>5}{percentile(ts, 50):>9.1f}{percentile(ts, 95):>9.1f}")
    print(f"{'all':<14}{len(every):>5}{percentile(every, 50):>9.1f}{percentile(every, 95):>9.1f}")
    print(f"{'engine only':<14}{len(engine):>5}{percentile(engine, 50):>9.1f}{percentile(engine, 95):>9.1f}")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    recall: dict[str, list[bool]] = {}
    misses: list[str] = []
    for kind, q, expected, expected_name in queries:
        if kind not in ("misspelt", "variant", "exact", "registration", "nickname"):
            continue
        body = client.get("/api/v1/search", query_string={"q": q, "per_page": 10}).get_json()
        ids = [item["professional_id"] for item in body["items"]]
        same_name = [names.fold(item["name"]).endswith(names.fold(expected_name)) for item in body["items"]]
        # A query that is itself the exact name of 10 or more people cannot single out the one
        # meant: those namesakes (or equivalents, e.g. Graeme Mcdonald) filling the page count.
        typed = set(names.name_words(q))
        exact_namesakes = sum(set(names.name_words(item["name"])) == typed for item in body["items"])
        hit = expected in ids or any(same_name) or exact_namesakes >= 10
        recall.setdefault(kind, []).append(hit)
        if not hit and len(misses) < 12:
            misses.append(f"  {kind}: {q!r} (wanted {expected_name})")
    for kind, hits in recall.items():
        print(f"recall@10 {kind:<13}{sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)})")
    both = recall.get("misspelt", []) + recall.get("variant", [])
    print(f"recall@10 misspelt+variant {sum(both) / len(both):.3f}")
    if misses:
        print("some misses:")
        print("\n".join(misses))


def synthetic(args: argparse.Namespace) -> None:
    from interests.config import _normalise_database_url

    if not args.database_url:
        raise SystemExit("--synthetic needs --database-url")
    url = _normalise_database_url(args.database_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": str(DATA / "unused"),
            "SECRET_KEY": "b" * 40,
            # The recall queries go through /api/v1/search, whose per-address limit would refuse them.
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        reuse = args.reuse_index and search_index.index_exists()
        if not reuse:
            db.session.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
            db.create_all()
    sample, providers = synthetic_index(
        url, args.professionals, max(30, args.professionals // 65), write=not reuse
    )
    with app.app_context():
        print(f"index size: {postgres_index_bytes() / 1e6:.1f} MB")
    measure(app, queries_from(sample, providers, args.queries, random.Random(2026)))


if __name__ == "__main__":
    main()
