"""Patients' questions about a provider's register, and the provider's replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.models.organisations import Provider

QUESTION_MAX_LENGTH = 2000  # characters: a question, not a letter
REPLY_MAX_LENGTH = 5000  # characters


class PatientQuestion(Base):
    """A question about a provider's register from a patient or carer, and the provider's reply.

    A reply is emailed only to an address the asker confirmed by the link we sent it
    (``email_confirmed_at``), so nobody can make a provider email a stranger. Only the SHA-256 hash
    of that link's token is kept (``email_token_hash``, cleared once used), so a copy of the database
    cannot confirm anything.

    ``client_key`` is what the daily limit on questions counts per client: an HMAC-SHA256 of the
    client's IP address keyed with the app's SECRET_KEY, never the address itself. Keyed, because a
    plain hash of an IPv4 address can be reversed by trying all four billion of them.
    """

    __tablename__ = "patient_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    question: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))  # never public
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reply_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id"))
    email_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client_key: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the IP address

    provider: Mapped[Provider] = relationship()

    __table_args__ = (
        Index("ix_patient_question_provider_asked", "provider_id", "asked_at"),
        # The daily limits count recent questions per client and per address.
        Index("ix_patient_question_client_asked", "client_key", "asked_at"),
        Index("ix_patient_question_asked_at", "asked_at"),
    )

    @property
    def email_state(self) -> str:
        """Where the reply address stands: "none", "confirmed", "waiting" (link usable) or "expired"."""
        if not self.email:
            return "none"
        if self.email_confirmed_at is not None:
            return "confirmed"
        if self.email_token_expires_at is not None and self.email_token_expires_at > utcnow():
            return "waiting"
        return "expired"

    def check(self) -> None:
        if not (self.question or "").strip():
            raise InvalidRecord("A question cannot be empty")
        if len(self.question) > QUESTION_MAX_LENGTH:
            raise InvalidRecord(f"A question must be {QUESTION_MAX_LENGTH:,} characters or fewer")
