"""A provider admin's home (the providers they run) and a provider's overview."""

from __future__ import annotations

from typing import Any

from flask import (
    render_template,
)

from interests import clock
from interests.manage.common import MANAGERS, bp, current_account, per_page, provider_or_404
from interests.pagination import requested_page
from interests.security import roles_required
from interests.services import (
    questions,
    staff,
    undelivered,
    withholding,
)

# --- Home, overview --------------------------------------------------------------------------


@bp.get("")
@roles_required(*MANAGERS)
def home() -> Any:
    providers = staff.managed_providers(current_account(), requested_page(), per_page())
    not_delivered = undelivered.counts_by_provider([provider.id for provider in providers.items])
    return render_template("manage/home.html", providers=providers, not_delivered=not_delivered)


@bp.get("/<slug>")
@roles_required(*MANAGERS)
def overview(slug: str) -> Any:
    provider = provider_or_404(slug)
    today = clock.today()
    return render_template(
        "manage/overview.html",
        provider=provider,
        counts=staff.status_counts(provider, today),
        status_labels=staff.STATUS_LABELS,
        pending_withholding=withholding.pending_count(provider),
        unanswered=questions.unanswered_count(provider),
        not_delivered=undelivered.counts_by_provider([provider.id]).get(provider.id, 0),
    )


# --- Staff -----------------------------------------------------------------------------------
