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
    withholding,
)

# --- Home, overview --------------------------------------------------------------------------


@bp.get("")
@roles_required(*MANAGERS)
def home() -> Any:
    providers = staff.managed_providers(current_account(), requested_page(), per_page())
    return render_template("manage/home.html", providers=providers)


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
    )


# --- Staff -----------------------------------------------------------------------------------
