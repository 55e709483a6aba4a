"""Work recorded in the same transaction as the change that causes it, applied afterwards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interests.models.base import Base, UTCDateTime, utcnow


class SearchTask(Base):
    """A professional whose search documents must be rebuilt from the database.

    Written in the same transaction as the change (a declaration sent, an entry withheld or
    released), so a process killed after the commit loses nothing: an indexer applies the
    tasks until none are left (search-notes.md: AsyncWriter lost 247 of 300 updates).
    """

    __tablename__ = "search_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professional.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxEmail(Base):
    """Every email the service sends: sent by SMTP when configured, otherwise kept for viewing."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professional.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # After a failed attempt, not tried again before this (the back-off grows with `attempts`);
    # while a delivery run is sending it, the end of that run's claim (services/outbox.py).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Extra message headers as JSON ({"List-Unsubscribe": "<https://...>"}): only the names in
    # services.outbox.EXTRA_HEADERS are ever sent.
    headers: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_email_unsent", "sent_at", "created_at"),)
