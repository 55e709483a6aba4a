"""What every engine indexes for a document: the terms of each field, what a result shows, and the
words of an organisation's name. Shared, so the engines find the same people the same way.

Fields of a professional (each a list of terms):

- ``name``: every name word (folded), with the joined forms of hyphenated and apostrophe names;
- ``name_dm``: the sound-alike codes of those words; ``name_eq``: their listed equivalents' keys;
- ``reg``: the registration number, alone and after its regulator's code;
- ``providers``: provider ids; ``companies``: opaque company keys (never a company's name).
"""

from __future__ import annotations

import re
from typing import Any

from interests.search import names
from interests.search.documents import Hit, PersonDocument, ProviderDocument

PERSON_FIELDS = ("name", "name_dm", "name_eq", "reg", "providers", "companies")


def person_terms(doc: PersonDocument) -> dict[str, list[str]]:
    """The terms of each field for one professional (published data only)."""
    terms: list[str] = []
    for name in (doc.given_name, doc.family_name, *doc.other_names):
        terms.extend(names.index_words(name))
    terms = list(dict.fromkeys(terms))
    codes: list[str] = []
    keys: list[str] = []
    for term in terms:
        codes.extend(names.sound_codes(term))
        keys.extend(names.equivalence_keys(term))
    number = re.sub(r"[^A-Z0-9]", "", doc.registration_number.upper())
    return {
        "name": terms,
        "name_dm": list(dict.fromkeys(codes)),
        "name_eq": list(dict.fromkeys(keys)),
        "reg": list(dict.fromkeys([number, doc.regulator.upper() + number])),
        "providers": [str(p) for p in doc.provider_ids],
        "companies": sorted({names.company_key(c) for c in doc.companies}),
    }


def also_held(field: str, text: str) -> list[tuple[str, str]]:
    """The terms every document holding this one also holds (as ``person_terms`` makes them): a
    name word's sound-alike codes and equivalence keys."""
    if field != "name":
        return []
    return [("name_dm", code) for code in names.sound_codes(text)] + [
        ("name_eq", key) for key in names.equivalence_keys(text)
    ]


def display(doc: PersonDocument) -> dict[str, Any]:
    """What a result shows without a database query: published facts only."""
    return {
        "name": doc.display_name,
        "profession": doc.profession,
        "specialty": doc.specialty,
        "registration": f"{doc.regulator} {doc.registration_number}",
        "providers": [list(p) for p in doc.providers],
        "fresh_until": doc.fresh_until.isoformat() if doc.fresh_until else None,
    }


def provider_words(provider: ProviderDocument) -> list[str]:
    return names.words(provider.name) + ([provider.ods_code.lower()] if provider.ods_code else [])


def company_words(label: str) -> list[str]:
    return names.words(label)


def recheck(hit: Hit, doc: PersonDocument) -> Hit | None:
    """The hit as this up-to-date document gives it, or None when the document no longer matches
    the way the hit was found (by name, or through an organisation it is no longer linked to)."""
    company_keys = person_terms(doc)["companies"]
    linked = {f"p:{p}" for p in doc.provider_ids} | {f"c:{k}" for k in company_keys}
    if not hit.by_name and not linked.intersection(hit.org_keys):
        return None
    labels = {names.company_key(c): c for c in doc.companies}
    hit.companies = [labels[k[2:]] for k in hit.org_keys if k in linked and k.startswith("c:")]
    hit.display = display(doc)
    return hit
