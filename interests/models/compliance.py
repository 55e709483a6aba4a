"""Nightly snapshots of every provider's compliance figures, so the inspectors' overview is fast.

`flask --app interests compliance snapshot` fills one row per provider for a date with the figures
the live aggregate (`interests.services.compliance`) gives, then records a finished run. The
overview reads a date's rows only when that date's run has finished; otherwise it asks live.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interests.models.base import Base, UTCDateTime, utcnow


class ComplianceSnapshot(Base):
    """One provider's figures on one date, as the overview shows them (ratings are worked out on
    reading, from these figures, with the configured thresholds)."""

    __tablename__ = "compliance_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    in_scope: Mapped[int] = mapped_column(Integer, default=0)
    declared: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    in_scope_employee: Mapped[int] = mapped_column(Integer, default=0)
    declared_employee: Mapped[int] = mapped_column(Integer, default=0)
    in_scope_bank: Mapped[int] = mapped_column(Integer, default=0)
    declared_bank: Mapped[int] = mapped_column(Integer, default=0)
    in_scope_locum: Mapped[int] = mapped_column(Integer, default=0)
    declared_locum: Mapped[int] = mapped_column(Integer, default=0)
    in_scope_practising_privileges: Mapped[int] = mapped_column(Integer, default=0)
    declared_practising_privileges: Mapped[int] = mapped_column(Integer, default=0)
    in_scope_contractor: Mapped[int] = mapped_column(Integer, default=0)
    declared_contractor: Mapped[int] = mapped_column(Integer, default=0)
    withheld: Mapped[int] = mapped_column(Integer, default=0)
    # Industry payments not declared (services.disclosure.staff.undeclared_by_provider).
    undeclared_payments: Mapped[int] = mapped_column(Integer, default=0)
    # The two dates "register last published" is the later of, as they stood on `as_of`.
    last_declared_on: Mapped[date | None] = mapped_column(Date)
    register_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whole percent declared, rounded down (None when nobody is in scope): for reports and indexes.
    percent_declared: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("as_of", "provider_id"),
        Index("ix_compliance_snapshot_as_of_percent", "as_of", "percent_declared"),
    )


class ComplianceSnapshotRun(Base):
    """A snapshot for one date: finished (with its provider count) or not. Unfinished ones are
    never read."""

    __tablename__ = "compliance_snapshot_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    providers: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column()
