"""The task queue and the schedule: what the worker (`flask --app interests worker`) runs, and when.

Huey keeps the queue: in SQLite under the instance folder by default (TASK_QUEUE_FILE; the web and
the worker must be on one machine), in Redis when REDIS_URL is set (any number of machines). Each
task runs in an app context and does its database work in `unit_of_work.transaction()` blocks,
here or in the service it calls.

The schedule (UK times are Europe/London wall-clock times, GMT in winter and BST in summer):

| job | when |
|---|---|
| deliver-outbox | every minute (each email has its own back-off: `services/outbox.py`) |
| apply-search-work | every minute |
| recover-imports | every minute (a staff import whose worker died is tried once more, then failed) |
| refresh-search | daily at 00:05 UK time |
| publish-national-data | daily at 02:45 UK time (the /data download; the latest 30 nights kept) |
| compliance-snapshot | daily at 03:15 UK time |
| prune-security-events | daily at 03:30 UK time (and forget questions' client keys after two days) |
| send-alert-digests | daily at 07:30 UK time (`services/alerts.py`) |
| send-reminders | daily at 08:00 UK time |

Huey checks its periodic tasks once a minute with a UTC timestamp; a daily job's check converts
that timestamp to UK time (`clock.in_uk_time`), so 08:00 is 08:00 on a UK clock all year. A time
between 01:00 and 02:00 UK would happen twice on the last Sunday of October and not at all on the
last Sunday of March: none of the jobs is scheduled then.

Besides the schedule, the web queues one task: "staff-import", a big staff list to check and save
(`services/staff/jobs.py`, which says how its progress reaches every web server and what happens
when a worker dies mid-import). The web queues it through the function `init_app` leaves in
`app.extensions`, so the services never import this module.

Two workers (or two schedulers, or a worker and someone running the same `flask` command) may
start the same job: each job holds a Huey lock while it runs, so a second copy is refused rather
than sending an email twice, and every job is idempotent, so running it again later is harmless
(reminders once per window, a snapshot replaces its date, prune and refresh only catch up).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import Huey, RedisExpireHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from interests import clock
from interests.services import alerts, compliance, national_data, outbox, reminders, retention, search_index
from interests.services.staff import jobs as import_jobs
from interests.unit_of_work import transaction

logger = logging.getLogger(__name__)

QUEUE_NAME = "interests"
EXTENSION = "task_queue"


# --- The jobs: each runs inside an app context ------------------------------------------------


def deliver_outbox() -> None:
    delivery = outbox.deliver_pending()  # one transaction per email
    if delivery.sent or delivery.failed:
        logger.info(
            "Outbox: %d sent, %d failed, %d waiting", delivery.sent, delivery.failed, delivery.waiting
        )


def apply_search_work() -> None:
    applied = search_index.apply_pending(max_rounds=1_000_000)  # one transaction per round
    search_index.tidy()
    if applied:
        logger.info("Search index: applied %d pending updates", applied)


def refresh_search() -> None:
    done = search_index.refresh()
    logger.info("Search index: re-indexed %d professionals changed by the date", done.professionals)


def publish_national_data() -> None:
    done = national_data.publish()  # reads one snapshot, writes the files, then prunes to 30 nights
    logger.info("National download of %s: %d rows in %.1fs", done.night.isoformat(), done.rows, done.seconds)


def take_compliance_snapshot() -> None:
    day = clock.today()
    with transaction():
        run = compliance.take_snapshot(day)
    logger.info("Compliance snapshot of %s: %d providers", day.isoformat(), run.providers)


def send_reminders() -> None:
    with transaction():
        sent = reminders.send_reminders(clock.today())
    logger.info("Reminders: %d queued (delivered by deliver-outbox)", sent.sent)


def send_alert_digests() -> None:
    done = alerts.send_digests()  # one transaction per address
    logger.info("Email alerts: %d digests queued, %d unconfirmed deleted", done.sent, done.expired)


def prune_security_events() -> None:
    with transaction():
        done = retention.prune_daily(current_app.config["SECURITY_LOG_KEEP_DAYS"])
    logger.info("Security events: deleted %d older than %d days", done.events_deleted, done.keep_days)
    logger.info(
        "Patients' questions: forgot the client key of %d older than two days", done.client_keys_forgotten
    )


def recover_imports() -> None:
    with transaction():
        again = import_jobs.recover_interrupted()
    queue = queue_for(current_app._get_current_object())  # type: ignore[attr-defined]
    for job_id in again:  # queued once the job is "waiting" again, so the worker can take it
        queue.enqueue_import(job_id)
    if again:
        logger.info("Staff imports: %d interrupted, queued again", len(again))


# --- When they run ----------------------------------------------------------------------------


def every_minute(moment: datetime) -> bool:
    return True


def daily_at_uk_time(hour: int, minute: int) -> Callable[[datetime], bool]:
    """A Huey validate function: true in the minute when UK clocks show hour:minute."""

    def due(moment: datetime) -> bool:
        uk = clock.in_uk_time(moment)
        return (uk.hour, uk.minute) == (hour, minute)

    due.__name__ = f"daily_at_{hour:02d}{minute:02d}_uk_time"
    return due


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], None]
    due: Callable[[datetime], bool]
    # With Redis, a lock left by a worker that died is released after this long (seconds). It is
    # far longer than the job takes: a second copy must not start while the first still runs.
    lock_seconds: int


SCHEDULE: tuple[Job, ...] = (
    Job("deliver-outbox", deliver_outbox, every_minute, lock_seconds=3600),
    Job("apply-search-work", apply_search_work, every_minute, lock_seconds=3600),
    Job("recover-imports", recover_imports, every_minute, lock_seconds=3600),
    Job("refresh-search", refresh_search, daily_at_uk_time(0, 5), lock_seconds=6 * 3600),
    Job("publish-national-data", publish_national_data, daily_at_uk_time(2, 45), lock_seconds=6 * 3600),
    Job("compliance-snapshot", take_compliance_snapshot, daily_at_uk_time(3, 15), lock_seconds=6 * 3600),
    Job("prune-security-events", prune_security_events, daily_at_uk_time(3, 30), lock_seconds=6 * 3600),
    Job("send-reminders", send_reminders, daily_at_uk_time(8, 0), lock_seconds=6 * 3600),
    Job("send-alert-digests", send_alert_digests, daily_at_uk_time(7, 30), lock_seconds=6 * 3600),
)


# --- The queue --------------------------------------------------------------------------------


class TaskQueue:
    """One app's Huey and its tasks: `enqueue(name)` from the web or a command; the worker runs them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.uses_redis = bool(app.config["REDIS_URL"])
        self.huey: Huey
        if self.uses_redis:
            # The "expire" storage sets keys with SET NX EX, so a lock can have a time to live on the
            # Redis 7.0 that Debian ships (the plain storage needs 7.4 for that).
            self.huey = RedisExpireHuey(QUEUE_NAME, url=app.config["REDIS_URL"], results=False)
        else:
            Path(app.config["TASK_QUEUE_FILE"]).parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(QUEUE_NAME, filename=app.config["TASK_QUEUE_FILE"], results=False)
        # Made here, not when a job runs, so the worker knows every lock when it starts (to flush).
        self.locks = {
            job.name: self.huey.lock_task(job.name, job.lock_seconds if self.uses_redis else None)
            for job in SCHEDULE
        }
        self.tasks: dict[str, TaskWrapper] = {}
        for job in SCHEDULE:
            self.tasks[job.name] = self.huey.periodic_task(job.due, name=job.name)(self._in_app(job))
        # No lock and no Huey retries: a job is taken by one worker (its claim), and one whose worker
        # died is queued again by recover-imports.
        self.import_task = self.huey.task(name="staff-import")(self._import)

    def _in_app(self, job: Job) -> Callable[[], None]:
        @functools.wraps(job.run)
        def run() -> None:
            # SQLite storage cannot expire a key: its locks are cleared when the worker starts instead
            # (one machine, so one worker process; see `worker`).
            with self.locks[job.name], self.app.app_context():
                job.run()

        return run

    def _import(self, job_id: int) -> None:
        with self.app.app_context():
            import_jobs.run(job_id)

    def enqueue(self, name: str) -> None:
        self.tasks[name]()

    def enqueue_import(self, job_id: int) -> None:
        """Queue a staff import job (recorded and committed already) for a worker."""
        self.import_task(job_id)

    def pending(self) -> int:
        return int(self.huey.pending_count())


def queue_for(app: Flask) -> TaskQueue:
    """The app's task queue, made on first use (so an app that queues nothing opens no storage)."""
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        queue = app.extensions[EXTENSION] = TaskQueue(app)
    return queue  # type: ignore[no-any-return]


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Tasks run at once (threads). Default: the WORKER_COUNT setting (2).",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also queue the scheduled jobs. Run one worker with it, any others with --no-periodic.",
)
@click.option(
    "--flush-locks/--keep-locks",
    default=None,
    help="Clear the jobs' locks at start (left by a worker that was killed). Default: only with "
    "the SQLite queue, which has one worker; with Redis, locks expire on their own.",
)
@with_appcontext
def worker_command(workers: int | None, periodic: bool, flush_locks: bool | None) -> None:
    """Run queued tasks and the schedule until stopped (Ctrl-C, or SIGTERM)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = queue_for(app)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.INFO)
    logging.getLogger("interests").setLevel(logging.INFO)
    count = workers or app.config["WORKER_COUNT"]
    where = "Redis" if queue.uses_redis else app.config["TASK_QUEUE_FILE"]
    click.echo(f"Worker: {count} threads, queue in {where}, schedule {'on' if periodic else 'off'}")
    consumer = Consumer(
        queue.huey,
        workers=count,
        worker_type="thread",
        periodic=periodic,
        flush_locks=(not queue.uses_redis) if flush_locks is None else flush_locks,
    )
    consumer.run()


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
    # How the web queues a staff import: the queue's storage is opened on the first upload.
    app.extensions[import_jobs.QUEUE_KEY] = lambda job_id: queue_for(app).enqueue_import(job_id)
