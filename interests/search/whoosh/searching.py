"""Building and answering a query over the two indexes: a registration number, or names in tiers
(exact and equivalent names; one typing mistake and sound-alikes; two typing mistakes), and the
providers and companies a query names.

Queries are built in code, never with QueryParser. Organisations are resolved first in the small
``orgs`` index; the professionals linked to the matched ids are then fetched from ``people``
(search-notes.md: phrase queries over the big index were 10-100 times slower).
"""

from __future__ import annotations

import json

from interests.search import names
from interests.search.documents import Found, Hit, OrgMatch
from interests.search.queries import (
    COMMON_WORD_DOCUMENTS,
    MAX_ORG_MATCHES,
    ORG_WORDS_IGNORED,
    W_EQUIVALENT,
    W_EXACT,
    W_ORG,
    W_SOUND,
    W_TYPO,
    registration_number,
)
from interests.search.whoosh.indexes import ORGS, PEOPLE, searcher
from interests.search.whoosh.postings import Postings, Ways, add_weight, match_every_word, top


def _word_ways(p: Postings, word: str, tier: int) -> Ways:
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


def name_matches(p: Postings, query_words: list[str], tier: int) -> dict[int, float] | None:
    """Documents matching every name word (initials are dropped unless they are all there is:
    "Dr W Williams" - they narrow nothing reliably); None when there are no words."""
    query_words = [w for w in query_words if len(w) > 1] or query_words
    if not query_words:
        return None
    return match_every_word([_word_ways(p, w, tier) for w in dict.fromkeys(query_words)])


def _org_scores(p: Postings, query_words: list[str]) -> dict[int, float] | None:
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
    return match_every_word(per_word)


def resolve_orgs(directory: str, query: str) -> list[OrgMatch]:
    s = searcher(directory, ORGS)
    scores = _org_scores(Postings(s), names.words(query))
    if not scores:
        return []
    found = []
    for docnum in top(scores, MAX_ORG_MATCHES):
        stored = s.stored_fields(docnum)
        found.append(
            OrgMatch(
                kind=stored["kind"], key=stored["key"], label=stored["label"], slug=stored.get("slug", "")
            )
        )
    return found


def search(directory: str, query: str, page: int, per_page: int) -> Found:
    people = searcher(directory, PEOPLE)
    p = Postings(people)
    limit = page * per_page
    number = registration_number(query)
    orgs: list[OrgMatch] = []
    scores: dict[int, float] = {}
    matches: dict[int, float] = {}
    if number is not None:
        add_weight(scores, p.ids("reg", number), W_EXACT)
    else:
        orgs = resolve_orgs(directory, query)
        org_scores: dict[int, float] = {}
        for org in orgs:
            field_name = "providers" if org.kind == "provider" else "companies"
            add_weight(org_scores, p.ids(field_name, org.key.split(":", 1)[1]), W_ORG)
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
        add_weight(scores, frozenset(org_scores), W_ORG)
        if not scores and exact is not None:
            # Nothing: allow two typing mistakes before giving up.
            matches = name_matches(p, query_words, tier=2) or {}
            scores = dict(matches)
    # Only the page's documents are ranked in full and loaded; the total is exact.
    ranked = top(scores, limit)
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
