"""What a provider's conflicts-of-interest lead works with at /manage: reminders sent, invitations,
patients' questions, staff-list imports and the jobs that run big imports in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
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

    staff_import: Mapped[StaffImport | None] = relationship()

    __table_args__ = (Index("ix_staff_import_job_provider_status", "provider_id", "status"),)

    def check(self) -> None:
        if self.status is not None and self.status not in IMPORT_JOB_STATUSES:  # None: the default
            raise InvalidRecord(f"Unknown import job status {self.status!r}")
