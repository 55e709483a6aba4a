"""Importing a staff list: the upload, the background job's progress, the template and the result."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    jsonify,
    redirect,
    render_template,
    url_for,
)

from interests.manage.common import MANAGERS, bp, current_account, found_or_404, provider_or_404
from interests.manage.forms import (
    ImportForm,
)
from interests.models import Provider
from interests.security import roles_required
from interests.services.staff import importing as staff_import
from interests.services.staff import jobs as import_jobs
from interests.unit_of_work import discard

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
    provider = provider_or_404(slug)
    form = ImportForm()
    checked = None
    if form.validate_on_submit():
        storage = form.file.data
        content = storage.read()
        filename = storage.filename or "staff.csv"
        import_jobs.hold_imports(provider)  # two uploads at once: the second sees the first's job
        running = import_jobs.running_job(provider)
        if running is not None:
            if running.account_id == current_account().id and running.file_sha256 == staff_import.sha256(
                content
            ):
                # The same upload again (a second click, or back and resubmit): show the one running.
                return redirect(url_for("manage.import_job", slug=slug, job_id=running.id), 303)
            form.file.errors = [
                f"An import of {running.filename} is already running. "
                "Wait for it to finish, then upload this file again"
            ]
        elif import_jobs.in_background(content):
            job = import_jobs.start(provider, content, filename=filename, actor=current_account())
            return redirect(url_for("manage.import_job", slug=slug, job_id=job.id), 303)
        else:
            try:
                outcome = staff_import.import_staff(
                    provider, content, filename=filename, actor=current_account()
                )
            except staff_import.ImportRefused as refused:
                discard()
                checked = refused.checked
                form.file.errors = [_refused_message(checked.problem_count)]
            else:
                return redirect(url_for("manage.import_result", slug=slug, import_id=outcome.staff_import.id))
    return _import_page(provider, form, checked)


@bp.get("/<slug>/import/jobs/<int:job_id>")
@roles_required(*MANAGERS)
def import_job(slug: str, job_id: int) -> Any:
    """A background import: its progress while it runs, then its result or its problems."""
    provider = provider_or_404(slug)
    job = found_or_404(import_jobs.job_for(provider, job_id))
    if job.status == "done" and job.staff_import_id is not None:
        return redirect(url_for("manage.import_result", slug=slug, import_id=job.staff_import_id))
    if job.status == "refused":
        form = ImportForm(formdata=None)
        form.file.errors = [_refused_message(job.problem_count)]
        return _import_page(provider, form, import_jobs.problems_of(job))
    progress = import_jobs.progress_of(job, import_jobs.live(job), import_jobs.stale_after())
    return render_template("manage/import_job.html", provider=provider, job=job, progress=progress)


@bp.get("/<slug>/import/jobs/<int:job_id>/progress")
@roles_required(*MANAGERS)
def import_job_progress(slug: str, job_id: int) -> Any:
    """How far a background import has got, for its page to show (polled every second)."""
    provider = provider_or_404(slug)
    job = found_or_404(import_jobs.job_for(provider, job_id))
    progress = import_jobs.progress_of(job, import_jobs.live(job), import_jobs.stale_after())
    if progress.state == "done" and job.staff_import_id is not None:
        next_url = url_for("manage.import_result", slug=slug, import_id=job.staff_import_id)
    else:
        next_url = url_for("manage.import_job", slug=slug, job_id=job.id)
    return jsonify({**progress.as_json(), "next": next_url})


@bp.get("/<slug>/import/template.csv")
@roles_required(*MANAGERS)
def import_template(slug: str) -> Any:
    provider_or_404(slug)
    return Response(
        staff_import.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="staff-list-template.csv"'},
    )


@bp.get("/<slug>/imports/<int:import_id>")
@roles_required(*MANAGERS)
def import_result(slug: str, import_id: int) -> Any:
    provider = provider_or_404(slug)
    found = found_or_404(staff_import.import_for(provider, import_id))
    return render_template("manage/import_result.html", provider=provider, staff_import=found)
