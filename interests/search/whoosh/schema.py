"""What the two Whoosh indexes hold: their schemas, and the fields of each document.

- ``people``: one document per professional with something published. It holds name terms,
  sound-alike codes, name-equivalence keys, the registration number, provider ids and opaque
  company keys - no company names and nothing that is not published.
- ``orgs``: a small index of providers and companies (the other parties of published entries).

The name terms, codes and keys come from interests/search/names.py, shared by every engine.
"""

from __future__ import annotations

import json
from typing import Any

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from interests.search import names
from interests.search.documents import PersonDocument, ProviderDocument
from interests.search.fields import company_words, display, person_terms, provider_words


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
    """Fields for one professional (published data only): the shared terms (fields.py), joined."""
    fields = {name: " ".join(terms) for name, terms in person_terms(doc).items()}
    return {"id": str(doc.professional_id), **fields, "display": json.dumps(display(doc))}


def provider_document(provider: ProviderDocument) -> dict[str, str]:
    return {
        "key": f"p:{provider.provider_id}",
        "kind": "provider",
        "label": provider.name,
        "slug": provider.slug,
        "words": " ".join(provider_words(provider)),
    }


def company_document(label: str) -> dict[str, str]:
    return {
        "key": f"c:{names.company_key(label)}",
        "kind": "company",
        "label": label,
        "slug": "",
        "words": " ".join(company_words(label)),
    }
