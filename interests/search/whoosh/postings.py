"""Posting lists read into Python sets, and the set arithmetic that scores and ranks them.

Queries are evaluated in code over Whoosh's posting lists, not with Whoosh's matcher tree or
scorer (see "Why not Whoosh's own And/Or matchers" below).
"""

from __future__ import annotations

import bisect
import itertools
import threading
import weakref
from collections import Counter
from typing import Any

from whoosh.searching import Searcher

# Why not Whoosh's own And/Or matchers and scorer: at 200,000 professionals a common surname
# matches thousands of documents, and walking them through a tree of Python matchers cost
# ~130 us each (engine p95 ~130 ms). Here each term's posting list is read once into a set
# (a block at a time), the words' sets are intersected with C set operations, and fixed weights
# are summed only over the documents every word matched; the total is exact. Ties rank by
# document order (stable between requests and pages). bench/search.py at 200k: engine p95 ~13 ms.


class Postings:
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


def add_weight(scores: dict[int, float], ids: frozenset[int], weight: float) -> None:
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


def match_every_word(per_word: list[Ways]) -> dict[int, float]:
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
            add_weight(scores, ids & candidates, weight)
    return scores


def top(scores: dict[int, float], limit: int) -> list[int]:
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
