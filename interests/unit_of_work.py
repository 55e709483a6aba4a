"""One unit of work: who commits, and when.

Services and views only add to the session and flush; they never commit. The transaction belongs
to whatever started the work, and this module is the one place that ends it:

- **A web request** is committed once, after its view has answered with a success or a redirect
  (status below 400). A response of 400 or more, or an exception, rolls everything back, so a
  refused or failed request leaves nothing half-saved. A view that catches a service's failure
  and answers with the form again (status 200) says so with `discard()`, which rolls back at
  once, before it re-reads anything for the page.
- **A command or a background job** runs each of its units in `with transaction():` — committed
  when the block ends normally, rolled back if it raises. A job that works in steps (an import's
  stages, one email after another) uses one block per step.

`after_commit(callback)` runs `callback` once the current transaction has been committed (and
never if it is rolled back): work that must see the saved rows, such as queuing a staff import
job just recorded for the worker. `before_commit(callback)` runs it just before the commit, inside
the transaction: work that must be saved with the change or not at all (the PostgreSQL search
engine writes a change's index rows there). Either registers a given callback once per transaction.

A test (tests/test_unit_of_work.py) proves nothing else in interests/ calls commit or rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, Response, g, has_app_context

from interests.extensions import db

_CALLBACKS = "_unit_of_work_after_commit"
_BEFORE = "_unit_of_work_before_commit"


def init_app(app: Flask) -> None:
    # Registered before every other after_request function, so it runs last: the response is final.
    app.after_request(_end_request)
    app.teardown_appcontext(_forget_callbacks)


def _end_request(response: Response) -> Response:
    if response.status_code < 400:
        _commit()
    else:
        discard()
    return response


def _forget_callbacks(exc: BaseException | None) -> None:
    g.pop(_CALLBACKS, None)
    g.pop(_BEFORE, None)


@contextmanager
def transaction() -> Iterator[None]:
    """For commands and jobs: commit what the block did, or roll all of it back if it raised."""
    try:
        yield
    except BaseException:
        discard()
        raise
    _commit()


def discard() -> None:
    """Roll back this request's (or this step's) work: nothing it added is saved."""
    db.session.rollback()
    if has_app_context():
        g.pop(_CALLBACKS, None)
        g.pop(_BEFORE, None)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` when the current transaction has been committed."""
    callbacks = g.setdefault(_CALLBACKS, [])
    if callback not in callbacks:
        callbacks.append(callback)


def before_commit(callback: Callable[[], None]) -> None:
    """Run `callback` inside the current transaction, just before it is committed."""
    callbacks = g.setdefault(_BEFORE, [])
    if callback not in callbacks:
        callbacks.append(callback)


def _commit() -> None:
    try:
        # A callback may register more (work that leads to more work): run until none is left.
        while has_app_context() and g.get(_BEFORE):
            for callback in g.pop(_BEFORE):
                callback()
        db.session.commit()
    except BaseException:
        discard()
        raise
    callbacks: list[Callable[[], None]] = g.pop(_CALLBACKS, []) if has_app_context() else []
    for callback in callbacks:
        callback()
