"""A provider admin's area: the registers of the providers they run.

One blueprint (`common.bp`), its pages one module per feature: `overview_views`, `staff_views`,
`import_views`, `review_views`, `publication_views`, `question_views`, `payment_views`,
`outbox_views`. Importing
this module registers them all.

Every URL names the provider by its slug; a provider the account does not run, or an engagement,
declaration, entry, request, question or import of another provider, is a 404 (never a 403: the
answer must not tell anyone what exists elsewhere). Only provider admins come here: a system admin
manages accounts, not registers (see `services.staff.can_manage_every_provider`).
"""

from __future__ import annotations

from interests.manage import (  # noqa: F401 - each registers its pages on the blueprint
    import_views,
    outbox_views,
    overview_views,
    payment_views,
    publication_views,
    question_views,
    review_views,
    staff_views,
)
from interests.manage.common import bp

__all__ = ["bp"]
