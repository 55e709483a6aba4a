"""Compliance figures for every provider on any date, computed by the database.

Rooms: `terms` (queries, rows), `overview` (every provider), `provider_page` (one provider),
`snapshots`.

The rules live in `interests.rules.compliance` (pure Python, one engagement at a time). This module
asks the database the same question for all providers at once, with one grouped query, so the
inspectors' overview stays fast at national size. `tests/db/test_compliance_queries.py` proves the
two agree, engagement by engagement.

Who is in scope and each person's status are `interests.services.scope`'s, the one definition the
staff page, reminders and the register read too: in scope on `as_of`, one engagement (the first
started) per professional per provider, their last declaration to that provider on or before
`as_of`, and the status from cut-off dates worked out in Python (`Cutoffs`, re-exported here).
Where `latest_declaration` answers the date (always for today) the people in scope are read from
`counted_engagement`, the engagement that counts kept with every write (`scope.in_scope_people`).

Industry payments not declared (a figure per provider, beside withholdings) are
`services.disclosure.staff.undeclared_by_provider`'s: the provider's own list's payments, less the
possible matches nobody has confirmed, one grouped query joined like withholdings.

Snapshots: at national size the aggregate takes seconds (PostgreSQL) to minutes (SQLite), so
`take_snapshot` (run nightly: `flask --app interests compliance snapshot`) stores its result for a
date, one row per provider (`ComplianceSnapshot`), and records the run as finished. The overview and
its export read a date's snapshot when its run has finished, and the same filters, sorting, ratings
and totals are applied to the stored figures in SQL; otherwise they aggregate live, as before.

The provider page (`provider_summary`, `trend`, `people_needing_attention`) stays live for its date
(from the kept rows, so no ranking): one grouped pass over the provider's people gives every figure
and the length of each "missing" and "overdue" list; each list's first page is read in start order
from an index and stops once full; the 12-month chart reuses the page's own figures for its last
day, reads earlier month ends from their snapshots where a finished one exists, and works out any
others together in one pass.
"""

from __future__ import annotations

from interests.services.compliance.overview import (
    finished_snapshot,
    overview_page,
    overview_rows,
    rating_in_sql,
)
from interests.services.compliance.provider_page import (
    ATTENTION_STATUSES,
    MonthPoint,
    PeopleList,
    Person,
    ProviderSummary,
    month_ends,
    people_needing_attention,
    people_page,
    provider_row,
    provider_summary,
    trend,
)
from interests.services.compliance.snapshots import SNAPSHOT_CHUNK, statuses_at, take_snapshot
from interests.services.compliance.terms import (
    MAX_SEARCH_LENGTH,
    MEMBER_LIST_LIMIT,
    RATING_ORDER,
    SORT_COLUMNS,
    TYPE_CODES,
    OverviewPage,
    OverviewQuery,
    ProviderRow,
    Totals,
)
from interests.services.scope import Cutoffs, first_declaration_date_counting_on

__all__ = [
    "ATTENTION_STATUSES",
    "Cutoffs",
    "MAX_SEARCH_LENGTH",
    "MEMBER_LIST_LIMIT",
    "MonthPoint",
    "OverviewPage",
    "OverviewQuery",
    "PeopleList",
    "Person",
    "ProviderRow",
    "ProviderSummary",
    "RATING_ORDER",
    "SNAPSHOT_CHUNK",
    "SORT_COLUMNS",
    "TYPE_CODES",
    "Totals",
    "finished_snapshot",
    "first_declaration_date_counting_on",
    "month_ends",
    "overview_page",
    "overview_rows",
    "people_needing_attention",
    "people_page",
    "provider_row",
    "provider_summary",
    "rating_in_sql",
    "statuses_at",
    "take_snapshot",
    "trend",
]
