"""A provider's staff: the staff list and its engagements (`people`), a staff list file and its
checks (`checking`), importing it (`importing`) and running a big import in the background (`jobs`).

The staff list's names are re-exported here, so `from interests.services import staff` reads as
before: `staff.staff_page(...)`, `staff.add_engagement(...)`.
"""

from __future__ import annotations

from interests.services.scope import ENDED, NOT_STARTED
from interests.services.staff.people import (
    MAX_SEARCH_LENGTH,
    STATUS_LABELS,
    EngagementDetails,
    PersonDetails,
    StaffFilters,
    StaffRow,
    add_engagement,
    can_manage_every_provider,
    change_engagement,
    departments,
    end_engagement,
    engagement_at,
    find_professional,
    managed_provider,
    managed_provider_ids,
    managed_providers,
    staff_page,
    status_counts,
)

__all__ = [
    "ENDED",
    "MAX_SEARCH_LENGTH",
    "NOT_STARTED",
    "STATUS_LABELS",
    "EngagementDetails",
    "PersonDetails",
    "StaffFilters",
    "StaffRow",
    "add_engagement",
    "can_manage_every_provider",
    "change_engagement",
    "departments",
    "end_engagement",
    "engagement_at",
    "find_professional",
    "managed_provider",
    "managed_provider_ids",
    "managed_providers",
    "staff_page",
    "status_counts",
]
