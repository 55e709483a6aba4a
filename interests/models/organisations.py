from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interests.models.base import Base, InvalidRecord, UTCDateTime, utcnow
from interests.rules.vocabulary import PROVIDER_KIND_BY_CODE, REGION_BY_CODE

if TYPE_CHECKING:
    from werkzeug.routing import Map

    from interests.models.people import Engagement

CQC_PROVIDER_ID_PATTERN = r"1-\d{9,11}"  # CQC provider IDs: "1-" and 9 to 11 digits.
ODS_CODE_PATTERN = r"[A-Z0-9]{3,6}"  # NHS Organisation Data Service codes, e.g. RJ1, Y01234.
# Where a provider's slug is one segment of an address (/manage/<slug>, /providers/<slug>/print,
# /inspect/providers/<slug>): a slug equal to a fixed segment there would clash with a page.
SLUG_PATH_PREFIXES = ("manage", "providers", "inspect")


def reserved_slugs(url_map: Map) -> frozenset[str]:
    """Every fixed path segment the app uses under /manage/, /providers/ and /inspect/, and
    every fixed segment standing where another address has a slug.

    Read from the URL map, so a fixed route added later (say /manage/settings) is reserved
    without anyone remembering to list it. Segments with a variable part (`<slug>.csv`) are not
    fixed; lower case, because a slug differing only in case would be as confusing.
    """
    paths = [rule.rule.strip("/").split("/") for rule in url_map.iter_rules()]
    reserved: set[str] = set()
    for segments in paths:
        if segments[0] in SLUG_PATH_PREFIXES:
            reserved.update(segment.lower() for segment in segments[1:] if segment and "<" not in segment)
    # Wherever else a slug is a segment (/api/v1/providers/<slug>/register), the fixed words
    # beside it (a future /api/v1/providers/search) too.
    for segments in paths:
        for position, segment in enumerate(segments):
            if re.fullmatch(r"<(?:[^:>]+:)?slug>", segment):
                reserved.update(
                    other[position].lower()
                    for other in paths
                    if len(other) > position
                    and other[:position] == segments[:position]
                    and other[position]
                    and "<" not in other[position]
                )
    return frozenset(reserved)


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
        # Records are written inside an app (Flask-SQLAlchemy's session needs one); the URL map
        # is the app's, so every blueprint's fixed pages are known here.
        if self.slug and has_app_context() and self.slug.lower() in reserved_slugs(current_app.url_map):
            raise InvalidRecord(
                f'A provider\'s web address name cannot be "{self.slug}": the service uses that word '
                "for one of its own pages. Choose another name, for example one with the provider's "
                "place in it"
            )

    def __repr__(self) -> str:
        return f"<Provider {self.slug}>"
