"""Keeping the search index in step with the database, and answering searches from it.

The database is the truth; the index (any `interests.search.Backend`) is rebuilt from it at any
time. This module builds the typed documents (with `register`) and hands them to the backend.

Callers that change what is published call ``schedule(...)`` inside their transaction. How the
work is applied depends on the engine:

- **PostgreSQL** (``in_transaction``): just before the change's own commit (``before_commit``), in
  the same transaction, so the index rows are saved with the change or not at all and every
  server sees them at once. Work on more than ``IN_TRANSACTION_MAX_PROFESSIONALS`` people (a big
  staff import, a provider's publication settings) is applied right after the commit instead, in
  transactions of its own, and by the worker's ``search apply`` if that is interrupted.
- **Whoosh**: once the request, command or job step that committed it ends (its app context is
  torn down), and by the worker's ``search apply``.

Why tasks in the database: Whoosh's AsyncWriter lost 247 of 300 acknowledged updates when its
process was killed (search-notes.md). A task row is committed with the change; ``apply_pending``
takes the index's write lock, reads the tasks, rebuilds those documents from the database,
commits the index, and only then deletes the tasks it read. A process killed anywhere in
between leaves the tasks, and the next ``apply_pending`` repairs the index.

What is published also changes with the date alone (an entry 6 months after it ended, an
engagement that started or ended): ``flask --app interests search refresh``, run daily, records
tasks for the people concerned; until it runs, a result past its document's "fresh until" day is
checked against the database before it is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session

from interests import clock
from interests.extensions import db
from interests.models import SearchTask
from interests.search import Backend, Hit, IndexBusy, IndexWriter, ProviderDocument, backend_for
from interests.services import register
from interests.unit_of_work import after_commit, before_commit, discard, transaction

log = logging.getLogger(__name__)

# /healthz: work left pending longer than this means no indexer is applying it.
PENDING_TOO_LONG = timedelta(minutes=1)
TASKS_PER_ROUND = 500
REBUILD_CHUNK = 2000
# A missing index is built inside a request only for a register this small (about a second).
INLINE_BUILD_MAX_PROFESSIONALS = 2000
# PostgreSQL: a change touching more people than this is indexed just after its commit, not in it.
IN_TRANSACTION_MAX_PROFESSIONALS = 500
# The search tasks recorded in the session's current transaction (session.info).
_OWN_TASKS = "search_tasks_recorded"


def schedule(*, professional_id: int | None = None, provider_id: int | None = None) -> None:
    """Record, in the caller's transaction, that these search documents must be rebuilt."""
    if professional_id is None and provider_id is None:
        raise ValueError("schedule() needs a professional or a provider")
    task = SearchTask(professional_id=professional_id, provider_id=provider_id)
    db.session.add(task)
    db.session.info.setdefault(_OWN_TASKS, []).append(task)
    if _backend().in_transaction:
        before_commit(_apply_own_tasks)
    else:
        after_commit(_note_work_committed)


def _connection() -> object:
    """The database connection of the session's current transaction (for the PostgreSQL engine)."""
    return db.session.connection().connection.driver_connection


def _backend() -> Backend:
    return backend_for(current_app.config, _connection)


def _today() -> date:
    return clock.today()


def index_exists() -> bool:
    return _backend().exists()


def upgrade_index() -> bool:
    """Bring an index built by an older version up to this one's without a rebuild, when its
    engine can (PostgreSQL: the per-term counts made from the posting table); True if done."""
    discard()
    with transaction():
        return _backend().upgrade()


# --- applying pending work ------------------------------------------------------------------------


def _apply(index: IndexWriter, tasks: list[tuple[int, int | None, int | None]], today: date) -> None:
    """Rebuild the documents these tasks (id, professional, provider) name, in ``index``. The people
    are reserved before their documents are read (backend.py: ``IndexWriter.reserve``)."""
    professional_ids = {pid for _, pid, _ in tasks if pid is not None}
    provider_ids = {prid for _, _, prid in tasks if prid is not None}
    for provider_id in provider_ids:
        professional_ids.update(register.professionals_at_provider(provider_id, today))
    index.reserve(professional_ids)
    docs = register.search_documents(sorted(professional_ids), today)
    index.put_providers(
        ProviderDocument(p.id, p.name, p.slug, p.ods_code)
        for p in register.providers_by_ids(sorted(provider_ids)).values()
    )
    index.put_people({pid: docs.get(pid) for pid in professional_ids})


def _waiting_tasks(locked: bool) -> list[tuple[int, int | None, int | None]]:
    statement = (
        select(SearchTask.id, SearchTask.professional_id, SearchTask.provider_id)
        .order_by(SearchTask.id)
        .limit(TASKS_PER_ROUND)
    )
    if locked:  # PostgreSQL: two servers applying at once each take different tasks
        statement = statement.with_for_update(skip_locked=True)
    return [(t.id, t.professional_id, t.provider_id) for t in db.session.execute(statement)]


def apply_pending(*, max_rounds: int = 20, build_up_to: int | None = None) -> int:
    """Apply recorded index work until none is left (or ``max_rounds``); return tasks applied.

    Call after the change's commit: this ends the session's current transaction so it reads
    what is committed. When the index does not exist yet it is built in full - unless the
    register has more than ``build_up_to`` professionals (a web request must not spend minutes
    rebuilding: the work stays recorded, /healthz says the index is missing, and
    ``flask --app interests search reindex`` builds it).
    """
    discard()  # end the transaction: what follows reads what is committed
    backend = _backend()
    if not backend.exists():
        if build_up_to is not None and register.max_professional_id() > build_up_to:
            return 0
        rebuild()
        return 0
    applied = 0
    for _ in range(max_rounds):
        if backend.in_transaction:
            # One transaction: the tasks, the index rows they make, and the tasks' deletion.
            try:
                with transaction():
                    tasks = _waiting_tasks(locked=True)
                    if tasks:
                        with backend.writing() as index:
                            _apply(index, tasks, _today())
                        db.session.execute(delete(SearchTask).where(SearchTask.id.in_([t[0] for t in tasks])))
            except IndexBusy:
                break  # a rebuild is running; it applies what is left when it ends
        else:
            with backend.writing() as index:
                # Tasks are read after the index's lock is taken and before the data: a change
                # committed meanwhile either is read here or leaves its own task for the next round.
                tasks = _waiting_tasks(locked=False)
                if tasks:
                    _apply(index, tasks, _today())
            with transaction():
                db.session.execute(delete(SearchTask).where(SearchTask.id.in_([t[0] for t in tasks])))
        if not tasks:
            break
        applied += len(tasks)
    return applied


def tidy() -> None:
    """The engine's periodic housekeeping (PostgreSQL: the per-term counts folded), after
    ``apply_pending`` in the every-minute job."""
    discard()
    with transaction():
        _backend().tidy()


def _apply_own_tasks() -> None:
    """PostgreSQL, just before a change's commit: index the work it recorded, in its transaction."""
    recorded: list[SearchTask] = db.session.info.pop(_OWN_TASKS, [])
    if not recorded:
        return
    db.session.flush()
    backend = _backend()
    if not backend.exists():
        if register.max_professional_id() <= INLINE_BUILD_MAX_PROFESSIONALS:
            _rebuild_into(backend)  # a new register's first declaration: build it now
        return  # otherwise the work stays recorded until `search reindex` builds the index
    tasks = [(t.id, t.professional_id, t.provider_id) for t in recorded]
    today = _today()
    if any(provider_id is not None for _, _, provider_id in tasks) and (
        sum(len(register.professionals_at_provider(prid, today)) for _, _, prid in tasks if prid is not None)
        > IN_TRANSACTION_MAX_PROFESSIONALS
    ):
        after_commit(_note_work_committed)  # too many people for this transaction
        return
    try:
        with backend.writing() as index:
            _apply(index, tasks, today)
    except IndexBusy:
        return  # a rebuild is running: the work stays recorded, and is applied when it ends
    db.session.execute(delete(SearchTask).where(SearchTask.id.in_([t[0] for t in tasks])))


def record_failure(error: BaseException) -> None:
    """Note the failure on the waiting tasks (the work stays recorded and is retried)."""
    discard()
    with transaction():
        db.session.execute(
            update(SearchTask).values(
                attempts=SearchTask.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:500]
            )
        )


# --- a full rebuild -----------------------------------------------------------------------------


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild both indexes from the database; return the number of professionals indexed.

    Whoosh: the write locks are held throughout, so concurrent ``apply_pending`` calls wait (or
    fail and leave their tasks). Tasks recorded before the rebuild read the database are deleted;
    later ones are applied afterwards. PostgreSQL: one transaction, which drops and refills the
    tables (searches and changes wait for it: a rebuild is for setting up and recovering).
    """
    discard()  # end the transaction: what follows reads what is committed
    backend = _backend()
    if backend.in_transaction:
        with transaction():
            indexed = _rebuild_into(backend, progress)
        apply_pending(max_rounds=1_000_000)  # changes made while it ran left their work recorded
        return indexed
    return _rebuild_into(backend, progress)


def _rebuild_into(backend: Backend, progress: Callable[[int, int], None] | None = None) -> int:
    indexed = 0
    today = _today()
    with backend.writing(rebuild=True) as index:
        covered_task_id = db.session.scalar(select(func.max(SearchTask.id))) or 0
        last_id = register.max_professional_id()
        for start in range(0, last_id, REBUILD_CHUNK):
            docs = register.search_documents(range(start + 1, start + REBUILD_CHUNK + 1), today)
            index.put_people(docs)
            indexed += len(docs)
            if not backend.in_transaction:
                db.session.expunge_all()  # (in a transaction, the caller's objects must stay)
            if progress is not None:
                progress(min(start + REBUILD_CHUNK, last_id), last_id)
        index.put_providers(
            ProviderDocument(provider_id, name, slug, ods_code)
            for provider_id, name, slug, ods_code in register.all_providers()
        )
    if backend.in_transaction:
        db.session.execute(delete(SearchTask).where(SearchTask.id <= covered_task_id))
        backend.note_refreshed(today)
        return indexed
    with transaction():
        db.session.execute(delete(SearchTask).where(SearchTask.id <= covered_task_id))
    backend.note_refreshed(today)
    return indexed


def remove_index() -> None:
    """Delete the index (tests and the health check's "missing" case)."""
    with transaction():
        _backend().remove()


# --- querying -----------------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    page: int
    per_page: int
    total: int
    professionals: list[Any]  # register.ProfessionalSummary, with .companies added
    providers: list[Any]
    companies: list[Any]
    suggestion: str | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class SearchUnavailable(RuntimeError):
    """The index is missing: ``flask --app interests search reindex`` builds it."""


def search(query: str, *, page: int = 1, per_page: int = 20) -> SearchResults:
    backend = _backend()
    if not backend.exists():
        raise SearchUnavailable("The search index has not been built")
    found = backend.search(query, page, per_page)
    # Results are shown from the index's stored, published facts: no database query per search,
    # except for a result whose document has outlived its "fresh until" day (an entry or an
    # engagement passed its 6 months since the index was written, and `search refresh` has not
    # run yet): those few are checked against the database, so a stale entry is never shown.
    hits, dropped = _without_stale(backend, found.hits, _today())
    professionals = [
        {
            "summary": register.ProfessionalSummary(
                professional_id=hit.professional_id,
                name=hit.display.get("name", ""),
                profession=hit.display.get("profession", ""),
                specialty=hit.display.get("specialty"),
                registration=hit.display.get("registration", ""),
                providers=tuple(tuple(p) for p in hit.display.get("providers", [])),
            ),
            "companies": hit.companies,
        }
        for hit in hits
    ]
    return SearchResults(
        query=query,
        page=page,
        per_page=per_page,
        total=found.total - dropped,
        professionals=professionals,
        providers=found.providers,
        companies=found.companies,
        suggestion=found.suggestion,
    )


def _without_stale(backend: Backend, hits: list[Hit], today: date) -> tuple[list[Hit], int]:
    """The hits as published today: an out-of-date one is rebuilt from the database, and left out
    when the person is no longer published or no longer linked to the organisation that matched.
    Returns the hits and how many were left out."""
    stale = [h for h in hits if (h.display.get("fresh_until") or "9999-12-31") < today.isoformat()]
    if not stale:
        return hits, 0
    stale_ids = {h.professional_id for h in stale}
    docs = register.search_documents(sorted(stale_ids), today)
    kept = []
    for hit in hits:
        if hit.professional_id not in stale_ids:
            kept.append(hit)
            continue
        doc = docs.get(hit.professional_id)
        current = backend.recheck(hit, doc) if doc is not None else None
        if current is not None:
            kept.append(current)
    return kept, len(hits) - len(kept)


# --- refreshing what changes with the date --------------------------------------------------------

# Default --days of `search refresh`: run daily, a window of 2 days also covers one missed run.
REFRESH_DAYS = 2


def refreshed_on() -> date | None:
    """The UK day up to which the whole index was last made current (by a rebuild or a refresh)."""
    return _backend().refreshed_on()


@dataclass
class Refreshed:
    since: date
    today: date
    professionals: int


def refresh(days: int = REFRESH_DAYS) -> Refreshed:
    """Re-index everyone whose published register changed with the date since ``days`` ago (or
    since the last refresh or rebuild, if that was earlier): entries past their 6 months after
    ending, engagements that started or passed their 6 months after ending.

    The work goes through the same recorded tasks as any change, so a refresh killed midway is
    finished by the next ``search apply``. Idempotent: safe to run as often as you like.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    today = _today()
    since = today - timedelta(days=days)
    last = refreshed_on()
    if last is not None and last < since:
        since = last
    if not index_exists():
        return Refreshed(since, today, rebuild())
    professional_ids = register.professionals_changed_by_date(since, today)
    with transaction():
        for start in range(0, len(professional_ids), REBUILD_CHUNK):
            db.session.execute(
                insert(SearchTask),
                [{"professional_id": pid} for pid in professional_ids[start : start + REBUILD_CHUNK]],
            )
    apply_pending(max_rounds=1_000_000)
    with transaction():
        if db.session.scalar(select(func.count(SearchTask.id))) == 0:
            _backend().note_refreshed(today)
    return Refreshed(since, today, len(professional_ids))


# --- health -------------------------------------------------------------------------------------


def health() -> tuple[str, dict[str, Any]]:
    """For /healthz: the index exists, is not empty while the register is not, and no work waits."""
    backend = _backend()
    if not backend.exists():
        if not register.any_declaration_sent():
            # Nothing is published yet, so there is nothing to index: not a fault.
            return "search_index", {"ok": True, "empty": True, "pending": 0}
        return "search_index", {"ok": False, "error": "missing: run flask --app interests search reindex"}
    oldest = db.session.scalar(select(func.min(SearchTask.created_at)))
    pending = db.session.scalar(select(func.count(SearchTask.id))) or 0
    result: dict[str, Any] = {"ok": True, "empty": backend.is_empty(), "pending": pending}
    if oldest is not None and clock.now() - oldest > PENDING_TOO_LONG:
        result.update(ok=False, error="stale: index work has been waiting for over a minute")
    elif result["empty"] and register.any_declaration_sent():
        result.update(ok=False, error="stale: the index is empty but declarations have been sent")
    return "search_index", result


# --- wiring -------------------------------------------------------------------------------------


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_OWN_TASKS, None)


def _note_work_committed() -> None:
    db.session.info.pop(_OWN_TASKS, None)
    g._search_work_committed = True


def _apply_after_commit(exc: BaseException | None) -> None:
    """When the app context that committed index work ends: apply it (Whoosh; or PostgreSQL's big
    batches). Not at once after the commit: the caller may go on using what it loaded, and a
    command committing in steps has its work applied once."""
    if not g.pop("_search_work_committed", False):
        return
    try:
        apply_pending(max_rounds=2, build_up_to=INLINE_BUILD_MAX_PROFESSIONALS)
    except Exception as error:  # the work stays recorded; /healthz reports it if it lingers
        log.exception("Search index update failed; it will be retried")
        try:
            record_failure(error)
        except Exception:  # pragma: no cover - database gone too
            log.exception("Could not record the search index failure")


def init_app(app: Flask) -> None:
    Path(app.config["SEARCH_INDEX_DIR"]).parent.mkdir(parents=True, exist_ok=True)
    app.teardown_appcontext(_apply_after_commit)
