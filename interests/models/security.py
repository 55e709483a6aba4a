"""The security log: sign-ins, refusals and sensitive reads, for investigating misuse.

Append-only, like the audit log: the session refuses changes and deletes. The one way out is the
retention command (`flask --app interests security-events prune`), which deletes old rows with a
Core statement that does not pass through the session (interests/services/security_log.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from interests.models.base import Base, UTCDateTime, utcnow

KIND_MAX_LENGTH = 40
ADDRESS_MAX_LENGTH = 45  # the longest text form of an IPv6 address (with an embedded IPv4 one)
USER_AGENT_MAX_LENGTH = 300  # enough to tell browsers apart; the rest is noise an attacker controls
DETAIL_MAX_LENGTH = 500


class SecurityEvent(Base):
    """One thing that happened to an account or a guarded page. Never a password, token or secret."""

    __tablename__ = "security_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX_LENGTH))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    # The address typed (a failed sign-in has no account to point at).
    email: Mapped[str | None] = mapped_column(String(320))
    ip_address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX_LENGTH), default="")

    __table_args__ = (
        Index("ix_security_event_kind_occurred", "kind", "occurred_at"),
        Index("ix_security_event_account_occurred", "account_id", "occurred_at"),
    )
