"""Reviewing declarations sent to the provider, recording actions, and deciding withholding requests."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from interests import clock
from interests.manage.common import MANAGERS, bp, current_account, found_or_404, per_page, provider_or_404
from interests.manage.forms import (
    ActionForm,
    DecisionForm,
)
from interests.models import InvalidRecord
from interests.pagination import requested_page
from interests.rules.vocabulary import (
    CATEGORY_BY_CODE,
    TYPE_BY_CODE,
)
from interests.security import fresh_sign_in_required, roles_required
from interests.services import (
    review,
    withholding,
)
from interests.unit_of_work import discard

# --- Review ----------------------------------------------------------------------------------


@bp.get("/<slug>/declarations")
@roles_required(*MANAGERS)
def declarations(slug: str) -> Any:
    provider = provider_or_404(slug)
    awaiting = request.args.get("awaiting") == "1"
    page = review.declarations_page(provider, requested_page(), per_page(), awaiting_action=awaiting)
    return render_template("manage/declarations.html", provider=provider, page=page, awaiting=awaiting)


@bp.get("/<slug>/declarations/<int:declaration_id>")
@roles_required(*MANAGERS)
def declaration(slug: str, declaration_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(review.declaration_at(provider, declaration_id))
    return render_template(
        "manage/declaration.html",
        provider=provider,
        declaration=found,
        types=TYPE_BY_CODE,
        categories=CATEGORY_BY_CODE,
    )


@bp.route("/<slug>/entries/<int:item_id>/action", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def record_action(slug: str, item_id: int) -> Any:
    provider = provider_or_404(slug)
    item = found_or_404(review.item_at(provider, item_id))
    form = ActionForm(data={"action": item.management_action or ""} if request.method == "GET" else None)
    if form.validate_on_submit():
        review.record_action(item, form.action.data, actor=current_account())
        flash("Action recorded: it is published beside the entry", "success")
        return redirect(url_for("manage.declaration", slug=slug, declaration_id=item.declaration_id))
    return render_template("manage/action.html", provider=provider, item=item, form=form)


# --- Withholding -----------------------------------------------------------------------------


@bp.get("/<slug>/withholding")
@roles_required(*MANAGERS)
def withholding_requests(slug: str) -> Any:
    provider = provider_or_404(slug)
    page = withholding.requests_page(provider, requested_page(), per_page())
    return render_template("manage/withholding.html", provider=provider, page=page)


@bp.route("/<slug>/withholding/<int:request_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@fresh_sign_in_required()
def decide_withholding(slug: str, request_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(withholding.request_at(provider, request_id))
    form = DecisionForm()
    if found.status == "pending" and form.validate_on_submit():
        try:
            withholding.decide(
                found,
                approve=form.decision.data == "approve",
                reason=form.reason.data,
                review_on=form.review_on.data,
                actor=current_account(),
                today=clock.today(),
            )
        except InvalidRecord as exc:
            discard()
            form.reason.errors = [str(exc)]
        else:
            flash(
                "Entry withheld from the register"
                if found.status == "approved"
                else "Request refused: the entry is published",
                "success",
            )
            return redirect(url_for("manage.withholding_requests", slug=slug))
    return render_template("manage/withholding_decide.html", provider=provider, request_=found, form=form)
