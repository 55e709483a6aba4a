"""The development outbox: emails queued where no real email is sent."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    render_template,
)

from interests.manage.common import MANAGERS, bp, current_account, found_or_404, per_page
from interests.pagination import requested_page
from interests.security import roles_required
from interests.services import (
    outbox,
    staff,
)

# --- Outbox (development) --------------------------------------------------------------------


def _outbox_visible() -> None:
    # Emails hold one-time sign-in links: only shown where no real email is sent (development).
    if outbox.smtp_configured() or current_app.config.get("INTERESTS_ENV") == "production":
        abort(404)


@bp.get("/outbox")
@roles_required(*MANAGERS)
def outbox_list() -> Any:
    _outbox_visible()
    page = outbox.outbox_page(staff.managed_provider_ids(current_account()), requested_page(), per_page())
    return render_template("manage/outbox.html", page=page, status=outbox.delivery_status)


@bp.get("/outbox/<int:email_id>")
@roles_required(*MANAGERS)
def outbox_email(email_id: int) -> Any:
    _outbox_visible()
    email = found_or_404(outbox.email_for(staff.managed_provider_ids(current_account()), email_id))
    return render_template(
        "manage/outbox_email.html",
        email=email,
        status=outbox.delivery_status(email),
        failed_for_good=outbox.failed_for_good(email),
    )
