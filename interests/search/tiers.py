"""How each query word is matched, whichever engine answers: the ways a word can match (indexed
terms with a weight), tier by tier (queries.py).

An engine supplies its vocabulary (`Vocabulary`) and evaluates the ways: a document matches when
every query word matches it one way or another, and scores the weights of every way it matched.
"""

from __future__ import annotations

from typing import Protocol

from interests.search import names
from interests.search.queries import (
    COMMON_WORD_DOCUMENTS,
    ORG_WORDS_IGNORED,
    W_EQUIVALENT,
    W_EXACT,
    W_SOUND,
    W_TYPO,
)

# One way of matching: the (field, term) pairs that count, and the weight it adds once.
Way = tuple[tuple[tuple[str, str], ...], float]


class Vocabulary(Protocol):
    def frequency(self, fieldname: str, text: str) -> int:
        """How many documents hold the term (an engine may stop counting at COMMON_WORD_DOCUMENTS)."""

    def within(self, fieldname: str, text: str, maxdist: int) -> list[str]:
        """Indexed words at most ``maxdist`` edits away (first letter kept), ``text`` included."""

    def prefixed(self, fieldname: str, prefix: str) -> list[str]:
        """Indexed words starting with ``prefix``."""


def word_ways(vocabulary: Vocabulary, word: str, tier: int) -> list[Way]:
    """The ways one query word matches a professional's name. Tier 0: the exact word and its
    equivalents; 1: also one typing mistake (unless the word is a common name) and sound-alikes;
    2: also two typing mistakes."""
    ways: list[Way] = [((("name", word),), W_EXACT)]
    ways.extend(((("name_eq", key),), W_EQUIVALENT) for key in names.equivalence_keys(word))
    if tier == 0:
        return ways
    common = tier == 1 and vocabulary.frequency("name", word) >= COMMON_WORD_DOCUMENTS
    if len(word) >= 2 and not common:
        # One typing mistake outranks a mere sound-alike (bench: "Priya Johnso" lost Johnson
        # to a page of Priya Joneses when the phonetic code weighed more).
        # Each counts once however many near words or codes a name has (a name matching both
        # sound-alike codes of "Johnso" must not outrank one a single letter away).
        near = vocabulary.within("name", word, 1 if tier == 1 else 2) + names.swaps(word)
        ways.append((tuple(("name", w) for w in dict.fromkeys(near)), W_TYPO))
    ways.append((tuple(("name_dm", code) for code in names.sound_codes(word)), W_SOUND))
    return ways


def query_name_words(query_words: list[str]) -> list[str]:
    """The words a professional's name must match: initials are dropped unless they are all there
    is ("Dr W Williams" - they narrow nothing reliably); each word once."""
    return list(dict.fromkeys([w for w in query_words if len(w) > 1] or query_words))


def org_word_ways(vocabulary: Vocabulary, query_words: list[str]) -> list[list[Way]] | None:
    """The ways each word of a query matches an organisation's name (None: no words to match)."""
    kept = [w for w in query_words if w not in ORG_WORDS_IGNORED]
    if not kept:
        return None
    per_word: list[list[Way]] = []
    for i, word in enumerate(kept):
        ways: list[Way] = [((("words", word),), 3.0)]
        if len(word) >= 4:
            ways.extend(((("words", near),), 1.0) for near in vocabulary.within("words", word, 1))
        if i == len(kept) - 1 and len(word) >= 3:  # "Medtr" while still typing
            ways.extend(((("words", longer),), 1.0) for longer in vocabulary.prefixed("words", word))
        per_word.append(ways)
    return per_word
