"""System admins: identity claims (more of accounts and the security log to come).

System admins run accounts; they do not declare, manage a provider's register or see withheld
reasons (product card, "Identity and consent across providers").
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from interests.admin.forms import ClaimDecisionForm
from interests.extensions import db
from interests.security import fresh_sign_in_required, roles_required
from interests.services import identity

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required("system_admin")
def _system_admins_only() -> None:
    """Every page here needs a system admin's sign-in (others: sign in, or 403)."""


@bp.get("")
def home() -> Any:
    return render_template("admin/home.html", pending_claims=identity.pending_claim_count())


@bp.get("/claims")
def claims() -> Any:
    return render_template("admin/claims.html", claims=identity.claims_page("pending"))


@bp.route("/claims/<int:claim_id>", methods=["GET", "POST"])
@fresh_sign_in_required()
def claim(claim_id: int) -> Any:
    found = identity.claim(claim_id)
    if found is None:
        abort(404)
    form = ClaimDecisionForm()
    if found.status == "pending" and form.validate_on_submit():
        try:
            identity.decide_claim(
                found,
                transfer=form.decision.data == "transfer",
                reason=form.reason.data or "",
                actor=current_user._get_current_object(),
            )
            db.session.commit()
        except identity.IdentityProblem as problem:
            db.session.rollback()
            form.decision.errors = [str(problem)]  # type: ignore[attr-defined]
        else:
            flash("Decision recorded: both addresses have been told", "success")
            return redirect(url_for("admin.claims"))
    return render_template("admin/claim.html", claim=found, form=form)
