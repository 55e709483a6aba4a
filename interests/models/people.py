from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.rules.regulators import (
    find_regulator,
    normalise_registration_number,
    registration_number_problem,
)
from interests.rules.vocabulary import ENGAGEMENT_TYPE_BY_CODE

if TYPE_CHECKING:
    from interests.models.organisations import Provider


class Professional(Base):
    """A person on a UK statutory register."""

    __tablename__ = "professional"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(String(20))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    regulator: Mapped[str] = mapped_column(String(10))
    registration_number: Mapped[str] = mapped_column(String(20))
    profession: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str | None] = mapped_column(String(120))
    clinical_interests: Mapped[str | None] = mapped_column(Text)
    # No contact details here: each provider keeps its own on its engagement, and the professional's
    # own address is their account's (product card, "Identity and consent across providers").
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    other_names: Mapped[list[ProfessionalName]] = relationship(
        back_populates="professional", cascade="all, delete-orphan", order_by="ProfessionalName.id"
    )
    engagements: Mapped[list[Engagement]] = relationship(back_populates="professional")

    __table_args__ = (UniqueConstraint("regulator", "registration_number"),)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.full_name}" if self.title else self.full_name

    def check(self) -> None:
        regulator = find_regulator(self.regulator or "")
        if regulator is not None:
            self.regulator = regulator.code
        self.registration_number = normalise_registration_number(self.registration_number or "")
        problem = registration_number_problem(self.regulator or "", self.registration_number)
        if problem:
            raise InvalidRecord(problem)
        if not (self.given_name or "").strip() or not (self.family_name or "").strip():
            raise InvalidRecord("A professional needs a given name and a family name")

    def __repr__(self) -> str:
        return f"<Professional {self.regulator} {self.registration_number}>"


class ProfessionalName(Base):
    """Another name a professional is known by (maiden name, anglicised name, nickname)."""

    __tablename__ = "professional_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    professional: Mapped[Professional] = relationship(back_populates="other_names")


class Engagement(Base):
    """A professional working at a provider, in one of five ways: that provider's record of them.

    ``email`` is the address this provider recorded: never shown to another provider, never copied
    to the professional's account. ``confirmed_at`` is when the professional proved it is theirs (by
    this provider's invitation link, or from their own account): declarations go only to confirmed
    engagements. ``rejected_at`` is when they said they do not work here.
    """

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professional.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    engagement_type: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(150))
    department: Mapped[str | None] = mapped_column(String(150))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    decision_maker: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(320))  # this provider's record; never public
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the professional was first asked to confirm (an invitation or a notice): asked once.
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    professional: Mapped[Professional] = relationship(back_populates="engagements")
    provider: Mapped[Provider] = relationship(back_populates="engagements")

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        # The register, staff list and compliance views all select by provider and date.
        Index("ix_engagement_provider_dates", "provider_id", "start_date", "end_date"),
        Index("ix_engagement_professional_provider", "professional_id", "provider_id"),
        Index("ix_engagement_provider_type", "provider_id", "engagement_type"),
        # Compliance (interests/services/compliance.py): each professional's engagements at a
        # provider in start order, read from the index alone (no sort, no table lookups).
        Index(
            "ix_engagement_provider_professional_start",
            "provider_id",
            "professional_id",
            "start_date",
            "id",
            "end_date",
            "engagement_type",
        ),
        # Inspectors' provider page (interests/services/compliance.py, _attention_statement): one
        # engagement type's people at a provider in start order, so a page of "missing" or
        # "overdue" names stops reading once it is full.
        Index(
            "ix_engagement_provider_type_start",
            "provider_id",
            "engagement_type",
            "start_date",
            "professional_id",
        ),
    )

    @property
    def confirmation(self) -> str:
        """ "confirmed", "rejected" or "unconfirmed": what the professional said of this engagement."""
        if self.confirmed_at is not None:
            return "confirmed"
        return "rejected" if self.rejected_at is not None else "unconfirmed"

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def check(self) -> None:
        if self.engagement_type not in ENGAGEMENT_TYPE_BY_CODE:
            known = ", ".join(ENGAGEMENT_TYPE_BY_CODE)
            raise InvalidRecord(f"Engagement type must be one of {known}")
        if self.start_date is None:
            raise InvalidRecord("An engagement needs a start date")
        if self.end_date is not None and self.end_date < self.start_date:
            raise InvalidRecord("An engagement cannot end before it starts")
        if self.confirmed_at is not None and self.rejected_at is not None:
            raise InvalidRecord("An engagement cannot be both confirmed and rejected")
