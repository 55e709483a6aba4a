"""Big staff-list imports run as queued jobs in the worker, and every web server shows how far they got.

A file smaller than IMPORT_IN_BACKGROUND_FROM_BYTES (a setting; about 2,500 people) is checked and
imported within the request, as it always was. A bigger one is stored in a StaffImportJob; once the
request's work is committed, the job is put on the task queue (the "staff-import" task of
`interests/tasks.py`, which hands this module a function to queue with: QUEUE_KEY) and a worker
(`flask --app interests worker`) runs it. The browser is sent to the job's page, which asks for
progress every second and moves on to the result, or shows the problems, when the job ends.

What stays true whatever happens:
- The import is one transaction, committed together with the job's "done": a job that fails, or
  whose worker dies, has saved nothing - and its page says so, with the file to upload again.
- The file's bytes (staff email addresses) are kept only until the job ends, however it ends.
- One import at a time per provider: a second upload while one runs is refused with a link to it.

**Progress any web server can read.** The worker reports each step (checking lines, adding people,
adding engagements, updating engagements, queuing invitations) with a count. The import's own
transaction shows nothing to anybody until it commits, so progress is written outside it:

- PostgreSQL: into the job's own row (step, done, total, heartbeat_at), on a connection of its own
  in autocommit. Every web server reads the row. The import's transaction touches the row only in
  its last statement (the job's "done"), so the two never wait for each other for long.
- SQLite: the import's transaction holds the database's one write lock from its first insert to
  its commit, so nothing else can write the row meanwhile. The running job's progress goes to a
  small SQLite file beside the database (`<database file>-import-progress`, one row per running
  job), which any process can write and read at any time; SQLite is one machine, so every web
  process sees that file. The job's row still records each phase (waiting, checking, saving) and
  the end.

Counts are written at most every REPORT_EVERY_SECONDS, and a thread of the worker writes a heartbeat
(the time, with the last count) every quarter of IMPORT_STALE_AFTER_SECONDS, so a long step with
nothing to count still shows the worker alive.

**A worker that dies** (killed, out of memory, its machine restarted) stops beating. A running job
whose last sign of life is older than IMPORT_STALE_AFTER_SECONDS (default 60) was interrupted, and
its transaction was never committed. The worker's schedule looks for such jobs every minute
(`recover_interrupted`): a job interrupted in its first attempt goes back to "waiting" and is queued
again; one interrupted in its second, or silent for more than QUEUE_WAIT_LIMIT (no worker ran for
that long: nobody is still waiting for it), is marked failed with STOPPED_MESSAGE. Until then its
page says it will start again, or that it stopped; a new upload for the provider replaces it. A
job still waiting after QUEUE_WAIT_LIMIT (no worker running, or its queue entry lost) is marked
failed with NOT_STARTED_MESSAGE. An import that raises (a bug, the database gone away) fails at
once, with FAILED_MESSAGE: it would most likely fail again.

On SQLite a worker runs one import at a time (a lock in the process): two would only wait for each
other's write lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from interests import unit_of_work
from interests.extensions import db
from interests.models import Account, Provider, StaffImportJob, utcnow
from interests.models.staff_imports import IMPORT_JOB_RUNNING
from interests.services import search_index
from interests.services.staff import importing as staff_import
from interests.services.staff.progress import Live, Reporter, progress_board
from interests.services.staff.progress import live as live  # what the job pages read
from interests.unit_of_work import discard, transaction

log = logging.getLogger(__name__)

# The default of IMPORT_STALE_AFTER_SECONDS: a running job silent this long was interrupted. Its
# worker beats four times in that time, so a busy machine missing a beat or two is not mistaken.
STALE_AFTER = timedelta(seconds=60)
# A job nobody has started after this long will not be: no worker runs, or its queue entry was lost.
QUEUE_WAIT_LIMIT = timedelta(hours=1)
MAX_ATTEMPTS = 2  # the first run, and one more after an interruption

STOPPED_MESSAGE = "The import stopped before it finished. Nothing was saved. Upload the file again."
NOT_STARTED_MESSAGE = "The import did not start. Nothing was saved. Upload the file again."
FAILED_MESSAGE = "The import could not be finished. Nothing was saved. Upload the file again."
INTERRUPTED_TEXT = "The import was interrupted. It will start again shortly"

QUEUE_KEY = "staff_import_queue"  # app.extensions: a function that queues a job's id (interests/tasks.py)

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


# --- Starting a job, and running it in the worker -----------------------------------------------


def in_background(content: bytes) -> bool:
    """Whether a file this size is imported in the background (with progress) or at once."""
    return len(content) >= int(current_app.config["IMPORT_IN_BACKGROUND_FROM_BYTES"])


def stale_after() -> timedelta:
    """IMPORT_STALE_AFTER_SECONDS: how long a running job may be silent before it counts as stopped."""
    return timedelta(seconds=float(current_app.config["IMPORT_STALE_AFTER_SECONDS"]))


def last_sign_of_life(job: StaffImportJob, live: Live | None) -> datetime:
    beats = (job.heartbeat_at, live.heartbeat_at if live else None, job.started_at, job.created_at)
    return max(beat for beat in beats if beat is not None)


def is_stale(job: StaffImportJob, live: Live | None = None, after: timedelta = STALE_AFTER) -> bool:
    """A job marked as running whose worker has been silent too long: it was interrupted."""
    if job.status not in IMPORT_JOB_RUNNING:
        return False
    limit = QUEUE_WAIT_LIMIT if job.status == "waiting" else after
    return last_sign_of_life(job, live) < utcnow() - limit


def _tried_again(job: StaffImportJob, live: Live | None) -> bool:
    """Whether an interrupted job will be tried once more (rather than marked failed)."""
    return (
        job.status != "waiting"
        and (job.attempts or 0) < MAX_ATTEMPTS
        and last_sign_of_life(job, live) >= utcnow() - QUEUE_WAIT_LIMIT
    )


def hold_imports(provider: Provider) -> None:
    """Before an upload checks for a running import: take the provider's row for writing until the
    caller's transaction ends, so two uploads at once check one after the other (PostgreSQL's row
    lock; SQLite's one writer, as a read alone would let both see nothing running) and one import
    runs at a time per provider."""
    db.session.execute(
        update(Provider)
        .where(Provider.id == provider.id)
        .values(slug=Provider.slug)
        .execution_options(synchronize_session=False)
    )


def running_job(provider: Provider) -> StaffImportJob | None:
    """The import running for this provider now, if any (an interrupted one does not count)."""
    jobs = db.session.scalars(
        select(StaffImportJob)
        .where(StaffImportJob.provider_id == provider.id, StaffImportJob.status.in_(IMPORT_JOB_RUNNING))
        .order_by(StaffImportJob.id.desc())
    )
    after = stale_after()
    return next((job for job in jobs if not is_stale(job, live(job), after)), None)


def expected_lines(content: bytes) -> int:
    """About how many lines follow the header (a quoted value may hold a line break)."""
    breaks = content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)
    return max(breaks - 1, 0)


def start(
    provider: Provider, content: bytes, *, filename: str, actor: Account | None, invite: bool = True
) -> StaffImportJob:
    """Store the file as a job; once the request's work is committed, queue it for a worker."""
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
    queue: Callable[[int], None] = current_app.extensions[QUEUE_KEY]
    # The worker reads the job from the database: it is queued once the request's work is committed.
    unit_of_work.after_commit(lambda: queue(job_id))
    return job


def _close_interrupted(provider: Provider) -> None:
    """A new upload replaces this provider's interrupted jobs: mark them failed, drop their files."""
    after = stale_after()
    board = progress_board()
    for job in db.session.scalars(
        select(StaffImportJob).where(
            StaffImportJob.provider_id == provider.id, StaffImportJob.status.in_(IMPORT_JOB_RUNNING)
        )
    ):
        if is_stale(job, board.read(job), after):
            job.message = NOT_STARTED_MESSAGE if job.status == "waiting" else STOPPED_MESSAGE
            job.status = "failed"
            _finish(job)
            board.forget(job.id)


def recover_interrupted() -> list[int]:
    """Deal with the jobs whose worker stopped (see the module's docstring), in the caller's
    transaction; answer the ids of those to queue again once it is committed."""
    after = stale_after()
    board = progress_board()
    again = []
    for job in db.session.scalars(
        select(StaffImportJob)
        .where(StaffImportJob.status.in_(IMPORT_JOB_RUNNING))
        .order_by(StaffImportJob.id)
    ):
        found = board.read(job)
        if not is_stale(job, found, after):
            continue
        if _tried_again(job, found):
            log.warning("Staff import job %s interrupted (attempt %s): queued again", job.id, job.attempts)
            job.status = "waiting"
            job.heartbeat_at = utcnow()  # queued again now: its wait starts again
            job.step, job.done, job.total = "", 0, 0
            again.append(job.id)
        else:
            log.warning("Staff import job %s was interrupted: marked failed", job.id)
            job.message = NOT_STARTED_MESSAGE if job.status == "waiting" else STOPPED_MESSAGE
            job.status = "failed"
            _finish(job)
        board.forget(job.id)
    return again


# On SQLite, imports in one worker run one after another: they would only wait for the write lock.
_ONE_SQLITE_IMPORT_AT_A_TIME = threading.Lock()


def run(job_id: int) -> None:
    """Check and import one waiting job; record how it ended. Never raises for a bad file."""
    serial = db.engine.dialect.name == "sqlite"
    with _ONE_SQLITE_IMPORT_AT_A_TIME if serial else contextlib.nullcontext():
        if _claim(job_id):
            _run(job_id)


def _claim(job_id: int) -> bool:
    """Take a waiting job for this worker (of two copies of its task, one takes it)."""
    now = utcnow()
    with transaction():
        claimed = db.session.execute(
            update(StaffImportJob)
            .where(StaffImportJob.id == job_id, StaffImportJob.status == "waiting")
            .values(
                status="checking",
                attempts=StaffImportJob.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                step="checking",
                done=0,
                total=0,
            )
        )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        log.info("Staff import job %s is not waiting: another worker has it, or it has ended", job_id)
        return False
    return True


def _run(job_id: int) -> None:
    job = db.session.get_one(StaffImportJob, job_id)
    content = db.session.scalar(select(StaffImportJob.content).where(StaffImportJob.id == job_id)) or b""
    board = progress_board()
    try:
        with Reporter(board, job_id, stale_after().total_seconds() / 4) as report:
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
            if failed is not None and failed.status in IMPORT_JOB_RUNNING:
                failed.status = "failed"
                failed.message = FAILED_MESSAGE
                _finish(failed)
        return
    finally:
        board.forget(job_id)
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


# --- What the job's page shows ------------------------------------------------------------------


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

    # waiting | checking | saving | done | refused | failed | stopped | interrupted (tried again soon)
    state: str
    step: str
    percent: int
    finished: bool

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "step": self.step, "percent": self.percent, "finished": self.finished}


def progress_of(job: StaffImportJob, live: Live | None, after: timedelta = STALE_AFTER) -> JobProgress:
    if is_stale(job, live, after):
        if _tried_again(job, live):
            return JobProgress("interrupted", INTERRUPTED_TEXT, 0, False)
        message = NOT_STARTED_MESSAGE if job.status == "waiting" else STOPPED_MESSAGE
        return JobProgress("stopped", message, 0, True)
    if job.status == "done":
        return JobProgress("done", "Imported", 100, True)
    if job.status == "refused":
        return JobProgress("refused", "The file has problems. Nothing was saved", 0, True)
    if job.status == "failed":
        return JobProgress("failed", job.message or FAILED_MESSAGE, 0, True)
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
