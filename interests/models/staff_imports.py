"""Staff-list imports, and the jobs that run big ones in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow


class StaffImport(Base):
    """One staff list imported from CSV: who, when, and what it changed."""

    __tablename__ = "staff_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    professionals_created: Mapped[int] = mapped_column(Integer, default=0)
    engagements_created: Mapped[int] = mapped_column(Integer, default=0)
    engagements_updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    invitations_sent: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")


IMPORT_JOB_STATUSES = ("waiting", "checking", "saving", "done", "refused", "failed")
IMPORT_JOB_RUNNING = ("waiting", "checking", "saving")


class StaffImportJob(Base):
    """A staff-list file being checked and imported in the background, so a big file shows progress.

    The file's bytes are kept only until the job ends (they hold staff email addresses). The import
    itself is one transaction: a job that fails or is interrupted has saved nothing. ``problems`` holds
    the first problems of a refused file (line, column, message) and ``problem_count`` how many in all.

    ``step``, ``done`` and ``total`` say how far the running import has got and ``heartbeat_at`` when
    its worker last said it was alive (on PostgreSQL written as it runs, outside the import's own
    transaction; on SQLite kept beside the database while it runs: `services/staff/jobs.py`).
    ``attempts`` counts the workers that started it (an interrupted job is tried once more) and
    ``message`` tells the provider's staff why a job did not finish.
    """

    __tablename__ = "staff_import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(Integer, default=0)
    expected_lines: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    invite: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    staff_import_id: Mapped[int | None] = mapped_column(ForeignKey("staff_import.id"))
    step: Mapped[str] = mapped_column(String(40), default="", server_default="")
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message: Mapped[str] = mapped_column(String(255), default="", server_default="")

    staff_import: Mapped[StaffImport | None] = relationship()

    __table_args__ = (Index("ix_staff_import_job_provider_status", "provider_id", "status"),)

    def check(self) -> None:
        if self.status is not None and self.status not in IMPORT_JOB_STATUSES:  # None: the default
            raise InvalidRecord(f"Unknown import job status {self.status!r}")
