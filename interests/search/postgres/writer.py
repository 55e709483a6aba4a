"""Writing the search tables inside the caller's transaction: a rebuild from scratch, or the
professionals and providers that changed, with the companies nobody publishes any more taken out.

Nothing here commits: the rows are written in the transaction that made the change, so they are
saved with it or not at all, and every server sees them the moment it commits.

Two transactions changing the same people would each build their documents from what they can
see, and the second to commit would overwrite the first's change with a document missing it. So
a writer first takes transaction-scoped advisory locks on the people it will rewrite (``reserve``,
by bucket: at most ``LOCK_BUCKETS`` locks however many people), and the services read the
documents only after that: under READ COMMITTED, a statement that starts after the lock was granted
sees everything the previous holder committed. While a rebuild runs (it builds new tables and
swaps them in), a change is not written into the old tables, where it would be lost: ``reserve``
raises ``IndexBusy`` and the change's recorded work is applied after the rebuild. Words and
company keys are locked too: exclusively by a change that may take one out (a word or company
nobody holds any more is taken out: a name or company that is no longer published leaves no trace),
shared by those adding or keeping one, which never wait for each other. Locks are taken in one order: buckets,
then words, then companies, each ascending. The posting table (schema.py) changes with the people's
rows, under their bucket locks: the (term, professional) pairs a change takes away are deleted and
the new ones inserted, and a count row per term added or taken out (``search_index_count``: only
inserted, so changes to holders of the same name never wait for each other over it); a rebuild
fills both from the built people's rows before swapping them in.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from psycopg import sql

from interests.search import names
from interests.search.backend import IndexBusy
from interests.search.documents import PersonDocument, ProviderDocument
from interests.search.fields import company_words, display, provider_words
from interests.search.postgres import schema

LOCK_BUCKETS = 256
# The first key of the two-key advisory locks: one for people's buckets, one for company keys.
PEOPLE_LOCK = 0x5EA1
COMPANY_LOCK = 0x5EA2
WORD_LOCK = 0x5EA3
# Held by a rebuild (exclusively) and by every change being indexed (shared).
REBUILD_LOCK = 0x5EA4


def _lock(conn: Any, lock_class: int, keys: Iterable[int], shared: Iterable[int] = ()) -> None:
    """Take these locks, in ascending order of key: ``keys`` exclusively, ``shared`` (unless also
    in ``keys``) shared, so holders of the same shared key never wait for each other."""
    exclusive = sorted(set(keys))
    ordered = sorted(set(exclusive).union(shared))
    if ordered:
        conn.execute(
            "SELECT CASE WHEN k = ANY(%(exclusive)s::int[]) THEN pg_advisory_xact_lock(%(class)s, k)::text "
            "ELSE pg_advisory_xact_lock_shared(%(class)s, k)::text END "
            "FROM (SELECT unnest(%(keys)s::int[]) AS k ORDER BY 1) AS keys",
            {"class": lock_class, "exclusive": exclusive, "keys": ordered},
        )


def _lock_key(text: str) -> int:
    return zlib.crc32(text.encode()) - 2**31


def _company_row(label: str) -> tuple[str, str, str, str, list[str]]:
    return (f"c:{names.company_key(label)}", "company", label, "", company_words(label))


def _provider_row(provider: ProviderDocument) -> tuple[str, str, str, str, list[str]]:
    return (f"p:{provider.provider_id}", "provider", provider.name, provider.slug, provider_words(provider))


def _add_words(conn: Any, field: str, words: Iterable[str]) -> None:
    # One statement, in order: two writers adding the same new words wait for each other, never
    # in a cycle.
    ordered = sorted(set(words))
    if ordered:
        conn.execute(
            "INSERT INTO search_index_word (field, word) SELECT %s, w FROM unnest(%s::text[]) AS w "
            "ORDER BY w ON CONFLICT DO NOTHING",
            (field, ordered),
        )


class Writer:
    def __init__(self, conn: Any, rebuild: bool) -> None:
        self.conn = conn
        self.rebuild = rebuild
        self.companies: dict[str, str] = {}  # key -> label, for a rebuild
        self.name_words: set[str] = set()  # for a rebuild
        self.providers: list[ProviderDocument] = []
        if rebuild:
            # Wait for changes being indexed now; later ones leave their work recorded (reserve).
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (REBUILD_LOCK,))
            schema.start_build(conn)

    def reserve(self, professional_ids: Iterable[int]) -> None:
        if self.rebuild:
            return
        if not self.conn.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s, 0)", (REBUILD_LOCK,)
        ).fetchone()[0]:
            raise IndexBusy("The search index is being rebuilt")
        _lock(self.conn, PEOPLE_LOCK, (pid % LOCK_BUCKETS for pid in professional_ids))

    def put_people(self, documents: Mapping[int, PersonDocument | None]) -> None:
        if self.rebuild:
            self._copy_people([d for d in documents.values() if d is not None])
        else:
            self._change_people(documents)

    def put_providers(self, providers: Iterable[ProviderDocument]) -> None:
        self.providers.extend(providers)

    def finish(self) -> None:
        rows = [_provider_row(p) for p in self.providers]
        if self.rebuild:
            rows.extend(_company_row(label) for label in self.companies.values())
        if rows:
            self.conn.cursor().executemany(
                "INSERT INTO search_index_org (key, kind, label, slug, words) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET label = excluded.label, slug = excluded.slug, "
                "words = excluded.words",
                rows,
            )
            _add_words(self.conn, "words", (w for row in rows for w in row[4]))
        if self.rebuild:
            _add_words(self.conn, "name", self.name_words)
            self.conn.execute("INSERT INTO search_index_state (id) VALUES (1)")
            schema.swap_in(self.conn)

    # --- a rebuild: rows copied in, indexes made at the end --------------------------------------

    def _copy_people(self, documents: list[PersonDocument]) -> None:
        with self.conn.cursor().copy(
            "COPY search_index_person (professional_id, terms, display) FROM STDIN"
        ) as copy:
            for doc in documents:
                terms = schema.encoded_terms(doc)
                copy.write_row((doc.professional_id, terms, json.dumps(display(doc))))
                self.name_words.update(t[2:] for t in terms if t.startswith("n:"))
                for company in doc.companies:
                    self.companies.setdefault(names.company_key(company), company)

    # --- a change: the rows of these people replaced ----------------------------------------------

    def _change_people(self, documents: Mapping[int, PersonDocument | None]) -> None:
        if not documents:
            return
        self.reserve(documents)  # no-op for people already reserved by this transaction
        ids = sorted(documents)
        held: dict[int, list[str]] = dict(
            self.conn.execute(
                "SELECT professional_id, terms FROM search_index_person WHERE professional_id = ANY(%s)",
                (ids,),
            ).fetchall()
        )
        old_terms = {t for terms in held.values() for t in terms}
        old_keys = {t[2:] for t in old_terms if t.startswith("c:")}
        old_words = {t[2:] for t in old_terms if t.startswith("n:")}
        gone = [pid for pid in ids if documents[pid] is None]
        if gone:
            self.conn.execute("DELETE FROM search_index_person WHERE professional_id = ANY(%s)", (gone,))
        rows = []
        words: set[str] = set()
        labels: dict[str, str] = {}
        for pid in ids:
            doc = documents[pid]
            if doc is None:
                continue
            terms = schema.encoded_terms(doc)
            rows.append((pid, terms, json.dumps(display(doc))))
            words.update(t[2:] for t in terms if t.startswith("n:"))
            for company in doc.companies:
                labels.setdefault(names.company_key(company), company)
        if rows:
            self.conn.cursor().executemany(
                "INSERT INTO search_index_person (professional_id, terms, display) VALUES (%s, %s, %s) "
                "ON CONFLICT (professional_id) DO UPDATE "
                "SET terms = excluded.terms, display = excluded.display",
                rows,
            )
        _change_postings(
            self.conn,
            {pid: schema.posted_terms(terms) for pid, terms in held.items()},
            {pid: schema.posted_terms(terms) for pid, terms, _ in rows},
        )
        new = [_company_row(label) for label in labels.values()]
        maybe_gone = sorted(old_keys - set(labels))
        gone_org_words = {
            w
            for (org_words,) in self.conn.execute(
                "SELECT words FROM search_index_org WHERE key = ANY(%s)", ([f"c:{k}" for k in maybe_gone],)
            )
            for w in org_words
        }
        # A word (or company) is locked exclusively where it may be taken out (that nobody holds it
        # any more must be seen by a statement after every adder committed), and shared where it is
        # added or kept: changes to holders of one name never wait for each other. A name word
        # others still hold (its count, this change's included) is not a candidate: taking a common
        # name from one of its holders locks nothing exclusively either.
        unheld_words = _unheld_names(self.conn, old_words - words)
        _lock(
            self.conn,
            WORD_LOCK,
            [_lock_key("name:" + w) for w in unheld_words]
            + [_lock_key("words:" + w) for w in gone_org_words],
            shared=[_lock_key("name:" + w) for w in words]
            + [_lock_key("words:" + w) for row in new for w in row[4]],
        )
        _add_words(self.conn, "name", words)
        _prune_words(self.conn, "name", unheld_words)
        # Companies: add the new, remove those nobody publishes any more.
        _lock(
            self.conn, COMPANY_LOCK, (_lock_key(k) for k in maybe_gone), shared=(_lock_key(k) for k in labels)
        )
        if new:
            self.conn.cursor().executemany(
                "INSERT INTO search_index_org (key, kind, label, slug, words) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO NOTHING",
                new,
            )
            _add_words(self.conn, "words", (w for row in new for w in row[4]))
        if maybe_gone:
            self.conn.execute(
                "DELETE FROM search_index_org o WHERE o.key = ANY(%s) AND NOT EXISTS ("
                "SELECT 1 FROM search_index_person p WHERE p.terms @> ARRAY[o.key])",
                ([f"c:{k}" for k in maybe_gone],),
            )
            _prune_words(self.conn, "words", gone_org_words)


def _change_postings(conn: Any, before: Mapping[int, list[str]], after: Mapping[int, list[str]]) -> None:
    """Make the posting table hold what ``search_index_person`` now holds for these people: the
    pairs no longer held taken out, the new ones put in (the people are reserved: no other writer
    touches their rows), and each term's count changed by the rows it lost or gained (new count
    rows only: a writer never waits for another to change a count; schema.py)."""
    old = {(t, pid) for pid, terms in before.items() for t in terms}
    new = {(t, pid) for pid, terms in after.items() for t in terms}
    gone, added = sorted(old - new), sorted(new - old)
    if gone:
        conn.execute(
            "WITH gone AS (DELETE FROM search_index_posting WHERE (term, professional_id) IN "
            "(SELECT * FROM unnest(%s::text[], %s::int[])) RETURNING term) "
            "INSERT INTO search_index_count (term, n) SELECT term, -count(*) FROM gone GROUP BY 1",
            ([t for t, _ in gone], [pid for _, pid in gone]),
        )
    if added:
        conn.execute(
            "WITH added AS (INSERT INTO search_index_posting (term, professional_id) "
            "SELECT * FROM unnest(%s::text[], %s::int[]) ON CONFLICT DO NOTHING RETURNING term) "
            "INSERT INTO search_index_count (term, n) SELECT term, count(*) FROM added GROUP BY 1",
            ([t for t, _ in added], [pid for _, pid in added]),
        )


def _unheld_names(conn: Any, words: Iterable[str]) -> list[str]:
    """Of these name words, those no committed count (nor this transaction's) says anyone holds.
    Two changes taking a word from its last two holders at once may each see the other's holder and
    keep it: ``prune_unheld_names`` (the periodic tidy) takes such a word out."""
    ordered = sorted(set(words))
    if not ordered:
        return []
    held = {
        term[2:]
        for (term,) in conn.execute(
            "SELECT term FROM search_index_count WHERE term = ANY(%s::text[]) "
            "GROUP BY term HAVING sum(n) > 0",
            ([schema.term("name", w) for w in ordered],),
        )
    }
    return [w for w in ordered if w not in held]


def prune_unheld_names(conn: Any) -> list[str]:
    """The periodic tidy's part (after ``schema.fold_counts``): take out of the vocabulary the name
    words nobody holds any more that a change left there (``_unheld_names``). A word a change is
    adding or keeping right now (its lock held shared) is left for the next tidy: this never waits."""
    candidates = [
        word
        for (word,) in conn.execute(
            "SELECT w.word FROM search_index_word AS w WHERE w.field = 'name' AND NOT EXISTS ("
            "SELECT 1 FROM search_index_count AS c WHERE c.term = 'n:' || w.word AND c.n <> 0)"
        )
    ]
    locked = [
        word
        for word in sorted(candidates, key=lambda w: _lock_key("name:" + w))
        if conn.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", (WORD_LOCK, _lock_key("name:" + word))
        ).fetchone()[0]
    ]
    # A statement after the locks: it sees every holder a change committed before them.
    _prune_words(conn, "name", locked)
    return locked


# Who still holds a word of each field of the vocabulary (fixed SQL, chosen by the field).
_STILL_HELD = {
    "name": "SELECT 1 FROM search_index_person p WHERE p.terms @> ARRAY['n:' || w.word]",
    "words": "SELECT 1 FROM search_index_org o WHERE o.words @> ARRAY[w.word::text]",
}


def _prune_words(conn: Any, field: str, words: Iterable[str]) -> None:
    """Take out of the vocabulary the words of a field (names, or organisations' words) that nobody
    holds any more."""
    ordered = sorted(set(words))
    if ordered:
        statement = sql.SQL(
            "DELETE FROM search_index_word w WHERE w.field = %s AND w.word = ANY(%s) AND NOT EXISTS ({})"
        ).format(sql.SQL(_STILL_HELD[field]))
        conn.execute(statement, (field, ordered))
