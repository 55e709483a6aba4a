"""The embedded search backend: two Whoosh indexes under SEARCH_INDEX_DIR.

- ``people``: one document per professional with something published. It holds name terms,
  sound-alike codes, name-equivalence keys, the registration number, provider ids and opaque
  company keys - no company names and nothing that is not published.
- ``orgs``: a small index of providers and companies (the other parties of published entries),
  resolved first; the professionals linked to the matched ids are then fetched from ``people``
  (search-notes.md: phrase queries over the big index were 10-100 times slower).

Queries are evaluated in code over Whoosh's posting lists, never with QueryParser and not with
Whoosh's matcher tree or scorer (see "Why not Whoosh's own And/Or matchers" below).
Whoosh is unmaintained: only ``interests.search`` imports this module, and the register reaches it
through ``WhooshBackend`` (the ``Backend`` protocol of interests/search/backend.py).
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import shutil
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import Term
from whoosh.searching import Searcher

from interests.rules.regulators import REGULATORS
from interests.search import names
from interests.search.documents import Found, Hit, OrgMatch, PersonDocument, ProviderDocument

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


def people_document(doc: PersonDocument) -> dict[str, str]:
    """Fields for one professional (published data only)."""
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
                "fresh_until": doc.fresh_until.isoformat() if doc.fresh_until else None,
            }
        ),
    }


def provider_document(provider: ProviderDocument) -> dict[str, str]:
    org_words = names.words(provider.name) + ([provider.ods_code.lower()] if provider.ods_code else [])
    return {
        "key": f"p:{provider.provider_id}",
        "kind": "provider",
        "label": provider.name,
        "slug": provider.slug,
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

# How much each way of matching a query word counts (summed, like Whoosh's Or): the exact word
# first, then a listed equivalent (Bill/William, Mac/Mc), one typing mistake, a sound-alike.
W_EXACT = 4.0
W_EQUIVALENT = 3.0
W_TYPO = 2.0
W_SOUND = 1.0
W_ORG = 0.5

# Why not Whoosh's own And/Or matchers and scorer: at 200,000 professionals a common surname
# matches thousands of documents, and walking them through a tree of Python matchers cost
# ~130 us each (engine p95 ~130 ms). Here each term's posting list is read once into a set
# (a block at a time), the words' sets are intersected with C set operations, and fixed weights
# are summed only over the documents every word matched; the total is exact. Ties rank by
# document order (stable between requests and pages). bench/search.py at 200k: engine p95 ~13 ms.


class _Postings:
    """Documents per term, read straight from each segment's posting lists (deleted documents
    left out), cached for one request."""

    def __init__(self, s: Searcher) -> None:
        self.reader = s.reader()
        self.leaves = self.reader.leaf_readers()
        self.cache: dict[tuple[str, str], frozenset[int]] = {}

    def ids(self, fieldname: str, text: str) -> frozenset[int]:
        key = (fieldname, text)
        found = self.cache.get(key)
        if found is None:
            collected: set[int] = set()
            for leaf, offset in self.leaves:
                if (fieldname, text) not in leaf:
                    continue
                ids = _all_ids(leaf.postings(fieldname, text))
                if leaf.has_deletions():
                    deleted = leaf.deleted_docs_set
                    ids = [i for i in ids if i not in deleted]
                collected.update([i + offset for i in ids] if offset else ids)
            found = self.cache[key] = frozenset(collected)
        return found

    def frequency(self, fieldname: str, text: str) -> int:
        return int(self.reader.doc_frequency(fieldname, text))

    def within(self, fieldname: str, text: str, maxdist: int) -> list[str]:
        """Indexed words at most ``maxdist`` edits away (first letter kept), ``text`` included."""
        if maxdist == 1:
            return _vocabulary(self.reader, fieldname).one_edit(text)
        return [
            t.decode() if isinstance(t, bytes) else t
            for t in self.reader.terms_within(fieldname, text, maxdist, prefix=1)
        ]

    def prefixed(self, fieldname: str, prefix: str) -> list[str]:
        return _vocabulary(self.reader, fieldname).prefixed(prefix)


class _Vocabulary:
    """A field's words in memory, kept per reader (rebuilt when the index changes: ~15 ms for
    the 4,000 name words at 200,000 professionals). Whoosh's terms_within() walks a Levenshtein
    automaton over the on-disk term table - most of a misspelt-name search's time."""

    def __init__(self, reader: Any, fieldname: str) -> None:
        self.words = sorted(reader.field_terms(fieldname))
        self.by_start: dict[tuple[str, int], list[str]] = {}
        for word in self.words:
            if word:
                self.by_start.setdefault((word[0], len(word)), []).append(word)

    def one_edit(self, word: str) -> list[str]:
        """Words one insertion, deletion or substitution from ``word`` (or equal), same first letter."""
        if not word:
            return []
        found: list[str] = []
        n = len(word)
        for size in (n - 1, n, n + 1):
            for candidate in self.by_start.get((word[0], size), ()):
                if _at_most_one_edit(word, candidate):
                    found.append(candidate)
        return found

    def prefixed(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\uffff")
        return self.words[start:end]


def _at_most_one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    if len(a) == len(b):
        mismatched = False
        for x, y in zip(a, b, strict=True):
            if x != y:
                if mismatched:
                    return False
                mismatched = True
        return True
    if len(b) - len(a) != 1:
        return False
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return a[i:] == b[i + 1 :]
    return True


_vocabularies: weakref.WeakKeyDictionary[Any, dict[str, _Vocabulary]] = weakref.WeakKeyDictionary()
_vocabularies_lock = threading.Lock()


def _vocabulary(reader: Any, fieldname: str) -> _Vocabulary:
    per_field = _vocabularies.get(reader)
    if per_field is None:
        with _vocabularies_lock:
            per_field = _vocabularies.setdefault(reader, {})
    found = per_field.get(fieldname)
    if found is None:
        found = per_field[fieldname] = _Vocabulary(reader, fieldname)
    return found


def _all_ids(matcher: Any) -> list[int]:
    """A posting list's document numbers, a block at a time (Whoosh's all_ids() makes several
    Python calls per document; its deletion filter is applied by the caller)."""
    leaf = getattr(matcher, "child", matcher)
    if not all(hasattr(leaf, a) for a in ("_read_data", "_data", "_ids", "_byteids", "_next_block", "_i")):
        return list(leaf.all_ids())
    ids: list[int] = []
    while leaf.is_active():
        if leaf._ids is not None:
            block = leaf._ids
        else:
            if leaf._data is None:
                leaf._read_data()
            block = leaf._data[0]
            if not leaf._byteids:  # stored as gaps (Whoosh decodes them one Python call at a time)
                block = list(itertools.accumulate(block))
        ids.extend(block[leaf._i : leaf._blocklength])
        leaf._next_block()
    return ids


def _add(scores: dict[int, float], ids: frozenset[int], weight: float) -> None:
    """Add ``weight`` to each document in ``ids`` (set operations: no Python loop over the
    documents not already scored)."""
    if not ids:
        return
    if not scores:
        scores.update(dict.fromkeys(ids, weight))
        return
    both = ids.intersection(scores)
    for d in both:
        scores[d] += weight
    if len(both) < len(ids):
        scores.update(dict.fromkeys(ids.difference(both), weight))


Ways = list[tuple[frozenset[int], float]]


def _word_ways(p: _Postings, word: str, tier: int) -> Ways:
    """The ways one query word matches: (documents, weight) per indexed term. Tier 0: the exact
    word and its equivalents; 1: also one typing mistake (unless the word is a common name) and
    sound-alikes; 2: also two typing mistakes."""
    ways: Ways = [(p.ids("name", word), W_EXACT)]
    ways.extend((p.ids("name_eq", key), W_EQUIVALENT) for key in names.equivalence_keys(word))
    if tier == 0:
        return ways
    common = tier == 1 and p.frequency("name", word) >= COMMON_WORD_DOCUMENTS
    if len(word) >= 2 and not common:
        # One typing mistake outranks a mere sound-alike (bench: "Priya Johnso" lost Johnson
        # to a page of Priya Joneses when the phonetic code weighed more).
        # Each counts once however many near words or codes a name has (a name matching both
        # sound-alike codes of "Johnso" must not outrank one a single letter away).
        near = [p.ids("name", w) for w in p.within("name", word, 1 if tier == 1 else 2)]
        near.extend(p.ids("name", swap) for swap in names.swaps(word))
        ways.append((frozenset().union(*near), W_TYPO))
    sounds = [p.ids("name_dm", code) for code in names.sound_codes(word)]
    ways.append((frozenset().union(*sounds), W_SOUND))
    return ways


def _and(per_word: list[Ways]) -> dict[int, float]:
    """Documents matched by every word, with the weights of all the ways they matched summed.
    The documents are found with set operations first, so the Python work is only over those
    (a sound-alike code can match tens of thousands of documents that the other word excludes)."""
    if not per_word:
        return {}
    candidates: frozenset[int] | None = None
    for ways in sorted(per_word, key=lambda w: sum(len(ids) for ids, _ in w)):
        matched = frozenset().union(*(ids if candidates is None else ids & candidates for ids, _ in ways))
        candidates = matched
        if not candidates:
            return {}
    assert candidates is not None
    scores: dict[int, float] = {}
    for ways in per_word:
        for ids, weight in ways:
            _add(scores, ids & candidates, weight)
    return scores


def name_matches(p: _Postings, query_words: list[str], tier: int) -> dict[int, float] | None:
    """Documents matching every name word (initials are dropped unless they are all there is:
    "Dr W Williams" - they narrow nothing reliably); None when there are no words."""
    query_words = [w for w in query_words if len(w) > 1] or query_words
    if not query_words:
        return None
    return _and([_word_ways(p, w, tier) for w in dict.fromkeys(query_words)])


def _org_scores(p: _Postings, query_words: list[str]) -> dict[int, float] | None:
    kept = [w for w in query_words if w not in ORG_WORDS_IGNORED]
    if not kept:
        return None
    per_word: list[Ways] = []
    for i, word in enumerate(kept):
        ways: Ways = [(p.ids("words", word), 3.0)]
        if len(word) >= 4:
            ways.extend((p.ids("words", near), 1.0) for near in p.within("words", word, 1))
        if i == len(kept) - 1 and len(word) >= 3:  # "Medtr" while still typing
            ways.extend((p.ids("words", longer), 1.0) for longer in p.prefixed("words", word))
        per_word.append(ways)
    return _and(per_word)


def resolve_orgs(directory: str, query: str) -> list[OrgMatch]:
    s = searcher(directory, ORGS)
    scores = _org_scores(_Postings(s), names.words(query))
    if not scores:
        return []
    found = []
    for docnum in _top(scores, MAX_ORG_MATCHES):
        stored = s.stored_fields(docnum)
        found.append(
            OrgMatch(
                kind=stored["kind"], key=stored["key"], label=stored["label"], slug=stored.get("slug", "")
            )
        )
    return found


def search(directory: str, query: str, page: int, per_page: int) -> Found:
    people = searcher(directory, PEOPLE)
    p = _Postings(people)
    limit = page * per_page
    number = registration_number(query)
    orgs: list[OrgMatch] = []
    scores: dict[int, float] = {}
    matches: dict[int, float] = {}
    if number is not None:
        _add(scores, p.ids("reg", number), W_EXACT)
    else:
        orgs = resolve_orgs(directory, query)
        org_scores: dict[int, float] = {}
        for org in orgs:
            field_name = "providers" if org.kind == "provider" else "companies"
            _add(org_scores, p.ids(field_name, org.key.split(":", 1)[1]), W_ORG)
        query_words = names.name_words(query)
        # Tiered, as search-notes.md found fastest: when exact names (and equivalents) already
        # fill the page, the typing-mistake and sound-alike tier is not run at all.
        exact = name_matches(p, query_words, tier=0)
        if exact is None and not org_scores:
            return Found([], 0, [], [])
        # A query of three or more words that names an organisation is not a misspelt person's
        # name: the fuzzy tier over those words was the slowest case measured.
        names_an_org = bool(org_scores) and len(query_words) >= 3
        matches = exact or {}
        fills_page = exact is not None and len(exact.keys() | org_scores.keys()) >= limit
        if exact is not None and not fills_page and not names_an_org:
            matches = name_matches(p, query_words, tier=1) or {}
        scores = dict(matches)
        _add(scores, frozenset(org_scores), W_ORG)
        if not scores and exact is not None:
            # Nothing: allow two typing mistakes before giving up.
            matches = name_matches(p, query_words, tier=2) or {}
            scores = dict(matches)
    # Only the page's documents are ranked in full and loaded; the total is exact.
    ranked = _top(scores, limit)
    companies = {org.key.split(":", 1)[1]: org.label for org in orgs if org.kind == "company"}
    hits = []
    for docnum in ranked[(page - 1) * per_page : limit]:
        stored = people.stored_fields(docnum)
        company_keys = [k for k in (stored.get("companies") or "").split() if k in companies]
        display = json.loads(stored.get("display") or "{}")
        provider_keys = [
            org.key for org in orgs if org.kind == "provider" and docnum in p.ids("providers", org.key[2:])
        ]
        hits.append(
            Hit(
                professional_id=int(stored["id"]),
                companies=[companies[k] for k in company_keys],
                display=display,
                by_name=number is not None or docnum in matches,
                org_keys=provider_keys + [f"c:{k}" for k in company_keys],
            )
        )
    found = Found(
        hits=hits,
        total=len(scores),
        providers=[o for o in orgs if o.kind == "provider"],
        companies=[o for o in orgs if o.kind == "company"],
    )
    if found.total == 0 and not found.providers and not found.companies and number is None:
        found.suggestion = suggest(directory, query)
    return found


def _top(scores: dict[int, float], limit: int) -> list[int]:
    """The ``limit`` best documents, best first, ties in document order. Weights take few
    distinct values, so the cut-off is found by counting them, and only documents above it are
    sorted (a common surname matches thousands)."""
    if len(scores) <= limit:
        return sorted(scores, key=lambda d: (-scores[d], d))
    enough = 0
    cutoff = 0.0
    for weight, count in sorted(Counter(scores.values()).items(), reverse=True):
        enough += count
        cutoff = weight
        if enough >= limit:
            break
    best = [d for d, w in scores.items() if w > cutoff]
    best.sort(key=lambda d: (-scores[d], d))
    tied = sorted([d for d, w in scores.items() if w == cutoff])
    return best + tied[: limit - len(best)]


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


def _unused_company_keys(directory: str, keys: set[str], being_rewritten: set[int]) -> set[str]:
    """Of these company keys, those no professional outside ``being_rewritten`` still declares."""
    if not keys:
        return set()
    people = searcher(directory, PEOPLE)
    unused = set()
    for key in keys:
        hits = people.search(Term("companies", key), limit=len(being_rewritten) + 1)
        if all(int(hit["id"]) in being_rewritten for hit in hits):
            unused.add(key)
    return unused


# --- the Backend -----------------------------------------------------------------------------------

# Beside the index: the UK day up to which the whole index was last made current (by a rebuild or a
# refresh). It lives with the index because each copy of the app has its own (SEARCH_INDEX_DIR).
_REFRESHED_ON_FILE = "refreshed-on"


class _Writer:
    """Both indexes' write locks (people, then orgs: one order everywhere), and the changes."""

    def __init__(self, directory: str, rebuild: bool) -> None:
        self.directory = directory
        self.rebuild = rebuild
        if rebuild:
            create(directory)
        self.people = writer(directory, PEOPLE, **({"limitmb": 256} if rebuild else {}))
        try:
            self.orgs = writer(directory, ORGS)
        except BaseException:
            self.people.cancel()
            raise
        self.changed: dict[int, PersonDocument | None] = {}
        self.providers: list[ProviderDocument] = []
        self.companies: dict[str, str] = {}  # key -> label, for a rebuild

    def put_people(self, documents: Mapping[int, PersonDocument | None]) -> None:
        if not self.rebuild:
            self.changed.update(documents)
            return
        for doc in documents.values():
            if doc is not None:
                self.people.add_document(**people_document(doc))
                for company in doc.companies:
                    self.companies.setdefault(names.company_key(company), company)

    def put_providers(self, providers: Iterable[ProviderDocument]) -> None:
        self.providers.extend(providers)

    def commit(self) -> None:
        if self.rebuild:
            for provider in self.providers:
                self.orgs.add_document(**provider_document(provider))
            for label in self.companies.values():
                self.orgs.add_document(**company_document(label))
            self.orgs.commit(mergetype=writing.CLEAR)
            self.people.commit(mergetype=writing.CLEAR)
            return
        if not self.changed and not self.providers:
            self.cancel()
            return
        old_keys = company_keys_of(self.directory, self.changed)
        labels: dict[str, str] = {}
        for doc in self.changed.values():
            for company in doc.companies if doc is not None else ():
                labels.setdefault(names.company_key(company), company)
        # Companies: add the new, remove those nobody else still publishes.
        orgs = searcher(self.directory, ORGS)
        for key, label in labels.items():
            if orgs.document(key=f"c:{key}") is None:
                self.orgs.add_document(**company_document(label))
        maybe_gone = set().union(*old_keys.values()) - set(labels) if old_keys else set()
        removed = _unused_company_keys(self.directory, maybe_gone, set(self.changed))
        for key in removed:
            self.orgs.delete_by_term("key", f"c:{key}")
        for provider in self.providers:
            self.orgs.update_document(**provider_document(provider))
        # A removed company name must not linger in deleted segments: merge the small index.
        self.orgs.commit(optimize=bool(removed))
        for pid, doc in self.changed.items():
            if doc is not None:
                self.people.update_document(**people_document(doc))
            else:
                self.people.delete_by_term("id", str(pid))
        self.people.commit()

    def cancel(self) -> None:
        for w in (self.orgs, self.people):
            if not w.is_closed:
                w.cancel()


class WhooshBackend:
    """The embedded backend: two Whoosh indexes in one directory on this server's disk."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def exists(self) -> bool:
        return exists(self.directory)

    def document_count(self) -> int:
        return doc_count(self.directory)

    @contextmanager
    def writing(self, *, rebuild: bool = False) -> Iterator[_Writer]:
        w = _Writer(self.directory, rebuild)
        try:
            yield w
            w.commit()
        except BaseException:
            w.cancel()
            raise

    def search(self, query: str, page: int, per_page: int) -> Found:
        return search(self.directory, query, page, per_page)

    def recheck(self, hit: Hit, document: PersonDocument) -> Hit | None:
        fields = people_document(document)
        linked = {f"p:{p}" for p in document.provider_ids} | {f"c:{k}" for k in fields["companies"].split()}
        if not hit.by_name and not linked.intersection(hit.org_keys):
            return None
        labels = {names.company_key(c): c for c in document.companies}
        hit.companies = [labels[k[2:]] for k in hit.org_keys if k in linked and k.startswith("c:")]
        hit.display = json.loads(fields["display"])
        return hit

    def refreshed_on(self) -> date | None:
        try:
            return date.fromisoformat((Path(self.directory) / _REFRESHED_ON_FILE).read_text().strip())
        except (OSError, ValueError):
            return None

    def note_refreshed(self, day: date) -> None:
        path = Path(self.directory) / _REFRESHED_ON_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(day.isoformat() + "\n")
        temporary.replace(path)

    def remove(self) -> None:
        close_searchers()
        shutil.rmtree(self.directory, ignore_errors=True)
