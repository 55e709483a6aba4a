"""The register as open data: the same rows for a provider's register.csv, the national download
(`services/national_data.py`), the register.json download and the API.

Column names are a contract (documented in interests/api/openapi.json): add, never rename.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from interests.models import Provider
from interests.services.downloads import csv_lines
from interests.services.outbox import absolute_url
from interests.services.register.professionals import ReportedPayment
from interests.services.register.providers import iter_register, last_updated, withheld_count
from interests.services.register.published import Entry, PublishedDeclaration

CSV_COLUMNS = (
    "professional_id",
    "name",
    "registration",
    "role",
    "declaration_reference",
    "declared_on",
    "nil_return",
    "category",
    "type",
    "other_party",
    "description",
    "relationship",
    "value_pounds",
    "date_from",
    "date_to",
    "management_action",
    "withheld_entries",  # how many of the declaration's entries are withheld: a count, never what
)


def _pounds(pence: int | None) -> str | None:
    return None if pence is None else f"{pence // 100}.{pence % 100:02d}"


def declaration_rows(d: PublishedDeclaration) -> Iterator[dict[str, Any]]:
    base = {
        "professional_id": d.professional_id,
        "name": d.professional_name,
        "registration": d.registration,
        "role": d.role,
        "declaration_reference": d.reference,
        "declared_on": d.declared_on.isoformat(),
        "nil_return": d.nil_return,
        "withheld_entries": d.withheld,
    }
    empty = dict.fromkeys(CSV_COLUMNS[7:-1])
    if d.nil_return or not d.entries:
        # A nil return, or a declaration whose entries are all withheld: one row, no entry.
        yield {**base, **empty}
        return
    for e in d.entries:
        yield {**base, **_entry_values(e)}


def rows(provider: Provider, today: date) -> Iterator[dict[str, Any]]:
    for d in iter_register(provider, today):
        yield from declaration_rows(d)


def register_csv_lines(provider: Provider, today: date) -> Iterator[str]:
    """A provider's register.csv, a line at a time: CSV_COLUMNS, then its rows, every cell made safe."""
    return csv_lines(CSV_COLUMNS, ([row[column] for column in CSV_COLUMNS] for row in rows(provider, today)))


def _entry_values(e: Entry) -> dict[str, Any]:
    """A published entry's values, as every open-data form gives them (a CSV row's entry columns)."""
    return {
        "category": e.category,
        "type": e.interest_type,
        "other_party": e.other_party,
        "description": e.description,
        "relationship": e.relationship_to_professional,
        "value_pounds": _pounds(e.value_pence),
        "date_from": e.date_from.isoformat(),
        "date_to": e.date_to.isoformat() if e.date_to else None,
        "management_action": e.management_action,
    }


def entry_json(e: Entry) -> dict[str, Any]:
    """The entry's values with their labels in plain English, each label after its code."""
    values = _entry_values(e)
    return {
        "category": values["category"],
        "category_label": e.category_label,
        "type": values["type"],
        "type_label": e.type_label,
        **values,
    }


def declaration_json(d: PublishedDeclaration) -> dict[str, Any]:
    return {
        "reference": d.reference,
        "professional_id": d.professional_id,
        "name": d.professional_name,
        "registration": d.registration,
        "role": d.role,
        "provider": d.provider_slug,
        "provider_name": d.provider_name,
        "declared_on": d.declared_on.isoformat(),
        "nil_return": d.nil_return,
        "entries": [entry_json(e) for e in d.entries],
        "withheld_entries": d.withheld,
    }


def reported_payment_json(p: ReportedPayment) -> dict[str, Any]:
    return {
        "company": p.company,
        "year": p.year,
        "registration_fees": _pounds(p.amounts["registration_fees"]),
        "travel_and_accommodation": _pounds(p.amounts["travel"]),
        "fees_for_service_and_consultancy": _pounds(p.amounts["fees"]),
        "related_expenses": _pounds(p.amounts["related_expenses"]),
        "total": _pounds(p.total_pence),
        "shown_because": "confirmed_by_professional" if p.confirmed else "registration_number",
        "source": "Disclosure UK",
    }


def provider_json(provider: Provider) -> dict[str, Any]:
    return {
        "slug": provider.slug,
        "name": provider.name,
        "kind": provider.kind,
        "region": provider.region,
        "cqc_provider_id": provider.cqc_provider_id,
        "ods_code": provider.ods_code,
        "website_url": provider.website_url,
        "register_url": absolute_url("public.provider_register", slug=provider.slug),
    }


def register_document(provider: Provider, today: date) -> dict[str, Any]:
    """The whole published register of a provider (the /register.json download)."""
    updated = last_updated(provider)
    return {
        "provider": provider_json(provider),
        "contact": {
            "name": provider.contact_name,
            "email": provider.contact_email,
            "phone": provider.contact_phone,
        },
        "last_updated": updated.isoformat() if updated else None,
        "withheld_entries": withheld_count(provider, today),
        "declarations": [declaration_json(d) for d in iter_register(provider, today)],
    }
