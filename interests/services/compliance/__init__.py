"""Compliance figures for every provider on any date, computed by the database.

Rooms: `terms` (cut-offs, queries, rows), `in_scope` (who is in scope and their status: the one
query builder), `overview` (every provider), `provider_page` (one provider), `snapshots`.

The rules live in `interests.rules.compliance` (pure Python, one engagement at a time). This module
asks the database the same question for all providers at once, with one grouped query, so the
inspectors' overview stays fast at national size. `tests/db/test_compliance_queries.py` proves the
two agree, engagement by engagement.

How the rules become SQL:

- In scope on `as_of`: an engagement with start_date <= as_of and (no end_date or end_date >= as_of).
- A professional counts once per provider. With two engagements active at one provider on `as_of`,
  the one that started first (then the lowest id) is theirs: its start date and its engagement type
  are used. (Someone who is both an employee and bank staff at one trust is one person to declare.)
- The last declaration is the latest one to that provider dated on or before `as_of`.
- The calendar-month anniversary (29 February + 12 months = 28 February) cannot be written portably
  in SQL, so the cut-off dates are worked out in Python with the rules' own `anniversary_of` and
  passed as parameters: "declared" is `last >= declared_from`, where declared_from is the earliest
  declaration date whose anniversary is after `as_of`. Because the anniversary only ever moves
  forward as the declaration date does, that one comparison is exactly the rules' `as_of <
  anniversary_of(last)`. Likewise for the 28 days after an anniversary (`due_from`) and after a start.

Snapshots: at national size the aggregate takes seconds (PostgreSQL) to minutes (SQLite), so
`take_snapshot` (run nightly: `flask --app interests compliance snapshot`) stores its result for a
date, one row per provider (`ComplianceSnapshot`), and records the run as finished. The overview and
its export read a date's snapshot when its run has finished, and the same filters, sorting, ratings
and totals are applied to the stored figures in SQL; otherwise they aggregate live, as before.

The provider page (`provider_summary`, `trend`, `people_needing_attention`) stays live for its date:
one grouped pass over the provider's people gives every figure and the length of each "missing"
and "overdue" list; each list's first page is read in start order from an index and stops once
full; the 12-month chart reuses the page's own figures for its last day, reads earlier month ends
from their snapshots where a finished one exists, and works out any others together in one pass.
"""

from __future__ import annotations

from interests.services.compliance.in_scope import in_scope_people, people_with_status, status_expression
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
    Cutoffs,
    OverviewPage,
    OverviewQuery,
    ProviderRow,
    Totals,
    first_declaration_date_counting_on,
)

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
    "in_scope_people",
    "month_ends",
    "overview_page",
    "overview_rows",
    "people_needing_attention",
    "people_page",
    "people_with_status",
    "provider_row",
    "provider_summary",
    "rating_in_sql",
    "status_expression",
    "statuses_at",
    "take_snapshot",
    "trend",
]
