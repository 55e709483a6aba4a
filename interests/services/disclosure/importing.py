"""Importing a Disclosure UK year: the file read row by row, each batch of rows matched and saved,
the year's earlier import replaced, all in the caller's one transaction.

A file with any problem raises `DisclosureRefused` after every line has been checked; the
caller rolls back, so nothing of it is saved and the year's earlier import stands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, delete, insert, select

from interests.extensions import db
from interests.models import Account, DisclosureImport, IndustryPayment, utcnow
from interests.rules.disclosure import EARLIEST_YEAR, company_key
from interests.rules.payments import CONFIDENCES, NOBODY, OUTCOMES, POSSIBLE, Match
from interests.services import audit
from interests.services.disclosure.matching import Matcher
from interests.services.disclosure.own import CONFIRMED_REASON, REJECTED_REASON, answers_for
from interests.services.disclosure.reading import DisclosureRefused, PaymentRow, Report, read_rows
from interests.services.disclosure.reconciling import mark_declared

BATCH = 2000  # rows matched and inserted together
# Inserted with Core, not the ORM's bulk insert (a third of the time): the rows were checked as read.
PAYMENTS: Table = IndustryPayment.__table__  # type: ignore[assignment]
Progress = Callable[[int], None]  # rows read so far


class YearProblem(ValueError):
    """The year is not one Disclosure UK has published."""


def year_problem(year: int, this_year: int) -> str | None:
    """Disclosure UK publishes each June the payments of the year before."""
    if not EARLIEST_YEAR <= year < this_year:
        return f"Enter a year from {EARLIEST_YEAR} to {this_year - 1}: payments are published the June after"
    return None


@dataclass
class Outcome:
    disclosure_import: DisclosureImport
    report: Report


def import_year(
    content: bytes,
    *,
    year: int,
    filename: str,
    actor: Account | None,
    progress: Progress | None = None,
) -> Outcome:
    """Replace `year`'s payments with this file's. Adds and flushes; the caller commits."""
    earlier = db.session.scalar(select(DisclosureImport).where(DisclosureImport.year == year))
    if earlier is not None:
        db.session.execute(delete(IndustryPayment).where(IndustryPayment.disclosure_import_id == earlier.id))
        db.session.delete(earlier)
        db.session.flush()
    record = DisclosureImport(
        year=year,
        filename=filename[:255],
        file_sha256="",
        file_format="",
        account_id=actor.id if actor else None,
    )
    record.not_understood = []
    db.session.add(record)
    db.session.flush()
    report = Report()
    counts = dict.fromkeys(OUTCOMES, 0)
    batch: list[PaymentRow] = []
    matcher = Matcher(year)
    answers = answers_for(year)
    now = utcnow()

    def save(rows: list[PaymentRow]) -> None:
        if not report.ok or not rows:
            return  # a refused file: keep checking every line, save nothing more
        decisions = matcher.match(rows)
        values = []
        for row, decision in zip(rows, decisions, strict=True):
            key = company_key(row.company)[:200]
            if decision.professional_id is not None and answers.rejected(
                decision.professional_id, key, row.full_name
            ):
                decision = Match(NOBODY, None, REJECTED_REASON)
            confirmed_by = answers.confirmed_by(key, row.full_name)
            confirmed = confirmed_by is not None and decision.professional_id in (confirmed_by, None)
            if confirmed and decision.outcome not in CONFIDENCES:
                # Namesakes, or nobody by the matcher's rules: the professional said it is them.
                decision = Match(POSSIBLE, confirmed_by, CONFIRMED_REASON)
            counts[decision.outcome] += 1
            values.append(
                {
                    "disclosure_import_id": record.id,
                    "year": year,
                    "line": row.line,
                    "full_name": row.full_name,
                    "city": row.city,
                    "country": row.country,
                    "address": row.address,
                    "identifier": row.identifier,
                    "company": row.company,
                    "company_key": key,
                    "registration_fees_pence": row.registration_fees,
                    "travel_pence": row.travel,
                    "fees_pence": row.fees,
                    "related_expenses_pence": row.related_expenses,
                    "total_pence": row.total,
                    "professional_id": decision.professional_id,
                    "match": decision.outcome,
                    "match_reason": decision.reason,
                    "confirmed_at": now if confirmed else None,
                }
            )
        mark_declared(values)
        db.session.execute(insert(PAYMENTS), values)
        if progress is not None:
            progress(report.rows)

    for row in read_rows(content, report):
        batch.append(row)
        if len(batch) >= BATCH:
            save(batch)
            batch = []
    save(batch)
    if not report.ok:
        raise DisclosureRefused(report)
    record.file_sha256 = report.sha256
    record.file_format = report.file_format
    record.rows = report.rows
    record.aggregate_rows = report.aggregate_rows
    record.not_understood = list(report.not_understood)
    for outcome, count in counts.items():
        setattr(record, outcome, count)
    audit.record(
        "disclosure_imported",
        record,
        actor=actor,
        summary=(
            f"Imported Disclosure UK {year} from {filename}: "
            f"{report.rows:,} payments, {record.matched:,} matched"
        ),
        data={
            "year": year,
            "rows": report.rows,
            "sha256": report.sha256,
            **counts,
            "replaced": earlier is not None,
        },
    )
    db.session.flush()
    return Outcome(record, report)


def latest_imports() -> list[DisclosureImport]:
    return list(db.session.scalars(select(DisclosureImport).order_by(DisclosureImport.year.desc())))


def import_for_year(year: int) -> DisclosureImport | None:
    return db.session.scalar(select(DisclosureImport).where(DisclosureImport.year == year))
