"""Payments companies reported about the provider's staff that no declaration covers, and a
reminder to each person."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from interests import clock
from interests.manage.common import MANAGERS, bp, current_account, per_page, provider_or_404
from interests.pagination import requested_page
from interests.rules.payments import OUTCOME_LABELS
from interests.security import roles_required
from interests.services.disclosure import staff as staff_payments
from interests.unit_of_work import discard


@bp.get("/<slug>/industry-payments")
@roles_required(*MANAGERS)
def industry_payments(slug: str) -> Any:
    provider = provider_or_404(slug)
    found = staff_payments.undeclared_page(provider, clock.today(), requested_page(), per_page())
    return render_template(
        "manage/industry_payments.html",
        provider=provider,
        found=found,
        form=FlaskForm(),
        OUTCOME_LABELS=OUTCOME_LABELS,
    )


@bp.post("/<slug>/industry-payments/remind/<int:professional_id>")
@roles_required(*MANAGERS)
def remind_about_payments(slug: str, professional_id: int) -> Any:
    provider = provider_or_404(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        reminder = staff_payments.remind(provider, professional_id, clock.today(), actor=current_account())
    except staff_payments.ReminderRefused as refused:
        discard()
        flash(str(refused), "error")
    else:
        if reminder is None:
            abort(404)  # not one of this provider's staff with an undeclared payment: says nothing more
        flash("Reminder sent: we emailed them a list of the payments to check", "success")
    page = request.args.get("page", "")
    back: dict[str, Any] = {"page": page} if page.isascii() and page.isdigit() and len(page) < 6 else {}
    anchor = f"person-{professional_id}"
    return redirect(url_for("manage.industry_payments", slug=slug, **back, _anchor=anchor))
