"""System admins: accounts, identity claims, the security log and industry payments (Disclosure UK).

System admins run accounts; they do not declare, manage a provider's register or see withheld
reasons (product card, "Identity and consent across providers").
"""

from __future__ import annotations

from collections.abc import Callable
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
from flask_wtf import FlaskForm

from interests import clock
from interests.admin.forms import (
    AccountActionForm,
    AccountFilterForm,
    AddProviderForm,
    ClaimDecisionForm,
    DisclosureImportForm,
    RoleForm,
    SecurityEventFilterForm,
    parse_day,
)
from interests.extensions import limiter
from interests.frontend import UK_TIME
from interests.models import Account
from interests.pagination import pagination, requested_page
from interests.rules.disclosure import COLUMNS as DISCLOSURE_COLUMNS
from interests.rules.payments import OUTCOME_LABELS
from interests.rules.vocabulary import ROLE_BY_CODE
from interests.security import fresh_sign_in_required, roles_required
from interests.services import account_admin, identity, security_log, undelivered
from interests.services.disclosure import importing as disclosure_import
from interests.services.disclosure.reading import DisclosureRefused
from interests.services.security_log import EventFilter
from interests.unit_of_work import discard

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required("system_admin")
def _system_admins_only() -> None:
    """Every page here needs a system admin's sign-in (others: sign in, or 403)."""


@bp.get("")
def home() -> Any:
    return render_template(
        "admin/home.html",
        pending_claims=identity.pending_claim_count(),
        not_delivered=undelivered.count_all(),
    )


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
        except identity.IdentityProblem as problem:
            discard()
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


def _events_url(endpoint: str, state: dict[str, str], page: int = 1) -> str:
    args = dict(state)
    if page > 1:
        args["page"] = str(page)
    return url_for(endpoint) + ("?" + urlencode(args) if args else "")


@bp.get("/security-events")
def security_events() -> Any:
    form, query, state = _read_event_filter()
    result = security_log.events_page(query, requested_page(), current_app.config["PAGE_SIZE"])
    links = pagination(
        result.page, result.pages, lambda number: _events_url("admin.security_events", state, number)
    )
    return render_template(
        "admin/security_events.html",
        form=form,
        result=result,
        pagination=links,
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

    def lines() -> Any:
        yield from security_log.csv_lines(security_log.events(query))

    filename = f"security-events-{clock.today().isoformat()}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- Accounts ------------------------------------------------------------------------------------


def _admin() -> Account:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _account_or_404(account_id: int) -> Account:
    found = account_admin.account(account_id)
    if found is None:
        abort(404)
    return found


@bp.get("/accounts")
def accounts() -> Any:
    form = AccountFilterForm(request.args)
    if request.args:
        form.validate()

    def clean(field: Any) -> str:
        return "" if field.errors else (field.data or "").strip()

    query = account_admin.AccountFilter(text=clean(form.q), role=clean(form.role), status=clean(form.status))
    state = {name: clean(field) for name, field in form._fields.items() if clean(field)}
    result = account_admin.accounts_page(query, requested_page(), current_app.config["PAGE_SIZE"])
    links = pagination(result.page, result.pages, lambda number: _events_url("admin.accounts", state, number))
    return render_template(
        "admin/accounts.html",
        form=form,
        result=result,
        pagination=links,
        status_of=account_admin.status_of,
        status_labels=account_admin.STATUS_LABELS,
        roles=ROLE_BY_CODE,
    )


@bp.get("/accounts/<int:account_id>")
def account(account_id: int) -> Any:
    found = _account_or_404(account_id)
    return render_template(
        "admin/account.html",
        account=found,
        status=account_admin.status_of(found),
        status_labels=account_admin.STATUS_LABELS,
        roles=ROLE_BY_CODE,
        audit_rows=account_admin.recent_audit(found),
        security_rows=account_admin.recent_security_events(found),
        engagements=account_admin.engagements_to_ask_again(found),
        is_self=found.id == current_user.id,
    )


# What each simple action does, its page's words and its service function.
SIMPLE_ACTIONS: dict[str, dict[str, Any]] = {
    "disable": {
        "title": "Disable account",
        "button": "Disable account",
        "explain": (
            "Nobody will be able to sign in to this account, and every session of it ends at once. "
            "Nothing it made is deleted; you can enable it again later."
        ),
        "done": "Account disabled: its sessions have ended",
        "do": account_admin.disable,
    },
    "enable": {
        "title": "Enable account",
        "button": "Enable account",
        "explain": "Its owner will be able to sign in again with their password.",
        "done": "Account enabled",
        "do": account_admin.enable,
    },
    "unlock": {
        "title": "Unlock account",
        "button": "Unlock account",
        "explain": (
            "Its owner will be able to sign in again now, rather than when the lock ends, and its "
            "count of failed sign-ins starts again. Check with them first that the failures were theirs."
        ),
        "done": "Account unlocked",
        "do": account_admin.unlock,
    },
    "remove-second-factor": {
        "title": "Remove second factor",
        "button": "Remove second factor",
        "explain": (
            "Only for someone who has lost both their authenticator app and their recovery codes. "
            "They will sign in with their password alone (and, where it is required, be asked to set "
            "up a new second factor). Every session of the account ends, and its owner is emailed. "
            "Check first, by a way other than email, that the request really comes from them."
        ),
        "done": "Second factor removed: the account's sessions have ended",
        "do": account_admin.remove_second_factor,
    },
}


# Disabling, enabling or unlocking an account, removing its second factor, and letting it run another
# provider, ask for the password again after a while, as changing a role does: a session left open,
# or taken, is not enough to let someone in, or shut every other admin out (ASVS V7.5.3).
@bp.route(
    "/accounts/<int:account_id>/<any(disable, enable, unlock, 'remove-second-factor'):action>",
    methods=["GET", "POST"],
)
@fresh_sign_in_required()
def account_action(account_id: int, action: str) -> Any:
    found = _account_or_404(account_id)
    words = SIMPLE_ACTIONS[action]
    form = AccountActionForm()
    done = _carry_out(
        form, account_id, lambda reason: words["do"](found, reason=reason, actor=_admin()), words["done"]
    )
    return done or render_template("admin/account_action.html", account=found, form=form, words=words)


def _carry_out(form: AccountActionForm, account_id: int, do: Callable[[str], None], done: str) -> Any:
    """Do a posted action with the reason given: back to the account page when done; None (the
    reason's error on the form, nothing saved) when refused or not posted."""
    if not form.validate_on_submit():
        return None
    try:
        do(form.reason.data or "")
    except account_admin.AccountAdminProblem as problem:
        discard()
        form.reason.errors = [str(problem)]  # type: ignore[attr-defined]
        return None
    flash(done, "success")
    return redirect(url_for("admin.account", account_id=account_id))


@bp.route("/accounts/<int:account_id>/role", methods=["GET", "POST"])
@fresh_sign_in_required()
def account_role(account_id: int) -> Any:
    found = _account_or_404(account_id)
    form = RoleForm()
    if form.validate_on_submit():
        provider = None
        if form.role.data == "provider_admin":
            provider = account_admin.find_provider(form.provider.data or "")
        try:
            if form.role.data == "provider_admin" and provider is None:
                field_error = form.provider
                raise account_admin.AccountAdminProblem(
                    "Enter the name or short name of a provider on the register"
                    if (form.provider.data or "").strip()
                    else "Enter the provider this provider admin will run"
                )
            field_error = form.role
            account_admin.change_role(
                found, form.role.data, reason=form.reason.data or "", actor=_admin(), provider=provider
            )
        except account_admin.AccountAdminProblem as problem:
            discard()
            field_error.errors = [str(problem)]  # type: ignore[attr-defined]
        else:
            flash("Role changed: the account's sessions have ended", "success")
            return redirect(url_for("admin.account", account_id=account_id))
    return render_template("admin/account_role.html", account=found, form=form, roles=ROLE_BY_CODE)


@bp.route("/accounts/<int:account_id>/providers/add", methods=["GET", "POST"])
@fresh_sign_in_required()
def account_add_provider(account_id: int) -> Any:
    found = _account_or_404(account_id)
    if found.role != "provider_admin":
        abort(404)
    form = AddProviderForm()
    if form.validate_on_submit():
        provider = account_admin.find_provider(form.provider.data or "")
        try:
            if provider is None:
                raise account_admin.AccountAdminProblem(
                    "Enter the name or short name of a provider on the register"
                )
            account_admin.add_provider(found, provider, reason=form.reason.data or "", actor=_admin())
        except account_admin.AccountAdminProblem as problem:
            discard()
            form.provider.errors = [str(problem)]  # type: ignore[attr-defined]
        else:
            flash(f"The account now runs {provider.name}", "success")
            return redirect(url_for("admin.account", account_id=account_id))
    return render_template("admin/account_add_provider.html", account=found, form=form)


@bp.route("/accounts/<int:account_id>/providers/<int:provider_id>/remove", methods=["GET", "POST"])
def account_remove_provider(account_id: int, provider_id: int) -> Any:
    found = _account_or_404(account_id)
    provider = next((p for p in found.providers if p.id == provider_id), None)
    if provider is None:
        abort(404)
    form = AccountActionForm()
    done = _carry_out(
        form,
        account_id,
        lambda reason: account_admin.remove_provider(found, provider, reason=reason, actor=_admin()),
        f"The account no longer runs {provider.name}",
    )
    return done or render_template(
        "admin/account_remove_provider.html", account=found, provider=provider, form=form
    )


@bp.route("/accounts/<int:account_id>/engagements/<int:engagement_id>/ask-again", methods=["GET", "POST"])
def account_ask_again(account_id: int, engagement_id: int) -> Any:
    found = _account_or_404(account_id)
    engagement = account_admin.engagement_to_ask_again(found, engagement_id)
    if engagement is None:
        abort(404)
    form = AccountActionForm()
    done = _carry_out(
        form,
        account_id,
        lambda reason: account_admin.ask_again(found, engagement, reason=reason, actor=_admin()),
        "A new link has been sent; the old one no longer works",
    )
    return done or render_template(
        "admin/account_ask_again.html", account=found, engagement=engagement, form=form
    )


# --- Industry payments (Disclosure UK) -----------------------------------------------------------


@bp.route("/industry-payments", methods=["GET", "POST"])
@fresh_sign_in_required()
def industry_payments() -> Any:
    """Upload a Disclosure UK year: the file is read whole and replaces that year, or is refused
    with every problem listed and nothing saved."""
    form = DisclosureImportForm(this_year=clock.today().year)
    report = None
    if form.validate_on_submit():
        storage = form.file.data
        year = int(form.year.data)
        filename = storage.filename or "disclosure"
        try:
            outcome = disclosure_import.import_year(
                storage.read(), year=year, filename=filename, actor=_admin()
            )
        except DisclosureRefused as refused:
            discard()
            report = refused.report
            count = report.problem_count
            form.file.errors = [  # type: ignore[attr-defined]
                f"The file has {count:,} {'problem' if count == 1 else 'problems'}. "
                "Nothing was saved: correct the file and upload it again"
            ]
        else:
            security_log.record(
                security_log.ADMIN_ACTION,
                account=_admin(),
                detail=f"Imported Disclosure UK {year}: {outcome.disclosure_import.rows:,} payments",
            )
            flash(f"Disclosure UK {year} imported", "success")
            return redirect(url_for("admin.industry_payments_year", year=year), 303)
    return render_template(
        "admin/industry_payments.html",
        form=form,
        report=report,
        imports=disclosure_import.latest_imports(),
        columns=DISCLOSURE_COLUMNS,
    )


@bp.get("/industry-payments/<int:year>")
def industry_payments_year(year: int) -> Any:
    found = disclosure_import.import_for_year(year)
    if found is None:
        abort(404)
    return render_template("admin/industry_payments_year.html", record=found, labels=OUTCOME_LABELS)


# --- Emails not delivered: every provider's, and the service's own (sign-in links, resets) ---------


@bp.get("/emails-not-delivered")
def emails_not_delivered() -> Any:
    page = undelivered.not_delivered_page(None, requested_page(), current_app.config["PAGE_SIZE"])
    return render_template("admin/emails_not_delivered.html", page=page, form=FlaskForm())


def _per_account() -> str:
    return f"account:{current_user.id}"


@bp.post("/emails-not-delivered/<int:email_id>/try-again")
@limiter.limit(undelivered.TRY_AGAIN_RATE_LIMIT, key_func=_per_account)
def try_email_again(email_id: int) -> Any:
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        email = undelivered.try_again(None, email_id, actor=current_user._get_current_object())
    except undelivered.TryAgainRefused as refused:
        discard()
        flash(str(refused), "error")
    else:
        if email is None:
            abort(404)
        flash(f"We will try to send \u201c{email.subject}\u201d again within a minute", "success")
    return redirect(url_for("admin.emails_not_delivered"))
