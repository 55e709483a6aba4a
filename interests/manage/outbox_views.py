"""Emails: the development outbox (every email, where no real email is sent) and, everywhere,
the emails of a provider that could not be sent, with "Try again"."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_wtf import FlaskForm

from interests.extensions import limiter
from interests.manage.common import MANAGERS, bp, current_account, found_or_404, per_page, provider_or_404
from interests.pagination import requested_page
from interests.security import roles_required
from interests.services import (
    outbox,
    staff,
    undelivered,
)
from interests.unit_of_work import discard

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
    return render_template("manage/outbox.html", page=page, status=outbox.delivery_status, hidden=_patients)


def _patients(email: Any) -> bool:
    """A patient's email (a question's confirmation link, a reply) is theirs alone: its address and
    body are not shown to the provider's admins even here, where one could otherwise confirm a
    patient's address with the patient's own link. (In development the server's log has it.)"""
    return email.kind in undelivered.PATIENT_KINDS


@bp.get("/outbox/<int:email_id>")
@roles_required(*MANAGERS)
def outbox_email(email_id: int) -> Any:
    _outbox_visible()
    email = found_or_404(outbox.email_for(staff.managed_provider_ids(current_account()), email_id))
    return render_template(
        "manage/outbox_email.html",
        email=email,
        hidden=_patients(email),
        status=outbox.delivery_status(email),
        failed_for_good=outbox.failed_for_good(email),
    )


# --- Emails not delivered (production and development alike) ------------------------------------
# Never an email's body (one-time links) nor an address the provider did not give us:
# services/undelivered.py decides what is shown.


def _per_account() -> str:
    return f"account:{current_account().id}"


@bp.get("/<slug>/emails-not-delivered")
@roles_required(*MANAGERS)
def emails_not_delivered(slug: str) -> Any:
    provider = provider_or_404(slug)
    page = undelivered.not_delivered_page([provider.id], requested_page(), per_page())
    return render_template("manage/emails_not_delivered.html", provider=provider, page=page, form=FlaskForm())


@bp.post("/<slug>/emails-not-delivered/<int:email_id>/try-again")
@roles_required(*MANAGERS)
@limiter.limit(undelivered.TRY_AGAIN_RATE_LIMIT, key_func=_per_account)
def try_email_again(slug: str, email_id: int) -> Any:
    provider = provider_or_404(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        email = undelivered.try_again([provider.id], email_id, actor=current_account())
    except undelivered.TryAgainRefused as refused:
        discard()
        flash(str(refused), "error")
    else:
        if email is None:
            abort(404)  # not one of this provider's undelivered emails: says nothing more
        flash(f"We will try to send \u201c{email.subject}\u201d again within a minute", "success")
    return redirect(url_for("manage.emails_not_delivered", slug=slug))
