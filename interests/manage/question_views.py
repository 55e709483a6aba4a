"""Patients' questions about the register, and the provider's replies."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    url_for,
)

from interests.manage.common import MANAGERS, bp, current_account, found_or_404, per_page, provider_or_404
from interests.manage.forms import (
    ReplyForm,
)
from interests.pagination import requested_page
from interests.security import roles_required
from interests.services import (
    questions,
)

# --- Patients' questions ---------------------------------------------------------------------


@bp.get("/<slug>/questions")
@roles_required(*MANAGERS)
def question_list(slug: str) -> Any:
    provider = provider_or_404(slug)
    page = questions.questions_page(provider, requested_page(), per_page())
    return render_template("manage/questions.html", provider=provider, page=page)


@bp.route("/<slug>/questions/<int:question_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def question(slug: str, question_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(questions.question_at(provider, question_id))
    form = ReplyForm()
    if found.replied_at is None and form.validate_on_submit():
        emailed = questions.reply(found, form.reply.data, actor=current_account())
        if emailed:
            flash("Reply recorded and emailed to the patient", "success")
        elif found.email_state == "waiting":
            flash("Reply recorded. We will email it when the patient confirms their email address", "success")
        else:
            flash("Reply recorded", "success")
        return redirect(url_for("manage.question_list", slug=slug))
    return render_template("manage/question.html", provider=provider, question=found, form=form)
