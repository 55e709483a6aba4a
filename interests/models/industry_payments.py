"""Industry payments (Disclosure UK): one imported year, and the payments it reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interests.models.base import Base, UTCDateTime, utcnow


class DisclosureImport(Base):
    """One year of Disclosure UK, as last imported: re-importing a year replaces it."""

    __tablename__ = "disclosure_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    # How the file was read: "Excel workbook", "UTF-8", "UTF-8 with byte order mark", "Windows-1252".
    file_format: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    certain: Mapped[int] = mapped_column(Integer, default=0)
    probable: Mapped[int] = mapped_column(Integer, default=0)
    possible: Mapped[int] = mapped_column(Integer, default=0)
    ambiguous: Mapped[int] = mapped_column(Integer, default=0)
    nobody: Mapped[int] = mapped_column(Integer, default=0)
    aggregate_rows: Mapped[int] = mapped_column(Integer, default=0)
    # Headings in the file that were not understood (and so not read), as written there.
    not_understood: Mapped[list[Any]] = mapped_column(JSON, default=list)

    @property
    def matched(self) -> int:
        return self.certain + self.probable + self.possible


class IndustryPayment(Base):
    """One row of a Disclosure UK file: what one company reported paying one recipient in a year,
    and who on the register (if anyone) the matcher decided it is about, and why."""

    __tablename__ = "industry_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_import_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_import.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)  # the line (row) in the file, for anyone checking it
    full_name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    identifier: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200))  # rules.disclosure.company_key
    # Money in whole pence, as everywhere in the register.
    registration_fees_pence: Mapped[int] = mapped_column(Integer, default=0)
    travel_pence: Mapped[int] = mapped_column(Integer, default=0)
    fees_pence: Mapped[int] = mapped_column(Integer, default=0)
    related_expenses_pence: Mapped[int] = mapped_column(Integer, default=0)
    total_pence: Mapped[int] = mapped_column(Integer, default=0)
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professional.id"))
    match: Mapped[str] = mapped_column(String(20))  # rules.payments.OUTCOMES
    match_reason: Mapped[str] = mapped_column(Text, default="")
    # When the professional said "this is me" (a probable or possible match they confirmed; public
    # pages show a payment only when it is certain or confirmed).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether the professional declared it (rules.payments.reconcile), kept with the writes that
    # change it (the import, a declaration sent, a match dropped or confirmed) so providers' and
    # inspectors' counts are one indexed query. None when the payment is matched to nobody.
    declared: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        # A professional's reported payments, year by year (their page, their provider's list).
        Index("ix_industry_payment_professional_year", "professional_id", "year"),
        # The payments nobody declared, for the providers' list and the inspectors' counts.
        Index("ix_industry_payment_undeclared", "declared", "professional_id"),
        CheckConstraint(
            "registration_fees_pence >= 0 AND travel_pence >= 0 AND fees_pence >= 0 "
            "AND related_expenses_pence >= 0 AND total_pence >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint(
            "match IN ('certain', 'probable', 'possible', 'ambiguous', 'nobody')", name="known_match"
        ),
        CheckConstraint(
            "(professional_id IS NULL) = (match IN ('ambiguous', 'nobody'))", name="matched_has_professional"
        ),
    )


ANSWERS = ("me", "not_me")


class PaymentAnswer(Base):
    """A professional's answer about a payment matched to them: "this is me" (a probable or possible
    match confirmed) or "this is not me" (the match dropped). Who, when, and which payment (copied,
    since re-importing a year replaces its payments; the import honours these answers)."""

    __tablename__ = "payment_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer: Mapped[str] = mapped_column(String(10))  # ANSWERS
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    industry_payment_id: Mapped[int | None] = mapped_column(Integer)  # no key: re-imports replace it
    year: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(String(200))
    total_pence: Mapped[int] = mapped_column(Integer, default=0)
    match: Mapped[str] = mapped_column(String(20))  # the matcher's confidence, as it was
    match_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_payment_answer_professional_year", "professional_id", "year"),
        CheckConstraint("answer IN ('me', 'not_me')", name="known_answer"),
    )
