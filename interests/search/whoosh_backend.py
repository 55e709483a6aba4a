"""The embedded search backend: two Whoosh indexes under SEARCH_INDEX_DIR.

- ``people``: one document per professional with something published. It holds name terms,
  sound-alike codes, name-equivalence keys, the registration number, provider ids and opaque
  company keys - no company names and nothing that is not published.
- ``orgs``: a small index of providers and companies (the other parties of published entries),
  resolved first; the professionals linked to the matched ids are then fetched from ``people``
  (search-notes.md: phrase queries over the big index were 10-100 times slower).

Queries are built in code, never with QueryParser (search-notes.md, "A schema that worked").
Whoosh is unmaintained: only ``interests.search`` imports this module.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, FuzzyTerm, Or, Prefix, Query, Term
from whoosh.searching import Searcher

from interests.rules.regulators import REGULATORS
from interests.search import names

PEOPLE = "people"
ORGS = "orgs"
# Seconds a writer waits for another process's lock before giving up (search-notes.md: the
# plain writer raised LockError on 67% of concurrent attempts; writer(timeout=10) lost nothing).
WRITE_LOCK_TIMEOUT_SECONDS = 10.0
ORG_WORDS_IGNORED = frozenset({"the", "and", "of", "for", "at", "in"})
# How many providers and companies a query may resolve to before professionals are fetched.
MAX_ORG_MATCHES = 20


def _terms() -> Any:
    return SpaceSeparatedTokenizer()


PEOPLE_SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    name=TEXT(analyzer=_terms(), phrase=False),
    name_dm=KEYWORD(scorable=True),
    name_eq=KEYWORD(scorable=True),
    reg=KEYWORD,
    providers=KEYWORD,
    companies=KEYWORD(stored=True),
    # What a result shows (published facts only), so a results page needs no database query.
    display=STORED,
)

ORGS_SCHEMA = Schema(
    key=ID(stored=True, unique=True),  # "p:<provider id>" or "c:<company key>"
    kind=ID(stored=True),
    label=STORED,
    slug=STORED,
    words=TEXT(analyzer=_terms(), phrase=False),
)


# --- documents ----------------------------------------------------------------------------------


def people_document(doc: Any) -> dict[str, str]:
    """Fields for one professional from a ``register.SearchDocument`` (published data only)."""
    all_names = [doc.given_name, doc.family_name, *doc.other_names]
    terms: list[str] = []
    for name in all_names:
        terms.extend(names.index_words(name))
    terms = list(dict.fromkeys(terms))
    codes: list[str] = []
    keys: list[str] = []
    for term in terms:
        codes.extend(names.sound_codes(term))
        keys.extend(names.equivalence_keys(term))
    number = re.sub(r"[^A-Z0-9]", "", doc.registration_number.upper())
    return {
        "id": str(doc.professional_id),
        "name": " ".join(terms),
        "name_dm": " ".join(dict.fromkeys(codes)),
        "name_eq": " ".join(dict.fromkeys(keys)),
        "reg": " ".join(dict.fromkeys([number, doc.regulator.upper() + number])),
        "providers": " ".join(str(p) for p in doc.provider_ids),
        "companies": " ".join(sorted({names.company_key(c) for c in doc.companies})),
        "display": json.dumps(
            {
                "name": doc.display_name,
                "profession": doc.profession,
                "specialty": doc.specialty,
                "registration": f"{doc.regulator} {doc.registration_number}",
                "providers": [list(p) for p in doc.providers],
            }
        ),
    }


def provider_document(provider_id: int, name: str, slug: str, ods_code: str | None = None) -> dict[str, str]:
    org_words = names.words(name) + ([ods_code.lower()] if ods_code else [])
    return {
        "key": f"p:{provider_id}",
        "kind": "provider",
        "label": name,
        "slug": slug,
        "words": " ".join(org_words),
    }


def company_document(label: str) -> dict[str, str]:
    return {
        "key": f"c:{names.company_key(label)}",
        "kind": "company",
        "label": label,
        "slug": "",
        "words": " ".join(names.words(label)),
    }


# --- the index on disk --------------------------------------------------------------------------


def exists(directory: str) -> bool:
    return whoosh_index.exists_in(directory, indexname=PEOPLE) and whoosh_index.exists_in(
        directory, indexname=ORGS
    )


def create(directory: str) -> None:
    Path(directory).mkdir(parents=True, exist_ok=True)
    if not whoosh_index.exists_in(directory, indexname=PEOPLE):
        whoosh_index.create_in(directory, PEOPLE_SCHEMA, indexname=PEOPLE)
    if not whoosh_index.exists_in(directory, indexname=ORGS):
        whoosh_index.create_in(directory, ORGS_SCHEMA, indexname=ORGS)


def open_index(directory: str, name: str) -> Any:
    return whoosh_index.open_dir(directory, indexname=name)


def writer(directory: str, name: str, **kwargs: Any) -> Any:
    return open_index(directory, name).writer(timeout=WRITE_LOCK_TIMEOUT_SECONDS, **kwargs)


def doc_count(directory: str) -> int:
    return int(open_index(directory, PEOPLE).doc_count())


def last_modified(directory: str) -> float:
    return float(open_index(directory, PEOPLE).last_modified())


_local = threading.local()


def searcher(directory: str, name: str) -> Searcher:
    """One searcher per thread and index, kept open and refreshed when the index changed."""
    cache: dict[tuple[str, str], Searcher] = getattr(_local, "searchers", None) or {}
    _local.searchers = cache
    key = (directory, name)
    current = cache.get(key)
    if current is None:
        # One index directory per process in practice; tests make many: close the others.
        for other in [k for k in cache if k[0] != directory]:
            cache.pop(other).close()
        current = open_index(directory, name).searcher()
    elif not current.up_to_date():
        # Not Searcher.refresh(): whoosh-reloaded 2.7.5 raises TypeError when the old reader
        # was an EmptyReader (an index that had no documents).
        current.close()
        current = open_index(directory, name).searcher()
    cache[key] = current
    return current


def close_searchers() -> None:
    for s in (getattr(_local, "searchers", None) or {}).values():
        s.close()
    _local.searchers = {}


# --- queries ------------------------------------------------------------------------------------

_REGULATOR_CODES = sorted((r.code.upper() for r in REGULATORS), key=len, reverse=True)


def registration_number(query: str) -> str | None:
    """The registration number in a query ("GMC 1234567", "1234567", "nmc 12a3456e"), or None."""
    compact = re.sub(r"[\s\-]", "", query.upper())
    if not re.fullmatch(r"[A-Z0-9]{4,16}", compact) or sum(ch.isdigit() for ch in compact) < 3:
        return None
    for code in _REGULATOR_CODES:
        if compact.startswith(code) and len(compact) > len(code):
            return compact[len(code) :]
    return compact


# A query word already on this many professionals' names is taken as spelt as meant: its fuzzy
# and swapped forms are not added (they cost most of the time of a common-name search, and a
# typo rarely makes another common name; its sound-alike code and equivalents are still used).
COMMON_WORD_DOCUMENTS = 20


def _word_query(word: str, maxdist: int, people: Searcher | None = None) -> Query:
    options: list[Query] = [Term("name", word, boost=4.0)]
    common = people is not None and people.doc_frequency("name", word) >= COMMON_WORD_DOCUMENTS
    if len(word) >= 2 and not common:
        # One typing mistake outranks a mere sound-alike (bench: "Priya Johnso" lost Johnson
        # to a page of Priya Joneses when the phonetic code weighed more).
        options.append(FuzzyTerm("name", word, boost=2.0, maxdist=maxdist, prefixlength=1))
        options.extend(Term("name", swap, boost=2.0) for swap in names.swaps(word))
    options.extend(Term("name_dm", code, boost=1.0) for code in names.sound_codes(word))
    options.extend(Term("name_eq", key, boost=3.0) for key in names.equivalence_keys(word))
    return Or(options)


def exact_name_query(query_words: list[str]) -> Query | None:
    """The cheap first tier: each word exactly, or through the table of name equivalents."""
    query_words = [w for w in query_words if len(w) > 1] or query_words
    if not query_words:
        return None
    parts: list[Query] = []
    for word in query_words:
        options: list[Query] = [Term("name", word, boost=4.0)]
        options.extend(Term("name_eq", key, boost=3.0) for key in names.equivalence_keys(word))
        parts.append(Or(options))
    return And(parts)


def name_query(query_words: list[str], maxdist: int = 1, people: Searcher | None = None) -> Query | None:
    # Initials ("Dr W Williams") narrow nothing reliably; they are dropped unless all there is.
    query_words = [w for w in query_words if len(w) > 1] or query_words
    if not query_words:
        return None
    return And([_word_query(w, maxdist, people) for w in query_words])


def _org_query(query_words: list[str]) -> Query | None:
    kept = [w for w in query_words if w not in ORG_WORDS_IGNORED]
    if not kept:
        return None
    parts: list[Query] = []
    for i, word in enumerate(kept):
        options: list[Query] = [Term("words", word, boost=3.0)]
        if len(word) >= 4:
            options.append(FuzzyTerm("words", word, maxdist=1, prefixlength=1))
        if i == len(kept) - 1 and len(word) >= 3:
            options.append(Prefix("words", word))  # "Medtr" while still typing
        parts.append(Or(options))
    return And(parts)


@dataclass
class OrgMatch:
    kind: str  # provider | company
    key: str
    label: str
    slug: str


@dataclass
class Hit:
    professional_id: int
    companies: list[str] = field(default_factory=list)  # labels of matched companies they declared
    display: dict[str, Any] = field(default_factory=dict)


@dataclass
class Found:
    hits: list[Hit]
    total: int
    providers: list[OrgMatch]
    companies: list[OrgMatch]
    suggestion: str | None = None


def resolve_orgs(directory: str, query: str) -> list[OrgMatch]:
    q = _org_query(names.words(query))
    if q is None:
        return []
    s = searcher(directory, ORGS)
    return [
        OrgMatch(kind=hit["kind"], key=hit["key"], label=hit["label"], slug=hit.get("slug", ""))
        for hit in s.search(q, limit=MAX_ORG_MATCHES)
    ]


def search(directory: str, query: str, page: int, per_page: int) -> Found:
    people = searcher(directory, PEOPLE)
    number = registration_number(query)
    first: Any = None
    q: Query | None
    if number is not None:
        q = Term("reg", number)
        orgs: list[OrgMatch] = []
    else:
        orgs = resolve_orgs(directory, query)
        org_terms: list[Query] = [
            Term("providers" if org.kind == "provider" else "companies", org.key.split(":", 1)[1], boost=0.5)
            for org in orgs
        ]
        query_words = names.name_words(query)
        exact = exact_name_query(query_words)
        if exact is None and not org_terms:
            return Found([], 0, [], [])
        # Tiered, as search-notes.md found fastest: when exact names (and equivalents) already
        # fill the page, the fuzzy and sound-alike tier is not run at all.
        first = people.search(Or([q for q in (exact, *org_terms) if q is not None]), limit=page * per_page)
        # A query of three or more words that names an organisation is not a misspelt person's
        # name: the fuzzy tier over those words was the slowest case measured (~200 ms at 20k).
        names_an_org = bool(org_terms) and len(query_words) >= 3
        if first.scored_length() >= page * per_page or exact is None or names_an_org:
            q = None
        else:
            q = Or([q for q in (name_query(query_words, people=people), *org_terms) if q is not None])
    # Only the top of the ranking is collected: counting every match of a common surname cost
    # more than ranking them (measured: ~100 ms of 130 at 20k). The total is then Whoosh's
    # estimate unless the matches were few enough to be counted exactly.
    limit = page * per_page
    results = first if q is None else people.search(q, limit=limit)
    if results.scored_length() == 0 and number is None:
        # Nothing: allow two typing mistakes in longer words before giving up.
        wider = name_query(names.name_words(query), maxdist=2)
        if wider is not None:
            results = people.search(wider, limit=limit)
    total = (
        len(results)
        if results.has_exact_length()
        else max(results.estimated_length(), results.scored_length())
    )
    companies = {org.key.split(":", 1)[1]: org.label for org in orgs if org.kind == "company"}
    hits = []
    for hit in results[(page - 1) * per_page : limit]:
        declared = [companies[k] for k in (hit.get("companies") or "").split() if k in companies]
        hits.append(
            Hit(
                professional_id=int(hit["id"]),
                companies=declared,
                display=json.loads(hit.get("display") or "{}"),
            )
        )
    found = Found(
        hits=hits,
        total=total,
        providers=[o for o in orgs if o.kind == "provider"],
        companies=[o for o in orgs if o.kind == "company"],
    )
    if found.total == 0 and not found.providers and not found.companies and number is None:
        found.suggestion = suggest(directory, query)
    return found


def suggest(directory: str, query: str) -> str | None:
    """ "Did you mean": the closest indexed word for each query word, only when nothing was found."""
    people = searcher(directory, PEOPLE)
    orgs = searcher(directory, ORGS)
    changed = False
    suggested: list[str] = []
    for word in names.name_words(query):
        best = people.suggest("name", word, limit=1, maxdist=2) or orgs.suggest(
            "words", word, limit=1, maxdist=2
        )
        if best and best[0] != word:
            suggested.append(best[0])
            changed = True
        else:
            suggested.append(word)
    return " ".join(suggested) if changed else None


def company_keys_of(directory: str, professional_ids: Iterable[int]) -> dict[int, set[str]]:
    """The company keys each professional's current document holds."""
    s = searcher(directory, PEOPLE)
    found: dict[int, set[str]] = {}
    for pid in professional_ids:
        stored = s.document(id=str(pid))
        if stored is not None:
            found[pid] = set((stored.get("companies") or "").split())
    return found
