"""Big staff-list imports run in the background, so the page can show how far they have got.

A file smaller than IMPORT_IN_BACKGROUND_FROM_BYTES (a setting; about 2,500 people) is checked and
imported within the request, as it always was. A bigger one is stored in a StaffImportJob and
handed to this process's import worker (one thread: imports queue one after another); the browser
is sent to the job's page, which asks for progress every second and moves on to the result, or
shows the problems, when the job ends.

What stays true whatever happens:
- The import is one transaction, committed together with the job's "done": a job that fails, or
  whose process dies, has saved nothing - and its page says so, with the file to upload again.
- The file's bytes (staff email addresses) are kept only while the job runs.
- One import at a time per provider: a second upload while one runs is refused with a link to it.

Progress: the worker reports each step (checking lines, adding people, adding engagements,
updating engagements, queuing invitations) to memory in its own process; the job row records
only the phase (waiting, checking, saving) and the end. On SQLite the import's transaction holds
the write lock for its whole length, so finer progress in the database would wait for it. With
several web processes, a poll answered by another process shows the phase without the count.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from interests import unit_of_work
from interests.extensions import db
from interests.models import Account, Provider, StaffImportJob, utcnow
from interests.models.staff_imports import IMPORT_JOB_RUNNING
from interests.services import search_index
from interests.services.staff import importing as staff_import
from interests.unit_of_work import discard, transaction

log = logging.getLogger(__name__)

# A job still running after this long was interrupted: a 50,000-line file takes under a minute, and
# the biggest file accepted (20 MB, about 180,000 lines) a few.
STALE_AFTER = timedelta(minutes=10)
EXTENSION_KEY = "staff_import_jobs"

# Each step's share of the progress bar, as (start, end) percentages.
_BANDS = {
    "waiting": (0, 0),
    "checking": (0, 40),
    "adding people": (40, 60),
    "adding engagements": (60, 72),
    "updating engagements": (72, 80),
    "inviting": (80, 95),
    "saving": (40, 40),
}
_STEP_TEXT = {
    "waiting": "Waiting to start",
    "checking": "Checking every line",
    "adding people": "Adding people new to the register",
    "adding engagements": "Adding engagements",
    "updating engagements": "Updating engagements",
    "inviting": "Preparing invitations",
    "saving": "Saving your staff list",
}


@dataclass(frozen=True)
class Live:
    """What the worker last reported for a job: the step, and how far through it."""

    stage: str
    done: int
    total: int


class Runner:
    """This process's import worker, and what it last reported for each job it runs."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._live: dict[int, Live] = {}
        self._futures: dict[int, Future[None]] = {}

    def submit(self, job_id: int) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staff-import")
            self._live[job_id] = Live("waiting", 0, 0)
            self._futures[job_id] = self._executor.submit(self._run, job_id)

    def live(self, job_id: int) -> Live | None:
        with self._lock:
            return self._live.get(job_id)

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        """Block until the job has ended (for the command line, tests and benchmarks)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def _report(self, job_id: int, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._live[job_id] = Live(stage, done, total)

    def _run(self, job_id: int) -> None:
        try:
            with self.app.app_context():
                try:
                    run(job_id, lambda stage, done, total: self._report(job_id, stage, done, total))
                finally:
                    db.session.remove()
        except Exception:  # never let a worker thread die with an unhandled error
            log.exception("Staff import job %s could not be run", job_id)
        finally:
            with self._lock:
                self._live.pop(job_id, None)
                self._futures.pop(job_id, None)


def runner(app: Flask | None = None) -> Runner:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = Runner(app)
    return found


def in_background(content: bytes) -> bool:
    """Whether a file this size is imported in the background (with progress) or at once."""
    return len(content) >= int(current_app.config["IMPORT_IN_BACKGROUND_FROM_BYTES"])


def _stale_before() -> datetime:
    return utcnow() - STALE_AFTER


def is_stale(job: StaffImportJob) -> bool:
    """A job still marked as running long after it began was interrupted: nothing was saved."""
    return job.status in IMPORT_JOB_RUNNING and (job.started_at or job.created_at) < _stale_before()


def running_job(provider: Provider) -> StaffImportJob | None:
    """The import running for this provider now, if any (an interrupted one does not count)."""
    jobs = db.session.scalars(
        select(StaffImportJob)
        .where(StaffImportJob.provider_id == provider.id, StaffImportJob.status.in_(IMPORT_JOB_RUNNING))
        .order_by(StaffImportJob.id.desc())
    )
    return next((job for job in jobs if not is_stale(job)), None)


def expected_lines(content: bytes) -> int:
    """About how many lines follow the header (a quoted value may hold a line break)."""
    breaks = content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)
    return max(breaks - 1, 0)


def start(
    provider: Provider, content: bytes, *, filename: str, actor: Account | None, invite: bool = True
) -> StaffImportJob:
    """Store the file as a job, commit, and hand it to this process's worker."""
    _close_interrupted(provider)
    job = StaffImportJob(
        provider_id=provider.id,
        account_id=actor.id if actor else None,
        filename=filename[:255],
        file_sha256=staff_import.sha256(content),
        file_bytes=len(content),
        expected_lines=expected_lines(content),
        content=content,
        invite=invite,
        status="waiting",
    )
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    # The worker reads the job from the database: it starts once the request's work is committed.
    unit_of_work.after_commit(lambda: runner().submit(job_id))
    return job


def _close_interrupted(provider: Provider) -> None:
    """Mark this provider's interrupted jobs as failed and drop the files they kept."""
    db.session.execute(
        update(StaffImportJob)
        .where(
            StaffImportJob.provider_id == provider.id,
            StaffImportJob.status.in_(IMPORT_JOB_RUNNING),
            StaffImportJob.created_at < _stale_before(),
        )
        .values(status="failed", content=None, finished_at=utcnow())
    )


def run(job_id: int, report: staff_import.Progress) -> None:
    """Check and import one waiting job; record how it ended. Never raises for a bad file."""
    job = db.session.get(StaffImportJob, job_id)
    if job is None or job.status != "waiting":
        return
    content = db.session.scalar(select(StaffImportJob.content).where(StaffImportJob.id == job_id)) or b""
    with transaction():
        job.status = "checking"
        job.started_at = utcnow()
    try:
        checked = staff_import.check(content, progress=report)
        del content
        if not checked.ok:
            with transaction():
                job.status = "refused"
                job.problem_count = checked.problem_count
                job.problems = [[p.line, p.column, p.message] for p in checked.problems]
                _finish(job)
            return
        with transaction():
            job.status = "saving"
        report("saving", 0, 0)
        with transaction():  # the staff list and the job's end, together
            provider = db.session.get_one(Provider, job.provider_id)
            actor = db.session.get(Account, job.account_id) if job.account_id else None
            outcome = staff_import.save(
                provider, checked, filename=job.filename, actor=actor, progress=report, invite=job.invite
            )
            job.status = "done"
            job.staff_import_id = outcome.staff_import.id
            _finish(job)
    except Exception:
        log.exception("Staff import job %s failed; nothing was saved", job_id)
        discard()
        with transaction():
            failed = db.session.get(StaffImportJob, job_id)
            if failed is not None:
                failed.status = "failed"
                _finish(failed)
        return
    # Roles and who works here appear on the public register: bring the index up to date now,
    # in this worker, rather than at the end of somebody's web request.
    try:
        search_index.apply_pending()
    except Exception as error:  # the work stays recorded; `search apply` or the next change repairs it
        log.exception("Search index update after staff import job %s failed", job_id)
        search_index.record_failure(error)


def _finish(job: StaffImportJob) -> None:
    job.content = None
    job.finished_at = utcnow()


def job_for(provider: Provider, job_id: int) -> StaffImportJob | None:
    return db.session.scalar(
        select(StaffImportJob).where(StaffImportJob.id == job_id, StaffImportJob.provider_id == provider.id)
    )


def problems_of(job: StaffImportJob) -> staff_import.Checked:
    """A refused job's problems, in the shape the import page lists them."""
    checked = staff_import.Checked(sha256=job.file_sha256)
    checked.problems = [staff_import.Problem(line, column, message) for line, column, message in job.problems]
    checked.problem_count = job.problem_count
    return checked


@dataclass(frozen=True)
class JobProgress:
    """What the job's page shows: the state, the step in words and the bar's percentage."""

    state: str  # waiting | checking | saving | done | refused | failed | stopped
    step: str
    percent: int
    finished: bool

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "step": self.step, "percent": self.percent, "finished": self.finished}


def progress_of(job: StaffImportJob, live: Live | None) -> JobProgress:
    if is_stale(job):
        return JobProgress("stopped", "The import stopped before it finished. Nothing was saved", 0, True)
    if job.status == "done":
        return JobProgress("done", "Imported", 100, True)
    if job.status == "refused":
        return JobProgress("refused", "The file has problems. Nothing was saved", 0, True)
    if job.status == "failed":
        return JobProgress("failed", "The import could not be finished. Nothing was saved", 0, True)
    stage = live.stage if live is not None and live.stage in _BANDS else job.status
    if stage == "checking" and job.status == "saving":
        stage = "saving"  # a report from before the phase changed
    low, high = _BANDS[stage]
    done = live.done if live is not None and live.stage == stage else 0
    total = (live.total if live is not None and live.stage == stage else 0) or (
        job.expected_lines if stage == "checking" else 0
    )
    fraction = min(done / total, 1.0) if total else 0.0
    step = _STEP_TEXT[stage]
    if stage == "checking" and done:
        step += f": {done:,} of about {total:,} lines" if total else f": {done:,} lines"
    elif total and stage != "checking":
        step += f": {done:,} of {total:,}"
    return JobProgress(job.status, step, int(low + (high - low) * fraction), False)
