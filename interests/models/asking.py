"""Asking professionals: reminders sent, invitations (one-time links to confirm an engagement),
and claims on one registration number by two addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.models.organisations import Provider
from interests.models.outboxes import OutboxEmail
from interests.models.people import Engagement, Professional


class Reminder(Base):
    """A reminder emailed to a professional who is due or overdue at a provider.

    Unique per (professional, provider, window): running `reminders send` twice in one window
    sends nothing the second time, whatever the process (the database refuses the duplicate).
    """

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    window_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    outbox_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id"))

    outbox_email: Mapped[OutboxEmail | None] = relationship()

    __table_args__ = (
        UniqueConstraint("professional_id", "provider_id", "window_key"),
        Index("ix_reminder_provider_professional_sent", "provider_id", "professional_id", "sent_at"),
    )


class Invitation(Base):
    """A one-time link sent to the address one provider recorded for one engagement.

    Using it proves control of that address: it links that provider's engagement only. For a
    professional with no account it creates one; it never creates a second account or hands an
    existing one to a new address (a different address becomes an identity claim). Only a hash of
    the token is kept.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    professional: Mapped[Professional] = relationship()
    provider: Mapped[Provider | None] = relationship()
    engagement: Mapped[Engagement | None] = relationship()


IDENTITY_CLAIM_STATUSES = ("pending", "rejected", "transferred")


class IdentityClaim(Base):
    """A second address claiming a registration number that already has an account.

    Raised when someone proves control of the address a provider recorded (its invitation link) for
    a professional whose account uses another address. Never merged or transferred silently: a
    system admin decides, and both addresses are told of the claim and of the decision.
    """

    __tablename__ = "identity_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    email: Mapped[str] = mapped_column(String(320))  # the claimant's address
    account_email: Mapped[str] = mapped_column(String(320))  # the account's address at the time
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    professional: Mapped[Professional] = relationship()
    provider: Mapped[Provider | None] = relationship()
    engagement: Mapped[Engagement | None] = relationship()
    invitation: Mapped[Invitation] = relationship()

    __table_args__ = (Index("ix_identity_claim_status_created", "status", "created_at"),)

    def check(self) -> None:
        if self.status is not None and self.status not in IDENTITY_CLAIM_STATUSES:
            raise InvalidRecord(f"Unknown identity claim status {self.status!r}")
        if self.status not in (None, "pending") and not (self.decision_reason or "").strip():
            raise InvalidRecord("A decision on an identity claim needs a reason")
