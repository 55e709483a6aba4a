"""THE one place that decides what is published. Every public page, download, API response and
the search index read published data through these functions, never from the models directly.

Published, for a provider (rules in ``interests.rules.publication``):
- each in-scope professional's LATEST declaration to that provider (a declaration is a snapshot:
  the latest replaces the earlier ones there); a nil return shows "No interests declared";
- of its items, those whose interest has no pending or approved withholding request at that
  provider, and which ended no more than 6 months ago (or have not ended);
- how many of its items are withheld (or awaiting a decision): only the number. A professional
  whose entries are all withheld stays listed, so that disappearing reveals nothing;
- the provider's management action beside each entry, once recorded.
Only interest versions that were sent in a declaration are ever read here: drafts and unsent
versions are never reachable. Nothing here reads an email address or an account.

Rooms: `published` (what is published, as SQL: the rules as conditions, and declarations read
with their entries), `providers` (a provider's register pages, downloads and counts, and the list
of providers), `professionals` (a professional's record and the summaries search results show),
`search_feed` (the search index's documents, and who changes by the date alone), `changes` (what
changed, as published: the Atom feeds and the alert digests). What callers use
is re-exported here: `from interests.services import register` then `register.register_page(...)`.
"""

from __future__ import annotations

from interests.services.register.changes import (
    Change,
    professional_changes,
    provider_changes,
)
from interests.services.register.professionals import (
    ProfessionalRecord,
    ProfessionalSummary,
    ReportedPayment,
    professional_record,
    professional_summaries,
)
from interests.services.register.providers import (
    MAX_PER_PAGE,
    iter_register,
    last_updated,
    provider_by_slug,
    providers_by_ids,
    providers_page,
    published_count,
    register_page,
    withheld_count,
)
from interests.services.register.published import (
    Entry,
    PublishedDeclaration,
    RegisterFilters,
    roles,
)
from interests.services.register.search_feed import (
    all_providers,
    any_declaration_sent,
    max_professional_id,
    professionals_at_provider,
    professionals_changed_by_date,
    search_documents,
)

__all__ = [
    "Change",
    "Entry",
    "MAX_PER_PAGE",
    "ProfessionalRecord",
    "ProfessionalSummary",
    "ReportedPayment",
    "PublishedDeclaration",
    "RegisterFilters",
    "all_providers",
    "any_declaration_sent",
    "iter_register",
    "last_updated",
    "max_professional_id",
    "professional_changes",
    "professional_record",
    "professional_summaries",
    "professionals_at_provider",
    "professionals_changed_by_date",
    "provider_by_slug",
    "providers_by_ids",
    "provider_changes",
    "providers_page",
    "published_count",
    "register_page",
    "roles",
    "search_documents",
    "withheld_count",
]
