"""One unit of work (interests/unit_of_work.py): a request's changes are committed once, after the
view answers with success or a redirect, and rolled back when it is refused, fails or says so;
commands and jobs commit each `transaction()` block. Nothing else in interests/ commits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Blueprint, Flask, abort, redirect
from sqlalchemy import func, select

from interests import unit_of_work
from interests.extensions import db
from interests.models import Provider
from interests.unit_of_work import after_commit, discard, transaction
from tests.factories import make_provider

PACKAGE = Path(__file__).resolve().parents[2] / "interests"


def _ending_calls(source: str) -> list[tuple[int, str]]:
    """Each call of a method named commit or rollback: (line, name)."""
    return [
        (node.lineno, node.func.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


def test_nothing_but_the_unit_of_work_commits_or_rolls_back() -> None:
    # The search package's writers commit an index, not a database (it may not import SQLAlchemy:
    # an import-linter contract in pyproject.toml), so it is the one exception.
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} .{name}()"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "unit_of_work.py" and path.relative_to(PACKAGE).parts[0] != "search"
        for line, name in _ending_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "commit and roll back only in interests/unit_of_work.py:\n" + "\n".join(offenders)


def test_the_check_finds_a_commit_or_rollback_by_hand() -> None:
    sneaky = "def save(session):\n    session.add(1)\n    db.session.commit()\n    session.rollback()\n"
    assert _ending_calls(sneaky) == [(3, "commit"), (4, "rollback")]


# --- A request's changes ---------------------------------------------------------------------------

ran: list[str] = []


def _views() -> Blueprint:
    bp = Blueprint("uow_probe", __name__, url_prefix="/uow-probe")

    @bp.post("/ok")
    def ok() -> str:
        make_provider(slug="kept-by-ok")
        after_commit(lambda: ran.append("ok"))
        return "saved"

    @bp.post("/redirect")
    def redirected() -> object:
        make_provider(slug="kept-by-redirect")
        return redirect("/")

    @bp.post("/refused")
    def refused() -> object:
        make_provider(slug="dropped-by-403")
        after_commit(lambda: ran.append("refused"))
        abort(403)

    @bp.post("/fails")
    def fails() -> str:
        make_provider(slug="dropped-by-500")
        raise RuntimeError("a bug halfway through")

    @bp.post("/changed-its-mind")
    def changed_its_mind() -> str:
        make_provider(slug="dropped-by-discard")
        after_commit(lambda: ran.append("discarded"))
        discard()  # as a view does when a service refuses and it shows the form again
        return "the form again, with its error"

    return bp


@pytest.fixture
def probed(app: Flask) -> Flask:
    app.register_blueprint(_views())
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug is answered with the 500 page, as in production
    ran.clear()
    return app


def _slugs(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Provider.slug)))


@pytest.mark.alldb
def test_a_successful_request_is_committed_once_it_has_answered(probed: Flask) -> None:
    client = probed.test_client()
    assert client.post("/uow-probe/ok").status_code == 200
    assert client.post("/uow-probe/redirect").status_code == 302
    assert _slugs(probed) == {"kept-by-ok", "kept-by-redirect"}
    assert ran == ["ok"]  # the work waiting for the commit ran after it


@pytest.mark.alldb
def test_a_refused_failed_or_discarded_request_leaves_nothing(probed: Flask) -> None:
    client = probed.test_client()
    assert client.post("/uow-probe/refused").status_code == 403
    assert client.post("/uow-probe/fails").status_code == 500
    assert client.post("/uow-probe/changed-its-mind").status_code == 200
    assert _slugs(probed) == set()
    assert ran == []  # nothing waiting for a commit ran, and none is left over for a later one
    assert client.post("/uow-probe/ok").status_code == 200
    assert ran == ["ok"]


# --- Commands and jobs -------------------------------------------------------------------------------


@pytest.mark.alldb
def test_a_transaction_block_commits_or_rolls_back_as_a_whole(app: Flask) -> None:
    with app.app_context():
        with transaction():
            make_provider(slug="first-step")
            after_commit(lambda: ran.append("first-step"))
        with pytest.raises(ValueError), transaction():
            make_provider(slug="second-step")
            raise ValueError("the second step fails")
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 1
    assert _slugs(app) == {"first-step"}
    assert "first-step" in ran


def test_the_request_hook_is_the_last_to_run(app: Flask) -> None:
    # Registered first, so Flask runs it after every other after_request function: it commits the
    # response that is actually sent.
    assert app.after_request_funcs[None][0] is unit_of_work._end_request
