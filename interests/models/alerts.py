"""Email alerts: someone follows a provider, a professional or a search, and gets a daily digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow

ALERT_KINDS = ("provider", "professional", "search")


class AlertSubscription(Base):
    """One address following one thing. The address is kept only to send these alerts: the row is
    deleted when its owner unsubscribes, and an unconfirmed one when its link has expired."""

    __tablename__ = "alert_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # lower case
    kind: Mapped[str] = mapped_column(String(20))  # one of ALERT_KINDS
    target: Mapped[str] = mapped_column(String(200))  # a provider's slug, a professional's id, a search
    label: Mapped[str] = mapped_column(String(300))  # what it follows, in words, for the emails
    # Part of every link's signed token: a link made for a deleted row works for no later one.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changes after this moment go in the next digest (the confirmation, then each digest's run).
    told_up_to: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("email", "kind", "target"),
        Index("ix_alert_subscription_confirmed", "confirmed_at", "id"),
        Index("ix_alert_subscription_created", "created_at"),
    )

    def check(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise InvalidRecord(f"Unknown kind of alert {self.kind!r}")
        if self.email != self.email.strip().lower():
            raise InvalidRecord("An alert's address is kept in lower case")
