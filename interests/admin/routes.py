"""System admins: identity claims and the security log (more of accounts to come).

System admins run accounts; they do not declare, manage a provider's register or see withheld
reasons (product card, "Identity and consent across providers").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from interests import clock
from interests.admin.forms import ClaimDecisionForm, SecurityEventFilterForm, parse_day
from interests.extensions import db
from interests.frontend import UK_TIME
from interests.security import fresh_sign_in_required, roles_required
from interests.services import identity, security_log
from interests.services.security_log import EventFilter

bp = Blueprint("admin", __name__, url_prefix="/admin")

MAX_PAGE = 100_000  # a bigger page number is a typo or a probe


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
            outcome = "moved the account" if found.status == "transferred" else "refused"
            security_log.record(
                security_log.ADMIN_ACTION,
                account=current_user._get_current_object(),
                detail=f"Identity claim {found.id} decided: {outcome}",
            )
            db.session.commit()
        except identity.IdentityProblem as problem:
            db.session.rollback()
            form.decision.errors = [str(problem)]  # type: ignore[attr-defined]
        else:
            flash("Decision recorded: both addresses have been told", "success")
            return redirect(url_for("admin.claims"))
    return render_template("admin/claim.html", claim=found, form=form)


def _start_of_uk_day(day: date | None) -> datetime | None:
    """Midnight in the UK on `day`, in UTC (admins think in UK dates; events are kept in UTC)."""
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=UK_TIME).astimezone(UTC)


def _read_event_filter() -> tuple[SecurityEventFilterForm, EventFilter, dict[str, str]]:
    """The filters from the query string; anything wrong is reported on the form and ignored."""
    form = SecurityEventFilterForm(request.args)
    if request.args:
        form.validate()

    def clean(field: Any) -> str:
        return "" if field.errors else (field.data or "").strip()

    since, _ = parse_day(clean(form.since))
    until, _ = parse_day(clean(form.until))
    query = EventFilter(
        kind=clean(form.kind),
        email=clean(form.email),
        address=clean(form.address),
        since=_start_of_uk_day(since),
        before=_start_of_uk_day(until + timedelta(days=1) if until else None),
    )
    # What the links on the page carry forward: only the values that were accepted.
    state = {name: clean(field) for name, field in form._fields.items() if clean(field)}
    return form, query, state


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,7}", raw):  # ASCII digits only: "²".isdigit() is True
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


def _events_url(endpoint: str, state: dict[str, str], page: int = 1) -> str:
    args = dict(state)
    if page > 1:
        args["page"] = str(page)
    return url_for(endpoint) + ("?" + urlencode(args) if args else "")


@bp.get("/security-events")
def security_events() -> Any:
    form, query, state = _read_event_filter()
    result = security_log.events_page(query, _page_number(), current_app.config["PAGE_SIZE"])
    pagination: dict[str, Any] = {}
    if result.has_prev:
        pagination["previous"] = {"href": _events_url("admin.security_events", state, result.page - 1)}
    if result.has_next:
        pagination["next"] = {"href": _events_url("admin.security_events", state, result.page + 1)}
    return render_template(
        "admin/security_events.html",
        form=form,
        result=result,
        pagination=pagination,
        export_url=_events_url("admin.security_events_export", state),
        today=clock.today(),
    )


@bp.get("/security-events.csv")
def security_events_export() -> Response:
    """Every event the page would show with these filters, newest first, all pages, streamed."""
    form, query, state = _read_event_filter()
    if form.errors:
        abort(400)
    filters = urlencode(state)
    security_log.record(
        security_log.ADMIN_ACTION,
        account=current_user._get_current_object(),
        detail=f"Downloaded the security log {filters}".strip(),
    )
    db.session.commit()

    def lines() -> Any:
        yield from security_log.csv_lines(security_log.events(query))

    filename = f"security-events-{clock.today().isoformat()}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
