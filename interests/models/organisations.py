from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.rules.vocabulary import PROVIDER_KIND_BY_CODE, REGION_BY_CODE

if TYPE_CHECKING:
    from interests.models.people import Engagement

CQC_PROVIDER_ID_PATTERN = r"1-\d{9,11}"  # CQC provider IDs: "1-" and 9 to 11 digits.
ODS_CODE_PATTERN = r"[A-Z0-9]{3,6}"  # NHS Organisation Data Service codes, e.g. RJ1, Y01234.


class Provider(Base):
    """An organisation registered with CQC where professionals provide services."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    cqc_provider_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    website_url: Mapped[str | None] = mapped_column(String(500))
    # First Do No Harm response 9.7: a provider without a website keeps the register on site.
    has_website: Mapped[bool] = mapped_column(Boolean, default=True)
    address: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    register_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    engagements: Mapped[list[Engagement]] = relationship(back_populates="provider")

    __table_args__ = (Index("ix_provider_kind_region", "kind", "region"),)

    def check(self) -> None:
        if self.kind not in PROVIDER_KIND_BY_CODE:
            raise InvalidRecord(f"Unknown provider kind {self.kind!r}")
        if self.region not in REGION_BY_CODE:
            raise InvalidRecord(f"Unknown region {self.region!r}")
        if self.cqc_provider_id and not re.fullmatch(CQC_PROVIDER_ID_PATTERN, self.cqc_provider_id):
            raise InvalidRecord("A CQC provider ID is 1- followed by 9 to 11 digits, like 1-101234567")
        if self.ods_code and not re.fullmatch(ODS_CODE_PATTERN, self.ods_code):
            raise InvalidRecord("An ODS code is 3 to 6 capital letters and digits, like RJ1")
        if not self.cqc_provider_id and not self.ods_code:
            raise InvalidRecord("A provider needs a CQC provider ID or an ODS code")

    def __repr__(self) -> str:
        return f"<Provider {self.slug}>"
