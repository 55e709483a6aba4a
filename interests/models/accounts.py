from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.rules.vocabulary import ROLE_BY_CODE

if TYPE_CHECKING:
    from interests.models.organisations import Provider
    from interests.models.people import Professional

account_provider = Table(
    "account_provider",
    Base.metadata,
    Column("account_id", Integer, ForeignKey("account.id"), primary_key=True),
    Column("provider_id", Integer, ForeignKey("provider.id"), primary_key=True, index=True),
)


class Account(Base):
    """A sign-in with one role. A provider admin manages only the providers linked here."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str | None] = mapped_column(String(200))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professional.id"), unique=True)
    # Bumped on sign-out, password change and disabling: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failed sign-ins since first_failed_at (OWASP ASVS 5.0 V6.3): counted here, in the database,
    # so every server sees the same count; locked_until refuses every sign-in until then.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The second factor (OWASP ASVS 5.0 V6.6): a TOTP secret, kept while it is being set up and from
    # totp_enabled_at on, sealed (a Fernet token, 140 characters for the 32-character secret; never the
    # secret itself: interests/services/sealing.py); totp_last_step is the 30-second step of the last
    # code accepted, so each code works once (V6.6.3). interests/services/second_factor.py owns them
    # and is the only reader of the secret.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger())

    professional: Mapped[Professional | None] = relationship()
    providers: Mapped[list[Provider]] = relationship(secondary=account_provider, order_by="Provider.name")

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    # What a signed-in session asks of an account (the interface Flask-Login expects; written out
    # here so the models import nothing of the web app).
    is_anonymous = False

    @property
    def is_active(self) -> bool:  # an inactive account cannot be signed in to
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # The session version travels in the cookie: a bumped version revokes old sessions.
        return f"{self.id}:{self.session_version}"

    def check(self) -> None:
        if self.role not in ROLE_BY_CODE:
            raise InvalidRecord(f"Role must be one of {', '.join(ROLE_BY_CODE)}")
        if self.role == "professional" and self.professional_id is None and self.professional is None:
            raise InvalidRecord("A professional's account must be linked to a professional")
        if self.role != "professional" and (self.professional_id or self.professional):
            raise InvalidRecord("Only a professional's account can be linked to a professional")


class PasswordReset(Base):
    """A one-time link to choose a new password, asked for from the sign-in page.

    Only the SHA-256 hash of the token is kept: the token itself is in the email alone.
    """

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship()


class RecoveryCode(Base):
    """One of an account's single-use recovery codes, for when the authenticator app is lost.

    Only the SHA-256 hash is kept: each code has over 112 bits of entropy (ASVS 5.0 V6.5.2), so a
    fast hash is enough. A used code keeps its row, with used_at, until the next set replaces it.
    """

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
