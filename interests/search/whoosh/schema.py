"""What the two Whoosh indexes hold: their schemas, and the fields of each document.

- ``people``: one document per professional with something published. It holds name terms,
  sound-alike codes, name-equivalence keys, the registration number, provider ids and opaque
  company keys - no company names and nothing that is not published.
- ``orgs``: a small index of providers and companies (the other parties of published entries).

The name terms, codes and keys come from interests/search/names.py, shared by every engine.
"""

from __future__ import annotations

import json
import re
from typing import Any

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from interests.search import names
from interests.search.documents import PersonDocument, ProviderDocument


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
