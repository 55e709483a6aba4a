"""Keeping the search index in step with the database, and answering searches from it.

The database is the truth; the index (any `interests.search.Backend`) is rebuilt from it at any
time. This module builds the typed documents (with `register`) and hands them to the backend.

Callers that change what is published call ``schedule(...)`` inside their transaction; the
pending work is applied after the commit (``init_app`` hooks the end of each request and CLI
command) and by ``flask --app interests search reindex``.

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

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session

from interests import clock
from interests.extensions import db
from interests.models import SearchTask
from interests.search import Backend, Hit, ProviderDocument, backend_for
from interests.services import register
from interests.unit_of_work import discard, transaction

log = logging.getLogger(__name__)

# /healthz: work left pending longer than this means no indexer is applying it.
PENDING_TOO_LONG = timedelta(minutes=1)
TASKS_PER_ROUND = 500
REBUILD_CHUNK = 2000
# A missing index is built inside a request only for a register this small (about a second).
INLINE_BUILD_MAX_PROFESSIONALS = 2000


def schedule(*, professional_id: int | None = None, provider_id: int | None = None) -> None:
    """Record, in the caller's transaction, that these search documents must be rebuilt."""
    if professional_id is None and provider_id is None:
        raise ValueError("schedule() needs a professional or a provider")
    db.session.add(SearchTask(professional_id=professional_id, provider_id=provider_id))


def _backend() -> Backend:
    return backend_for(current_app.config)


def _today() -> date:
    return clock.today()


def index_exists() -> bool:
    return _backend().exists()


# --- applying pending work ------------------------------------------------------------------------


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
        with backend.writing() as index:
            # Tasks are read after the index's lock is taken and before the data: a change
            # committed meanwhile either is read here or leaves its own task for the next round.
            tasks = db.session.execute(
                select(SearchTask.id, SearchTask.professional_id, SearchTask.provider_id)
                .order_by(SearchTask.id)
                .limit(TASKS_PER_ROUND)
            ).all()
            if not tasks:
                break
            today = _today()
            professional_ids = {t.professional_id for t in tasks if t.professional_id is not None}
            provider_ids = {t.provider_id for t in tasks if t.provider_id is not None}
            for provider_id in provider_ids:
                professional_ids.update(register.professionals_at_provider(provider_id, today))
            docs = register.search_documents(sorted(professional_ids), today)
            index.put_providers(
                ProviderDocument(p.id, p.name, p.slug, p.ods_code)
                for p in register.providers_by_ids(sorted(provider_ids)).values()
            )
            index.put_people({pid: docs.get(pid) for pid in professional_ids})
        with transaction():
            db.session.execute(delete(SearchTask).where(SearchTask.id.in_([t.id for t in tasks])))
        applied += len(tasks)
    return applied


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

    The write locks are held throughout, so concurrent ``apply_pending`` calls wait (or fail
    and leave their tasks). Tasks recorded before the rebuild read the database are deleted;
    later ones are applied afterwards.
    """
    discard()  # end the transaction: what follows reads what is committed
    backend = _backend()
    indexed = 0
    with backend.writing(rebuild=True) as index:
        covered_task_id = db.session.scalar(select(func.max(SearchTask.id))) or 0
        today = _today()
        last_id = register.max_professional_id()
        for start in range(0, last_id, REBUILD_CHUNK):
            docs = register.search_documents(range(start + 1, start + REBUILD_CHUNK + 1), today)
            index.put_people(docs)
            indexed += len(docs)
            db.session.expunge_all()
            if progress is not None:
                progress(min(start + REBUILD_CHUNK, last_id), last_id)
        index.put_providers(
            ProviderDocument(provider_id, name, slug, ods_code)
            for provider_id, name, slug, ods_code in register.all_providers()
        )
    with transaction():
        db.session.execute(delete(SearchTask).where(SearchTask.id <= covered_task_id))
    backend.note_refreshed(today)
    return indexed


def remove_index() -> None:
    """Delete the index (tests and the health check's "missing" case)."""
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
            return "search_index", {"ok": True, "documents": 0, "pending": 0}
        return "search_index", {"ok": False, "error": "missing: run flask --app interests search reindex"}
    oldest = db.session.scalar(select(func.min(SearchTask.created_at)))
    pending = db.session.scalar(select(func.count(SearchTask.id))) or 0
    result: dict[str, Any] = {"ok": True, "documents": backend.document_count(), "pending": pending}
    if oldest is not None and clock.now() - oldest > PENDING_TOO_LONG:
        result.update(ok=False, error="stale: index work has been waiting for over a minute")
    elif result["documents"] == 0 and register.any_declaration_sent():
        result.update(ok=False, error="stale: the index is empty but declarations have been sent")
    return "search_index", result


# --- wiring -------------------------------------------------------------------------------------

_FLAG = "search_tasks_written"


@event.listens_for(Session, "after_flush")
def _note_tasks(session: Session, flush_context: Any) -> None:
    if any(isinstance(obj, SearchTask) for obj in session.new):
        session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_FLAG, False) and has_app_context():
        g._search_work_committed = True


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_FLAG, None)


def _apply_after_commit(exc: BaseException | None) -> None:
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
