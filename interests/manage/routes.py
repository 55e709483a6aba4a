"""A provider admin's area: the registers of the providers they run.

Every URL names the provider by its slug; a provider the account does not run, or an engagement,
declaration, entry, request, question or import of another provider, is a 404 (never a 403: the
answer must not tell anyone what exists elsewhere). Only provider admins come here: a system admin
manages accounts, not registers (see `services.staff.can_manage_every_provider`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from interests import clock
from interests.extensions import db
from interests.frontend import govuk_date
from interests.manage.forms import (
    ActionForm,
    AddEngagementForm,
    ChangeEngagementForm,
    DecisionForm,
    EndEngagementForm,
    ImportForm,
    PublicationForm,
    ReplyForm,
    StaffFilterForm,
    choices,
)
from interests.models import Account, InvalidRecord, Provider
from interests.pagination import requested_page
from interests.rules.vocabulary import (
    CATEGORY_BY_CODE,
    ENGAGEMENT_TYPE_BY_CODE,
    ENGAGEMENT_TYPES,
    TYPE_BY_CODE,
)
from interests.security import fresh_sign_in_required, roles_required
from interests.services import (
    import_jobs,
    invitations,
    outbox,
    publication_settings,
    questions,
    review,
    staff,
    staff_import,
    withholding,
)

bp = Blueprint("manage", __name__, url_prefix="/manage")

MANAGERS = ("provider_admin",)
TYPE_HINTS = {term.code: term.explanation for term in ENGAGEMENT_TYPES}


def _account() -> Account:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _provider(slug: str) -> Provider:
    provider = staff.managed_provider(_account(), slug)
    if provider is None:
        abort(404)
    return provider


def _per_page() -> int:
    return int(current_app.config["PAGE_SIZE"])


def _found(thing: Any) -> Any:
    if thing is None:
        abort(404)
    return thing


# --- Home, overview --------------------------------------------------------------------------


@bp.get("")
@roles_required(*MANAGERS)
def home() -> Any:
    providers = staff.managed_providers(_account(), requested_page(), _per_page())
    return render_template("manage/home.html", providers=providers)


@bp.get("/<slug>")
@roles_required(*MANAGERS)
def overview(slug: str) -> Any:
    provider = _provider(slug)
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


@bp.get("/<slug>/staff")
@roles_required(*MANAGERS)
def staff_list(slug: str) -> Any:
    provider = _provider(slug)
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
        q=(form.q.data or "")[: staff.MAX_SEARCH_LENGTH],
    )
    page = staff.staff_page(provider, filters, clock.today(), requested_page(), _per_page())
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
    provider = _provider(slug)
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
                actor=_account(),
            )
            invitations.ask_one(engagement, actor=_account())
            db.session.commit()
        except InvalidRecord as exc:
            db.session.rollback()
            form.registration_number.errors = [str(exc)]
        else:
            flash(f"{engagement.professional.full_name} added to your staff list", "success")
            return redirect(url_for("manage.engagement", slug=slug, engagement_id=engagement.id))
    return render_template("manage/engagement_new.html", provider=provider, form=form, type_hints=TYPE_HINTS)


@bp.route("/<slug>/engagements/<int:engagement_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def engagement(slug: str, engagement_id: int) -> Any:
    provider = _provider(slug)
    found = _found(staff.engagement_at(provider, engagement_id))
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
            changed = staff.change_engagement(found, _engagement_details(form), actor=_account())
            db.session.commit()
        except InvalidRecord as exc:
            db.session.rollback()
            form.role.errors = [str(exc)]
        else:
            flash("Engagement changed" if changed else "Nothing was changed", "success")
            return redirect(url_for("manage.staff_list", slug=slug))
    return render_template(
        "manage/engagement.html", provider=provider, engagement=found, form=form, type_hints=TYPE_HINTS
    )


@bp.route("/<slug>/engagements/<int:engagement_id>/end", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def end_engagement(slug: str, engagement_id: int) -> Any:
    provider = _provider(slug)
    found = _found(staff.engagement_at(provider, engagement_id))
    form = EndEngagementForm()
    if form.validate_on_submit():
        try:
            staff.end_engagement(found, cast(date, form.end_date.data), actor=_account())  # required
            db.session.commit()
        except InvalidRecord as exc:
            db.session.rollback()
            form.end_date.mark_error(str(exc))
        else:
            flash(
                f"{found.professional.full_name}'s engagement ends on {govuk_date(form.end_date.data)}",
                "success",
            )
            return redirect(url_for("manage.staff_list", slug=slug))
    return render_template("manage/engagement_end.html", provider=provider, engagement=found, form=form)


# --- Import ----------------------------------------------------------------------------------


def _refused_message(problem_count: int) -> str:
    return (
        f"The file has {problem_count:,} {'problem' if problem_count == 1 else 'problems'}. "
        "Nothing was saved: correct the file and upload it again"
    )


def _import_page(provider: Provider, form: ImportForm, checked: staff_import.Checked | None = None) -> Any:
    return render_template(
        "manage/import.html",
        provider=provider,
        form=form,
        checked=checked,
        columns=staff_import.COLUMNS,
        recent=staff_import.recent_imports(provider),
        running=import_jobs.running_job(provider),
    )


@bp.route("/<slug>/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_staff(slug: str) -> Any:
    provider = _provider(slug)
    form = ImportForm()
    checked = None
    if form.validate_on_submit():
        storage = form.file.data
        content = storage.read()
        filename = storage.filename or "staff.csv"
        running = import_jobs.running_job(provider)
        if running is not None:
            if running.account_id == _account().id and running.file_sha256 == staff_import.sha256(content):
                # The same upload again (a second click, or back and resubmit): show the one running.
                return redirect(url_for("manage.import_job", slug=slug, job_id=running.id), 303)
            form.file.errors = [
                f"An import of {running.filename} is already running. "
                "Wait for it to finish, then upload this file again"
            ]
        elif import_jobs.in_background(content):
            job = import_jobs.start(provider, content, filename=filename, actor=_account())
            return redirect(url_for("manage.import_job", slug=slug, job_id=job.id), 303)
        else:
            try:
                outcome = staff_import.import_staff(provider, content, filename=filename, actor=_account())
                db.session.commit()
            except staff_import.ImportRefused as refused:
                db.session.rollback()
                checked = refused.checked
                form.file.errors = [_refused_message(checked.problem_count)]
            else:
                return redirect(url_for("manage.import_result", slug=slug, import_id=outcome.staff_import.id))
    return _import_page(provider, form, checked)


@bp.get("/<slug>/import/jobs/<int:job_id>")
@roles_required(*MANAGERS)
def import_job(slug: str, job_id: int) -> Any:
    """A background import: its progress while it runs, then its result or its problems."""
    provider = _provider(slug)
    job = _found(import_jobs.job_for(provider, job_id))
    if job.status == "done" and job.staff_import_id is not None:
        return redirect(url_for("manage.import_result", slug=slug, import_id=job.staff_import_id))
    if job.status == "refused":
        form = ImportForm(formdata=None)
        form.file.errors = [_refused_message(job.problem_count)]
        return _import_page(provider, form, import_jobs.problems_of(job))
    progress = import_jobs.progress_of(job, import_jobs.runner().live(job.id))
    return render_template("manage/import_job.html", provider=provider, job=job, progress=progress)


@bp.get("/<slug>/import/jobs/<int:job_id>/progress")
@roles_required(*MANAGERS)
def import_job_progress(slug: str, job_id: int) -> Any:
    """How far a background import has got, for its page to show (polled every second)."""
    provider = _provider(slug)
    job = _found(import_jobs.job_for(provider, job_id))
    progress = import_jobs.progress_of(job, import_jobs.runner().live(job.id))
    if progress.state == "done" and job.staff_import_id is not None:
        next_url = url_for("manage.import_result", slug=slug, import_id=job.staff_import_id)
    else:
        next_url = url_for("manage.import_job", slug=slug, job_id=job.id)
    return jsonify({**progress.as_json(), "next": next_url})


@bp.get("/<slug>/import/template.csv")
@roles_required(*MANAGERS)
def import_template(slug: str) -> Any:
    _provider(slug)
    return Response(
        staff_import.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="staff-list-template.csv"'},
    )


@bp.get("/<slug>/imports/<int:import_id>")
@roles_required(*MANAGERS)
def import_result(slug: str, import_id: int) -> Any:
    provider = _provider(slug)
    found = _found(staff_import.import_for(provider, import_id))
    return render_template("manage/import_result.html", provider=provider, staff_import=found)


# --- Review ----------------------------------------------------------------------------------


@bp.get("/<slug>/declarations")
@roles_required(*MANAGERS)
def declarations(slug: str) -> Any:
    provider = _provider(slug)
    awaiting = request.args.get("awaiting") == "1"
    page = review.declarations_page(provider, requested_page(), _per_page(), awaiting_action=awaiting)
    return render_template("manage/declarations.html", provider=provider, page=page, awaiting=awaiting)


@bp.get("/<slug>/declarations/<int:declaration_id>")
@roles_required(*MANAGERS)
def declaration(slug: str, declaration_id: int) -> Any:
    provider = _provider(slug)
    found = _found(review.declaration_at(provider, declaration_id))
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
    provider = _provider(slug)
    item = _found(review.item_at(provider, item_id))
    form = ActionForm(data={"action": item.management_action or ""} if request.method == "GET" else None)
    if form.validate_on_submit():
        review.record_action(item, form.action.data, actor=_account())
        db.session.commit()
        flash("Action recorded: it is published beside the entry", "success")
        return redirect(url_for("manage.declaration", slug=slug, declaration_id=item.declaration_id))
    return render_template("manage/action.html", provider=provider, item=item, form=form)


# --- Withholding -----------------------------------------------------------------------------


@bp.get("/<slug>/withholding")
@roles_required(*MANAGERS)
def withholding_requests(slug: str) -> Any:
    provider = _provider(slug)
    page = withholding.requests_page(provider, requested_page(), _per_page())
    return render_template("manage/withholding.html", provider=provider, page=page)


@bp.route("/<slug>/withholding/<int:request_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@fresh_sign_in_required()
def decide_withholding(slug: str, request_id: int) -> Any:
    provider = _provider(slug)
    found = _found(withholding.request_at(provider, request_id))
    form = DecisionForm()
    if found.status == "pending" and form.validate_on_submit():
        try:
            withholding.decide(
                found,
                approve=form.decision.data == "approve",
                reason=form.reason.data,
                review_on=form.review_on.data,
                actor=_account(),
                today=clock.today(),
            )
            db.session.commit()
        except InvalidRecord as exc:
            db.session.rollback()
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


# --- Publication -----------------------------------------------------------------------------


@bp.route("/<slug>/publication", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def publication(slug: str) -> Any:
    provider = _provider(slug)
    current = publication_settings.current(provider)
    form = PublicationForm(
        data={
            "has_website": "yes" if current.has_website else "no",
            "website_url": current.website_url or "",
            "contact_name": current.contact_name or "",
            "contact_email": current.contact_email or "",
            "contact_phone": current.contact_phone or "",
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        changed = publication_settings.change(
            provider,
            publication_settings.PublicationSettings(
                has_website=form.has_website.data == "yes",
                website_url=form.website_url.data or None,
                contact_name=form.contact_name.data or None,
                contact_email=form.contact_email.data or None,
                contact_phone=form.contact_phone.data or None,
            ),
            actor=_account(),
        )
        db.session.commit()
        flash("Publication settings saved" if changed else "Nothing was changed", "success")
        return redirect(url_for("manage.publication", slug=slug))
    return render_template(
        "manage/publication.html",
        provider=provider,
        form=form,
        register_url=publication_settings.register_url(provider),
        print_url=publication_settings.print_url(provider),
        snippets=publication_settings.snippets(provider),
    )


# --- Patients' questions ---------------------------------------------------------------------


@bp.get("/<slug>/questions")
@roles_required(*MANAGERS)
def question_list(slug: str) -> Any:
    provider = _provider(slug)
    page = questions.questions_page(provider, requested_page(), _per_page())
    return render_template("manage/questions.html", provider=provider, page=page)


@bp.route("/<slug>/questions/<int:question_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def question(slug: str, question_id: int) -> Any:
    provider = _provider(slug)
    found = _found(questions.question_at(provider, question_id))
    form = ReplyForm()
    if found.replied_at is None and form.validate_on_submit():
        emailed = questions.reply(found, form.reply.data, actor=_account())
        db.session.commit()
        if emailed:
            flash("Reply recorded and emailed to the patient", "success")
        elif found.email_state == "waiting":
            flash("Reply recorded. We will email it when the patient confirms their email address", "success")
        else:
            flash("Reply recorded", "success")
        return redirect(url_for("manage.question_list", slug=slug))
    return render_template("manage/question.html", provider=provider, question=found, form=form)


# --- Outbox (development) --------------------------------------------------------------------


def _outbox_visible() -> None:
    # Emails hold one-time sign-in links: only shown where no real email is sent (development).
    if outbox.smtp_configured() or current_app.config.get("INTERESTS_ENV") == "production":
        abort(404)


@bp.get("/outbox")
@roles_required(*MANAGERS)
def outbox_list() -> Any:
    _outbox_visible()
    page = outbox.outbox_page(staff.managed_provider_ids(_account()), requested_page(), _per_page())
    return render_template("manage/outbox.html", page=page)


@bp.get("/outbox/<int:email_id>")
@roles_required(*MANAGERS)
def outbox_email(email_id: int) -> Any:
    _outbox_visible()
    email = _found(outbox.email_for(staff.managed_provider_ids(_account()), email_id))
    return render_template("manage/outbox_email.html", email=email)
