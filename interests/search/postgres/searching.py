"""Answering a query from the search tables: a registration number, or names in tiers (tiers.py,
the same ways of matching as the Whoosh engine), and the providers and companies a query names.

A tier scores the people matching every query word (an overlap of the GIN-indexed terms with each
word's terms), or linked to a named organisation, by the ways they matched (``_scored``); the
total, and only the page's rows read in full. That reads every match's row, so two cases are
answered from the posting table instead, with the same results and totals: one query word
(``_one_word``: a surname alone can match 100,000 people), and the people only linked to a named
organisation, who all score the same and follow those matching by name (``_linked_last``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from interests.search import fields, names, tiers
from interests.search.documents import Found, Hit, OrgMatch
from interests.search.postgres import schema
from interests.search.queries import (
    COMMON_WORD_DOCUMENTS,
    MAX_ORG_MATCHES,
    W_EXACT,
    W_ORG,
    registration_number,
)
from interests.search.tiers import Way


class Vocabulary:
    """The words table and the people's terms, as tiers.py asks for them (cached per query)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, str, int], Any] = {}

    def frequency(self, fieldname: str, text: str) -> int:
        """How many people hold the term, counted up to COMMON_WORD_DOCUMENTS."""
        key = ("frequency", f"{fieldname}:{text}", 0)
        if key not in self.cache:
            self.cache[key] = self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM search_index_posting WHERE term = %s LIMIT %s) AS s",
                (schema.term(fieldname, text), COMMON_WORD_DOCUMENTS),
            ).fetchone()[0]
        return int(self.cache[key])

    def within(self, fieldname: str, text: str, maxdist: int) -> list[str]:
        key = (fieldname, text, maxdist)
        if key not in self.cache and text:
            self.cache[key] = [
                word
                for (word,) in self.conn.execute(
                    "SELECT word FROM search_index_word "
                    "WHERE field = %(field)s AND left(word, 1) = %(first)s "
                    "AND length(word) BETWEEN %(shortest)s AND %(longest)s "
                    "AND levenshtein_less_equal(word, %(text)s, %(maxdist)s) <= %(maxdist)s",
                    {
                        "field": fieldname,
                        "first": text[0],
                        "shortest": len(text) - maxdist,
                        "longest": len(text) + maxdist,
                        "text": text,
                        "maxdist": maxdist,
                    },
                )
            ]
        return list(self.cache.get(key, []))

    def prefixed(self, fieldname: str, prefix: str) -> list[str]:
        return [
            word
            for (word,) in self.conn.execute(
                "SELECT word FROM search_index_word WHERE field = %s AND word >= %s AND word < %s",
                (fieldname, prefix, prefix + "\x7f"),
            )
        ]


@dataclass
class _Tier:
    rows: list[tuple[int, bool, Any, list[str]]]  # (professional id, by name, display, terms)
    total: int
    linked: int  # how many of the total are linked to a named organisation
    linked_ids: list[int] = field(default_factory=list)  # _scored(by_name_only=True): who they are


def _people(conn: Any, per_word: list[list[Way]], org_keys: list[str], limit: int, offset: int) -> _Tier:
    if len(per_word) == 1:
        found = _one_word(conn, per_word[0], org_keys, limit, offset)
        if found is not None:
            return found
    if org_keys:
        return _linked_last(conn, per_word, org_keys, limit, offset)
    return _scored(conn, per_word, org_keys, limit, offset)


def _linked_last(conn: Any, per_word: list[list[Way]], org_keys: list[str], limit: int, offset: int) -> _Tier:
    """Everyone matching by name scores more than W_ORG (every word adds at least its smallest
    weight), and everyone linked to a named organisation but not matching by name scores W_ORG
    exactly: so those matching by name are scored (``_scored``, usually few), and the linked rest
    follow in professional order, read from the posting table (not every linked person's row)."""
    if any(weight <= W_ORG for ways in per_word for terms, weight in ways if terms):
        return _scored(conn, per_word, org_keys, limit, offset)
    named = _scored(conn, per_word, org_keys, limit, offset, by_name_only=True)
    params: dict[str, Any] = {"orgs": org_keys}
    (linked,) = conn.execute(
        "SELECT count(DISTINCT professional_id) FROM search_index_posting WHERE term = ANY(%(orgs)s::text[])",
        params,
    ).fetchone()
    tier = _Tier(rows=named.rows, total=named.total + int(linked) - named.linked, linked=int(linked))
    wanted = offset + limit - named.total  # how many of the linked rest, from the first, the page reaches
    if wanted > 0:
        params["n"] = wanted + len(named.linked_ids)
        skip = set(named.linked_ids)
        rest = [
            pid
            for (pid,) in conn.execute(
                "SELECT DISTINCT professional_id FROM search_index_posting "
                "WHERE term = ANY(%(orgs)s::text[]) ORDER BY 1 LIMIT %(n)s",
                params,
            )
            if pid not in skip
        ][max(0, offset - named.total) : wanted]
        shown = _shown(conn, rest)
        tier.rows = tier.rows + [(pid, False, *shown[pid]) for pid in rest if pid in shown]
    return tier


def _shown(conn: Any, ids: list[int]) -> dict[int, tuple[Any, list[str]]]:
    """What the page shows of these people, and their terms (a person taken out of the index since
    the ids were read is left out)."""
    return {
        pid: (display, terms)
        for pid, display, terms in conn.execute(
            "SELECT professional_id, display, terms FROM search_index_person WHERE professional_id = ANY(%s)",
            (ids,),
        )
    }


def _covering(ways: list[Way]) -> list[str]:
    """The terms of a word's ways that everyone matching it holds one of: all of them but those
    that imply another (fields.also_held: a name word, its sound-alike codes and equivalence keys).
    Fewer posting lists for the GIN index to merge, and the same people."""
    pairs = {pair for terms, _ in ways for pair in terms}
    kept = {pair for pair in pairs if not pairs.intersection(fields.also_held(*pair))}
    # Several equivalence keys, one of which all their holders hold (a word in several groups):
    # that one alone, so a common name's holders are one term's, counted with the writes.
    keys = frozenset(text for field, text in kept if field == "name_eq")
    held_with = names.key_held_with(keys) if len(keys) > 1 else None
    if held_with is not None:
        kept = {pair for pair in kept if pair[0] != "name_eq"} | {("name_eq", held_with)}
    return sorted(schema.term(*pair) for pair in kept)


def _one_word(conn: Any, ways: list[Way], org_keys: list[str], limit: int, offset: int) -> _Tier | None:
    """One query word, ranked from the best-scoring way first, from the posting table alone.

    Everyone matching every way of the word (``best``) scores the most (the sum of the weights), and
    anyone else at least the smallest weight less, which linking to a named organisation (W_ORG)
    does not make up. So the ranking (score, then professional id) starts with ``best`` people who
    are also linked, then the rest of ``best``, each in professional order: when those fill the
    page, it is read with ordered index scans that stop there, and only the total needs every
    match, counted from the index without reading a row. None: the page goes beyond ``best`` and
    the rest cannot be ranked this way (see below), or the weights do not allow it: every match is
    then scored (``_scored``)."""
    kept = [
        (list(dict.fromkeys(schema.term(f, t) for f, t in terms)), weight) for terms, weight in ways if terms
    ]
    drivers = [terms for terms, _ in kept if len(terms) == 1]
    if not drivers or min(weight for _, weight in kept) <= (W_ORG if org_keys else 0):
        return None
    # The first way of a single term leads (the exact word, held by the fewest).
    kept.sort(key=lambda way: len(way[0]) != 1)
    params: dict[str, Any] = {"driver": kept[0][0][0], "orgs": org_keys}
    for j, (terms, _) in enumerate(kept):
        params[f"w{j}"] = terms

    def every_way(who: str, ways: range) -> sql.Composable:
        # Scalar subqueries, not EXISTS: PostgreSQL then looks each row read in order up in the
        # index (and stops at the LIMIT), never hashing every holder of a common term first (the
        # plan its row estimates for common terms led it to).
        tests: list[sql.Composable] = [
            sql.SQL(
                "(SELECT true FROM search_index_posting AS x WHERE x.term = ANY({way}::text[]) "
                "AND x.professional_id = {who}.professional_id LIMIT 1) IS NOT NULL"
            ).format(way=sql.Placeholder(f"w{j}"), who=sql.Identifier(who))
            for j in ways
        ]
        return sql.SQL(" AND ").join(tests or [sql.SQL("TRUE")])

    # The people linked to a named organisation (a few providers' or companies' people, about 2,000
    # for a surname that names 20 practices) who also hold some of the word's terms are found in
    # the GIN index, which intersects the short lists of the organisations with the long ones of
    # the word by skipping through the latter (about 1 ms; looking each linked person up in the
    # posting table, or filtering the word's holders by them, took 15-50 ms at 2,000,000).
    linked = 0
    if org_keys:
        (linked,) = conn.execute(
            "SELECT count(DISTINCT professional_id) FROM search_index_posting "
            "WHERE term = ANY(%(orgs)s::text[])",
            params,
        ).fetchone()
    need = offset + limit
    linked_best: list[int] = []
    if linked:
        params["n"] = need
        every = sql.SQL(" AND ").join(
            sql.SQL("terms && {way}::text[]").format(way=sql.Placeholder(f"w{j}")) for j in range(len(kept))
        )
        statement = sql.SQL(
            "SELECT professional_id FROM search_index_person WHERE terms && %(orgs)s::text[] AND {every} "
            "ORDER BY 1 LIMIT %(n)s"
        ).format(every=every)
        linked_best = [pid for (pid,) in conn.execute(statement, params)]
    ranked = linked_best
    if len(ranked) < need:
        # The first need + len(linked_best) of ``best`` hold at least ``need`` unlinked ones.
        params["n"] = need + len(linked_best)
        statement = sql.SQL(
            "SELECT d.professional_id FROM search_index_posting AS d "
            "WHERE d.term = %(driver)s AND {probes} ORDER BY 1 LIMIT %(n)s"
        ).format(probes=every_way("d", range(1, len(kept))))
        seen = set(linked_best)
        ranked = ranked + [pid for (pid,) in conn.execute(statement, params) if pid not in seen]
    # Everyone matching the word holds one of these terms (the others imply one of them:
    # fields.also_held).
    params["words"] = _covering(ways)
    named = set(ranked)
    if len(ranked) < need:
        # All of ``best`` is here. When the word has one other way, with a term every match holds
        # (a rare spelling of a common name, and the name's equivalence key), the rest follow in
        # three runs: the others holding that term and linked, the others holding it, then those
        # only linked. Otherwise every match is scored.
        if len(kept) != 2 or len(params["words"]) != 1 or params["words"][0] not in kept[1][0]:
            return None
        params["key"] = params["words"][0]
        holding_linked = [
            pid
            for (pid,) in conn.execute(
                "SELECT professional_id FROM search_index_person "
                "WHERE terms && %(orgs)s::text[] AND terms @> ARRAY[%(key)s::text] ORDER BY 1",
                params,
            )
        ]
        skip = set(ranked)
        ranked = ranked + [pid for pid in holding_linked if pid not in skip]
        skip.update(holding_linked)
        if len(ranked) < need:
            params["n"] = need - len(ranked) + len(skip)  # enough to step over those already ranked
            ranked = ranked + [
                pid
                for (pid,) in conn.execute(
                    "SELECT professional_id FROM search_index_posting WHERE term = %(key)s "
                    "ORDER BY 1 LIMIT %(n)s",
                    params,
                )
                if pid not in skip
            ]
        named = set(ranked)
        if len(ranked) < need and linked:
            everyone_linked = conn.execute(
                "SELECT DISTINCT professional_id FROM search_index_posting "
                "WHERE term = ANY(%(orgs)s::text[])",
                params,
            ).fetchall()
            ranked = ranked + sorted({pid for (pid,) in everyone_linked} - set(holding_linked))
    # The total: everyone holding one of those terms (one term's holders are counted with the
    # writes: schema.count_of), and everyone linked to a named organisation who does not.
    if len(params["words"]) == 1:
        by_name = schema.count_of(conn, params["words"])
    else:
        (by_name,) = conn.execute(
            "SELECT count(DISTINCT professional_id) FROM search_index_posting "
            "WHERE term = ANY(%(words)s::text[])",
            params,
        ).fetchone()
    linked_too = 0
    if linked:
        (linked_too,) = conn.execute(
            "SELECT count(*) FROM search_index_person "
            "WHERE terms && %(orgs)s::text[] AND terms && %(words)s::text[]",
            params,
        ).fetchone()
    linked_only = linked - int(linked_too)
    page = ranked[offset:need]
    shown = _shown(conn, page)
    return _Tier(
        rows=[(pid, pid in named, *shown[pid]) for pid in page if pid in shown],
        total=int(by_name) + int(linked_only),
        linked=int(linked),
    )


def _scored(
    conn: Any,
    per_word: list[list[Way]],
    org_keys: list[str],
    limit: int,
    offset: int,
    *,
    by_name_only: bool = False,
) -> _Tier:
    """Every match scored by the ways it matched (GIN-indexed overlaps), then ranked. by_name_only:
    only those matching by name (the linked among them still score W_ORG more, and are listed)."""
    params: dict[str, Any] = {"orgs": org_keys, "w_org": W_ORG, "limit": limit, "offset": offset}
    every_word: list[str] = []
    scores: list[str] = []
    for i, ways in enumerate(per_word):
        params[f"w{i}"] = _covering(ways)
        every_word.append(f"terms && %(w{i})s::text[]")
        for j, (terms, weight) in enumerate(ways):
            if terms:
                params[f"w{i}_{j}"] = [schema.term(f, t) for f, t in terms]
                params[f"s{i}_{j}"] = weight
                scores.append(f"CASE WHEN terms && %(w{i}_{j})s::text[] THEN %(s{i}_{j})s ELSE 0 END")
    by_name = " AND ".join(every_word) or "FALSE"
    linked = "terms && %(orgs)s::text[]" if org_keys else "FALSE"
    name_score = " + ".join(scores) or "0"
    # Only fixed SQL and placeholders' names are composed in; every value is a parameter.
    statement = sql.SQL(
        """
        WITH matched AS (
            SELECT professional_id, by_name, linked,
                   (CASE WHEN by_name THEN {name_score} ELSE 0 END)
                   + (CASE WHEN linked THEN %(w_org)s ELSE 0 END) AS score
            FROM (
                SELECT professional_id, terms, ({by_name_here}) AS by_name, ({linked}) AS linked
                FROM search_index_person WHERE ({by_name}) OR ({linked_too})
            ) AS m
        ),
        counts AS (
            SELECT count(*) AS total, count(*) FILTER (WHERE linked) AS linked,
                   array_agg(professional_id) FILTER (WHERE linked) AS linked_ids
            FROM matched
        ),
        page AS (SELECT * FROM matched ORDER BY score DESC, professional_id LIMIT %(limit)s OFFSET %(offset)s)
        SELECT counts.total, counts.linked, counts.linked_ids,
               page.professional_id, page.by_name, p.display, p.terms
        FROM counts
        LEFT JOIN page ON TRUE
        LEFT JOIN search_index_person AS p ON p.professional_id = page.professional_id
        ORDER BY page.score DESC, page.professional_id
        """
    ).format(
        by_name=sql.SQL(by_name),
        linked=sql.SQL(linked),
        linked_too=sql.SQL("FALSE" if by_name_only else linked),
        # Only the people matching by name are read unless the linked are too: not tested again.
        by_name_here=sql.SQL("TRUE" if by_name_only or not org_keys else by_name),
        name_score=sql.SQL(name_score),
    )
    rows = conn.execute(statement, params).fetchall()
    total, linked_total, linked_ids = rows[0][0], rows[0][1], rows[0][2]
    return _Tier(
        rows=[(r[3], r[4], r[5], r[6]) for r in rows if r[3] is not None],
        total=total,
        linked=linked_total,
        linked_ids=list(linked_ids or []) if by_name_only else [],
    )


def resolve_orgs(conn: Any, vocabulary: Vocabulary, query: str) -> list[OrgMatch]:
    per_word = tiers.org_word_ways(vocabulary, names.words(query))
    if per_word is None:
        return []
    params: dict[str, Any] = {"limit": MAX_ORG_MATCHES}
    every_word: list[str] = []
    scores: list[str] = []
    for i, ways in enumerate(per_word):
        params[f"w{i}"] = sorted({t for terms, _ in ways for _, t in terms})
        every_word.append(f"words && %(w{i})s::text[]")
        for j, (terms, weight) in enumerate(ways):
            params[f"w{i}_{j}"] = [t for _, t in terms]
            params[f"s{i}_{j}"] = weight
            scores.append(f"CASE WHEN words && %(w{i}_{j})s::text[] THEN %(s{i}_{j})s ELSE 0 END")
    where, score = " AND ".join(every_word), " + ".join(scores)
    statement = sql.SQL(
        "SELECT key, kind, label, slug FROM search_index_org WHERE {where} "
        "ORDER BY {score} DESC, key LIMIT %(limit)s"
    ).format(where=sql.SQL(where), score=sql.SQL(score))
    rows = conn.execute(statement, params).fetchall()
    return [OrgMatch(kind=kind, key=key, label=label, slug=slug) for key, kind, label, slug in rows]


def search(conn: Any, query: str, page: int, per_page: int) -> Found:
    vocabulary = Vocabulary(conn)
    # These statements are quick, but PostgreSQL's estimates for common terms made it compile some
    # (JIT) for longer than they take (this transaction only).
    conn.execute("SELECT set_config('jit', 'off', true)")
    limit = page * per_page
    offset = (page - 1) * per_page
    number = registration_number(query)
    orgs: list[OrgMatch] = []
    if number is not None:
        result = _scored(conn, [[((("reg", number),), W_EXACT)]], [], per_page, offset)
    else:
        orgs = resolve_orgs(conn, vocabulary, query)
        org_keys = [o.key for o in orgs]
        query_words = names.name_words(query)
        words = tiers.query_name_words(query_words)
        # Tiered, as search-notes.md found fastest: when exact names (and equivalents) already
        # fill the page, the typing-mistake and sound-alike tier is not run at all.
        result = _people(conn, [tiers.word_ways(vocabulary, w, 0) for w in words], org_keys, per_page, offset)
        if not words and result.linked == 0:
            return Found([], 0, [], [])
        # A query of three or more words that names an organisation is not a misspelt person's
        # name: the fuzzy tier over those words was the slowest case measured.
        names_an_org = result.linked > 0 and len(query_words) >= 3
        if words and result.total < limit and not names_an_org:
            result = _people(
                conn, [tiers.word_ways(vocabulary, w, 1) for w in words], org_keys, per_page, offset
            )
        if result.total == 0 and words:
            # Nothing: allow two typing mistakes before giving up.
            result = _people(conn, [tiers.word_ways(vocabulary, w, 2) for w in words], [], per_page, offset)
    companies = {org.key: org.label for org in orgs if org.kind == "company"}
    provider_keys = [org.key for org in orgs if org.kind == "provider"]
    hits = []
    for professional_id, by_name, shown, terms in result.rows:
        held = set(terms)
        company_keys = sorted(k for k in held if k in companies)
        hits.append(
            Hit(
                professional_id=professional_id,
                companies=[companies[k] for k in company_keys],
                display=shown,
                by_name=number is not None or bool(by_name),
                org_keys=[k for k in provider_keys if k in held] + company_keys,
            )
        )
    found = Found(
        hits=hits,
        total=result.total,
        providers=[o for o in orgs if o.kind == "provider"],
        companies=[o for o in orgs if o.kind == "company"],
    )
    if found.total == 0 and not found.providers and not found.companies and number is None:
        found.suggestion = suggest(conn, query)
    return found


def suggest(conn: Any, query: str) -> str | None:
    """ "Did you mean": the closest word someone still holds, for each query word, only when nothing
    was found. Whether a name word is held is one probe of the posting table's B-tree, which stops
    at the first holder (the GIN index collects every holder first: a short word's hundreds of
    near words took seconds at 2,000,000 people)."""
    changed = False
    suggested: list[str] = []
    for word in names.name_words(query):
        best = conn.execute(
            """
            SELECT w.word FROM search_index_word AS w
            WHERE length(w.word) BETWEEN %(shortest)s AND %(longest)s
              AND levenshtein_less_equal(w.word, %(word)s, 2) <= 2
              AND (
                (w.field = 'name' AND EXISTS (
                    SELECT 1 FROM search_index_posting AS p WHERE p.term = 'n:' || w.word))
                OR (w.field = 'words' AND EXISTS (
                    SELECT 1 FROM search_index_org AS o WHERE o.words @> ARRAY[w.word::text]))
              )
            ORDER BY w.field, levenshtein(w.word, %(word)s), w.word
            LIMIT 1
            """,
            {"word": word, "shortest": len(word) - 2, "longest": len(word) + 2},
        ).fetchone()
        if best is not None and best[0] != word:
            suggested.append(best[0])
            changed = True
        else:
            suggested.append(word)
    return " ".join(suggested) if changed else None
