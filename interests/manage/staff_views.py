"""The staff list, and adding, changing and ending an engagement."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from interests import clock
from interests.frontend import govuk_date
from interests.manage.common import (
    MANAGERS,
    TYPE_HINTS,
    bp,
    current_account,
    found_or_404,
    per_page,
    provider_or_404,
)
from interests.manage.forms import (
    AddEngagementForm,
    ChangeEngagementForm,
    EndEngagementForm,
    StaffFilterForm,
    choices,
)
from interests.models import InvalidRecord
from interests.pagination import requested_page
from interests.rules.text import without_controls
from interests.rules.vocabulary import (
    ENGAGEMENT_TYPE_BY_CODE,
)
from interests.security import roles_required
from interests.services import (
    invitations,
    staff,
    undelivered,
)
from interests.unit_of_work import discard


@bp.get("/<slug>/staff")
@roles_required(*MANAGERS)
def staff_list(slug: str) -> Any:
    provider = provider_or_404(slug)
    form = StaffFilterForm(request.args)
    departments = staff.departments(provider)
    form.department.choices = choices([("", "Any department"), *((d, d) for d in departments)])
    filters = staff.StaffFilters(
        status=form.status.data if form.status.data in staff.STATUS_LABELS else "",
        engagement_type=form.engagement_type.data
        if form.engagement_type.data in ENGAGEMENT_TYPE_BY_CODE
        else "",
        department=form.department.data if form.department.data in departments else "",
        decision_maker=form.decision_maker.data if form.decision_maker.data in ("yes", "no") else "",
        q=without_controls((form.q.data or "")[: staff.MAX_SEARCH_LENGTH]),  # PostgreSQL refuses a NUL
    )
    page = staff.staff_page(provider, filters, clock.today(), requested_page(), per_page())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "manage/staff.html", provider=provider, filter_form=form, page=page, filters=filters, args=args
    )


def _engagement_details(form: Any) -> staff.EngagementDetails:
    return staff.EngagementDetails(
        engagement_type=form.engagement_type.data,
        role=form.role.data,
        department=form.department.data or None,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        decision_maker=form.decision_maker.data == "yes",
    )


@bp.route("/<slug>/engagements/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def add_engagement(slug: str) -> Any:
    provider = provider_or_404(slug)
    form = AddEngagementForm()
    if form.validate_on_submit():
        try:
            engagement = staff.add_engagement(
                provider,
                staff.PersonDetails(
                    given_name=form.given_name.data,
                    family_name=form.family_name.data,
                    regulator=form.regulator.data,
                    registration_number=form.registration_number.data,
                    email=form.email.data or None,
                ),
                _engagement_details(form),
                actor=current_account(),
            )
            invitations.ask_one(engagement, actor=current_account())
        except InvalidRecord as exc:
            discard()
            form.registration_number.errors = [str(exc)]
        else:
            flash(f"{engagement.professional.full_name} added to your staff list", "success")
            return redirect(url_for("manage.engagement", slug=slug, engagement_id=engagement.id))
    return render_template("manage/engagement_new.html", provider=provider, form=form, type_hints=TYPE_HINTS)


@bp.route("/<slug>/engagements/<int:engagement_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def engagement(slug: str, engagement_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(staff.engagement_at(provider, engagement_id))
    form = ChangeEngagementForm(
        data={
            "engagement_type": found.engagement_type,
            "role": found.role,
            "department": found.department or "",
            "start_date": found.start_date,
            "end_date": found.end_date,
            "decision_maker": "yes" if found.decision_maker else "no",
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            changed = staff.change_engagement(found, _engagement_details(form), actor=current_account())
        except InvalidRecord as exc:
            discard()
            form.role.errors = [str(exc)]
        else:
            flash("Engagement changed" if changed else "Nothing was changed", "success")
            return redirect(url_for("manage.staff_list", slug=slug))
    return render_template(
        "manage/engagement.html",
        provider=provider,
        engagement=found,
        form=form,
        type_hints=TYPE_HINTS,
        not_delivered=undelivered.count_about(provider.id, found.professional_id),
    )


@bp.route("/<slug>/engagements/<int:engagement_id>/end", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def end_engagement(slug: str, engagement_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(staff.engagement_at(provider, engagement_id))
    form = EndEngagementForm()
    if form.validate_on_submit():
        try:
            staff.end_engagement(found, cast(date, form.end_date.data), actor=current_account())  # required
        except InvalidRecord as exc:
            discard()
            form.end_date.mark_error(str(exc))
        else:
            flash(
                f"{found.professional.full_name}'s engagement ends on {govuk_date(form.end_date.data)}",
                "success",
            )
            return redirect(url_for("manage.staff_list", slug=slug))
    return render_template("manage/engagement_end.html", provider=provider, engagement=found, form=form)
