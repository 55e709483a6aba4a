"""What the inspect pages show: columns, sort links, page links and CSV rows (no queries here)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import url_for
from werkzeug.routing import BuildError

from interests.frontend import UK_TIME, govuk_date
from interests.rules.vocabulary import ENGAGEMENT_TYPES
from interests.services.compliance import ProviderRow

_TYPE_HEADINGS = {
    "employee": "Employee",
    "bank": "Bank",
    "locum": "Locum",
    "practising_privileges": "Practising privileges",
    "contractor": "Contractor",
}


@dataclass(frozen=True)
class Column:
    key: str  # the sort key (services.compliance.SORT_COLUMNS)
    heading: str
    numeric: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("name", "Provider", numeric=False),
    Column("in_scope", "In scope"),
    Column("percent_declared", "Declared"),
    *(Column(f"percent_{term.code}", f"{_TYPE_HEADINGS[term.code]} declared") for term in ENGAGEMENT_TYPES),
    Column("due", "Due"),
    Column("overdue", "Overdue"),
    Column("missing", "Missing"),
    Column("withheld", "Withheld"),
    Column("undeclared_payments", "Payments not declared"),
    Column("published", "Register last published", numeric=False),
    Column("rating", "Rating", numeric=False),
)


def format_percent(value: float | None) -> str:
    """Whole percent, rounded down so that 99.6% never shows as 100%; '' when nobody is in scope."""
    return "" if value is None else f"{math.floor(value + 1e-9)}%"


def query_string(state: dict[str, str], **changes: str | int) -> str:
    values = {**state, **{key: str(value) for key, value in changes.items()}}
    kept = {key: value for key, value in values.items() if value and not (key == "page" and value == "1")}
    return "?" + urlencode(kept) if kept else ""


def overview_url(state: dict[str, str], **changes: str | int) -> str:
    return url_for("inspect.overview") + query_string(state, **changes)


@dataclass(frozen=True)
class Header:
    column: Column
    href: str
    aria_sort: str | None  # "ascending" / "descending" on the sorted column only
    next_order: str  # what following the link does, for screen readers


def sort_headers(state: dict[str, str]) -> list[Header]:
    current = state.get("sort") or "name"
    descending = state.get("order") == "descending"
    headers = []
    for column in COLUMNS:
        is_current = column.key == current
        go_descending = is_current and not descending
        headers.append(
            Header(
                column=column,
                href=overview_url(
                    state,
                    sort="" if column.key == "name" else column.key,
                    order="descending" if go_descending else "",
                    page=1,
                ),
                aria_sort=("descending" if descending else "ascending") if is_current else None,
                next_order="descending" if go_descending else "ascending",
            )
        )
    return headers


def calculated_when(calculated_at: datetime | None) -> str:
    """When the figures on the page were worked out, in plain English and UK time:
    "Figures calculated at 3:05am on 23 November 2026", or "just now" when worked out live."""
    if calculated_at is None:
        return "Figures calculated just now"
    if calculated_at.tzinfo is None:
        calculated_at = calculated_at.replace(tzinfo=UTC)
    local = calculated_at.astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"Figures calculated at {hour}:{local.minute:02d}{suffix} on {govuk_date(local.date())}"


def published_on(row: ProviderRow) -> str:
    published = row.figures.register_last_published
    return govuk_date(published.date()) if published else "Never"


# The CSV has the screen's columns; the provider's CQC ID and ODS code, shown under its name on
# screen, get columns of their own so a spreadsheet can match on them.
def csv_header() -> list[str]:
    return ["Provider", "CQC provider ID", "ODS code", *(column.heading for column in COLUMNS[1:])]


def csv_row(row: ProviderRow) -> list[object]:
    figures = row.figures
    by_type = figures.percent_declared_by_type
    published = figures.register_last_published
    return [
        row.name,
        row.cqc_provider_id or "",
        row.ods_code or "",
        figures.in_scope,
        format_percent(figures.percent_declared),
        *(format_percent(by_type[term.code]) for term in ENGAGEMENT_TYPES),
        figures.due,
        figures.overdue,
        figures.missing,
        figures.withheld,
        figures.undeclared_payments,
        published.date().isoformat() if published else "",
        row.rating.label,
    ]


def public_register_url(slug: str) -> str:
    """The provider's public register as patients see it (built by the public blueprint)."""
    try:
        return url_for("public.provider_register", slug=slug)
    except BuildError:  # the public register is not registered in this build: its fixed address
        return f"/providers/{slug}"
