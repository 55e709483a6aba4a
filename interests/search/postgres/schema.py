"""The search tables in PostgreSQL, and how a document's terms are written in them.

- ``search_index_person``: one row per professional with something published: every term of the
  shared fields (fields.py) in one ``text[]`` under a GIN index, each prefixed with its field
  (``n:`` name, ``d:`` sound-alike code, ``e:`` equivalence key, ``r:`` registration number,
  ``p:`` provider id, ``c:`` company key), and what a result shows (``display``).
  A query word's ways become array overlaps (``terms && ARRAY[...]``): PostgreSQL intersects the
  words' posting lists in the GIN index, and only the people matching every word are read.
- ``search_index_posting``: the same terms one row each, ``(term, professional_id)`` under a B-tree
  (registration numbers left out: they are looked up in the GIN index, one person each). Counting
  the holders of a common word, and reading the first of them in professional order, are then
  index-only scans that never touch the wide rows (searching.py, ``_one_word``). Written with
  ``search_index_person``, in the same statements' transaction: it always holds exactly the
  unnested terms of every row there (``posted_terms``).
- ``search_index_count``: how many people hold each term of the posting table, as rows of
  ``(term, n)`` summed on read (``count_of``): a change inserts one row per term it adds or takes
  away (+k or -k), never updating a shared row, so two changes to holders of the same common name
  never wait for each other; the periodic ``fold_counts`` sums each term's rows into one. A
  common surname's total is then a few index entries, not 100,000 of them.
- ``search_index_org``: providers and companies (``p:<id>``, ``c:<key>``) and their name words.
- ``search_index_word``: the distinct words of names (``name``) and of organisations (``words``),
  for one or two typing mistakes (``levenshtein_less_equal`` over the words of the same first
  letter and about the same length) and prefixes. A word nobody holds any more is taken out by
  the change that took it from its last holder or, when two changes took it from its last two
  holders at once, by the next tidy (writer.py); until then it matches nobody.
- ``search_index_state``: the UK day up to which the whole index was made current; its one row
  also says the index has been built.

The tables belong to the search engine, not to the register's schema (Alembic leaves them alone:
migrations/env.py). A rebuild makes new ones in a schema of their own (``BUILD_SCHEMA``), fills and
indexes them while searches go on reading the old, then swaps them in (``swap_in``): searches wait
only for that moment, not for the whole rebuild.
"""

from __future__ import annotations

from typing import Any

from interests.search.fields import person_terms

TABLE_PREFIX = "search_index_"
FIELD_PREFIX = {"name": "n", "name_dm": "d", "name_eq": "e", "reg": "r", "providers": "p", "companies": "c"}

TABLES = (
    "search_index_person",
    "search_index_posting",
    "search_index_count",
    "search_index_org",
    "search_index_word",
    "search_index_state",
)
BUILD_SCHEMA = "search_index_build"

# Several rows per term (``n`` may be negative): no key, summed on read.
_CREATE_COUNTS = """CREATE TABLE search_index_count (
    term text COLLATE "C" NOT NULL,
    n integer NOT NULL
)"""
_INDEX_COUNTS = "CREATE INDEX search_index_count_term ON search_index_count (term) INCLUDE (n)"

_CREATE_TABLES = (
    """CREATE TABLE search_index_person (
        professional_id integer PRIMARY KEY,
        terms text[] NOT NULL,
        display jsonb NOT NULL
    )""",
    # Its primary key is made after a rebuild's rows are in (below).
    """CREATE TABLE search_index_posting (
        term text COLLATE "C" NOT NULL,
        professional_id integer NOT NULL
    )""",
    _CREATE_COUNTS,
    """CREATE TABLE search_index_org (
        key text PRIMARY KEY,
        kind text NOT NULL,
        label text NOT NULL,
        slug text NOT NULL,
        words text[] NOT NULL
    )""",
    """CREATE TABLE search_index_word (
        field text NOT NULL,
        word text COLLATE "C" NOT NULL,
        PRIMARY KEY (field, word)
    )""",
    """CREATE TABLE search_index_state (
        id integer PRIMARY KEY CHECK (id = 1),
        refreshed_on date
    )""",
)

# Made after a rebuild's rows are copied in (much faster than keeping them up to date row by row).
_CREATE_INDEXES = (
    # fastupdate off: a change is searchable at once, with no pending list for every query to scan.
    "CREATE INDEX search_index_person_terms ON search_index_person USING gin (terms) WITH (fastupdate = off)",
    "ALTER TABLE search_index_posting ADD PRIMARY KEY (term, professional_id)",
    _INDEX_COUNTS,
    "CREATE INDEX search_index_org_words ON search_index_org USING gin (words) WITH (fastupdate = off)",
    "CREATE INDEX search_index_word_shape ON search_index_word (field, left(word, 1), length(word))",
)


def term(field: str, text: str) -> str:
    return f"{FIELD_PREFIX[field]}:{text}"


def encoded_terms(doc: Any) -> list[str]:
    """Every term of a professional's document, prefixed with its field."""
    return [term(field, t) for field, terms in person_terms(doc).items() for t in terms]


def posted_terms(terms: list[str]) -> list[str]:
    """The terms of a row of ``search_index_person`` that ``search_index_posting`` holds."""
    return [t for t in terms if not t.startswith("r:")]


# Fills the posting table of a rebuild from its people, in the primary key's order.
_FILL_POSTINGS = (
    "INSERT INTO search_index_posting (term, professional_id) "
    "SELECT t, professional_id FROM search_index_person, unnest(terms) AS t "
    "WHERE left(t, 2) <> 'r:' ORDER BY 1, 2"
)


# Counts each term's holders in the posting table (a rebuild's, or an older index's: ``upgrade``).
_FILL_COUNTS = (
    "INSERT INTO search_index_count (term, n) SELECT term, count(*) FROM search_index_posting GROUP BY 1"
)


def count_of(conn: Any, terms: list[str]) -> int:
    """How many (term, professional) pairs of the posting table hold one of these terms: the
    number of holders of one term, or of several no professional holds two of."""
    row = conn.execute(
        "SELECT coalesce(sum(n), 0) FROM search_index_count WHERE term = ANY(%s::text[])", (terms,)
    ).fetchone()
    return int(row[0])


def fold_counts(conn: Any) -> None:
    """Sum each term's count rows into one (and drop the terms nobody holds). Rows a change inserts
    meanwhile are not seen, and stay for the next fold; two folds at once delete each row once (the
    second waits for the first's row locks, then skips what it deleted). Changes never wait for
    it: they only insert."""
    conn.execute(
        "WITH gone AS ("
        "  DELETE FROM search_index_count WHERE term IN ("
        "    SELECT term FROM search_index_count GROUP BY term HAVING count(*) > 1 OR sum(n) = 0"
        "  ) RETURNING term, n"
        ") INSERT INTO search_index_count (term, n) "
        "SELECT term, sum(n) FROM gone GROUP BY term HAVING sum(n) <> 0"
    )


def upgrade(conn: Any) -> bool:
    """Make the tables this version reads that an index built by an older one lacks, from the ones
    it has (the counts, from the posting table), instead of a rebuild. True if it made any. The
    posting table is locked against changes meanwhile (searches go on)."""
    present = [
        t
        for (t,) in conn.execute(
            "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", (list(TABLES),)
        )
    ]
    if "search_index_count" in present or set(TABLES) - set(present) != {"search_index_count"}:
        return False
    conn.execute("LOCK TABLE search_index_posting IN SHARE MODE")
    conn.execute(_CREATE_COUNTS)
    conn.execute(_FILL_COUNTS)
    conn.execute(_INDEX_COUNTS)
    conn.execute("ANALYZE search_index_count")
    return True


def exists(conn: Any) -> bool:
    """Whether the index is built, with every table this version reads (an index built by an
    older version, without one, counts as missing: `search reindex` builds it anew)."""
    missing = conn.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NULL", (list(TABLES),)
    ).fetchone()[0]
    if missing:
        return False
    return conn.execute("SELECT 1 FROM search_index_state").fetchone() is not None


def start_build(conn: Any) -> None:
    """Make empty tables, without their indexes, in BUILD_SCHEMA, and put that schema first on this
    transaction's search path, so the writer's statements fill them (the register's own tables,
    and the current index, stay where they are)."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'fuzzystrmatch'").fetchone() is None:
        conn.execute("CREATE EXTENSION fuzzystrmatch")
    conn.execute(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {BUILD_SCHEMA}")
    path = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, true)", (f"{BUILD_SCHEMA}, {path}",))
    for statement in _CREATE_TABLES:
        conn.execute(statement)


def swap_in(conn: Any) -> None:
    """Index the built tables, then replace the current ones with them (in the caller's
    transaction: other sessions see the old tables until it commits)."""
    conn.execute(_FILL_POSTINGS)
    conn.execute(_FILL_COUNTS)
    for statement in _CREATE_INDEXES:
        conn.execute(statement)
    for table in TABLES:
        conn.execute(f"ANALYZE {BUILD_SCHEMA}.{table}")
    path = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    home = path.split(",", 1)[1].strip()
    conn.execute("SELECT set_config('search_path', %s, true)", (home,))
    target = conn.execute("SELECT current_schema()").fetchone()[0]
    drop(conn)
    for table in TABLES:
        conn.execute(f'ALTER TABLE {BUILD_SCHEMA}.{table} SET SCHEMA "{target}"')
    conn.execute(f"DROP SCHEMA {BUILD_SCHEMA}")


def drop(conn: Any) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}")
