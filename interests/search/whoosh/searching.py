"""Building and answering a query over the two indexes: a registration number, or names in tiers
(exact and equivalent names; one typing mistake and sound-alikes; two typing mistakes), and the
providers and companies a query names.

Queries are built in code, never with QueryParser. Organisations are resolved first in the small
``orgs`` index; the professionals linked to the matched ids are then fetched from ``people``
(search-notes.md: phrase queries over the big index were 10-100 times slower).
"""

from __future__ import annotations

import json

from interests.search import names, tiers
from interests.search.documents import Found, Hit, OrgMatch
from interests.search.queries import MAX_ORG_MATCHES, W_EXACT, W_ORG, registration_number
from interests.search.tiers import Way
from interests.search.whoosh.indexes import ORGS, PEOPLE, searcher
from interests.search.whoosh.postings import Postings, Ways, add_weight, match_every_word, top


def _ids(p: Postings, ways: list[Way]) -> Ways:
    """The documents each way matches (the union over its terms), with its weight."""
    return [(frozenset().union(*(p.ids(f, t) for f, t in terms)), weight) for terms, weight in ways]


def name_matches(p: Postings, query_words: list[str], tier: int) -> dict[int, float] | None:
    """Documents matching every name word (tiers.py); None when there are no words."""
    kept = tiers.query_name_words(query_words)
    if not kept:
        return None
    return match_every_word([_ids(p, tiers.word_ways(p, w, tier)) for w in kept])


def _org_scores(p: Postings, query_words: list[str]) -> dict[int, float] | None:
    per_word = tiers.org_word_ways(p, query_words)
    if per_word is None:
        return None
    return match_every_word([_ids(p, ways) for ways in per_word])


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
