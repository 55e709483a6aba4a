"""Two system admins disabling (or demoting) each other at the same moment: one of them stays.

The guard in services/account_admin.py locks every active system admin's row until the caller
commits (on PostgreSQL), so the second request sees the first one's change and is refused. On
SQLite, writes are one at a time: the second either waits and is refused, or fails outright.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Account
from interests.services import account_admin
from tests import factories
from tests.conftest import make_app, stop_background_work

pytestmark = pytest.mark.alldb


def disable(target: Account, actor: Account) -> None:
    account_admin.disable(target, reason="Left the service", actor=actor)


def demote(target: Account, actor: Account) -> None:
    account_admin.change_role(target, "inspector", reason="No longer runs accounts", actor=actor)


@pytest.mark.parametrize(("first", "second"), [(disable, disable), (demote, disable), (demote, demote)])
def test_two_admins_removing_each_other_at_once_leave_one_system_admin(
    database_url: str,
    tmp_path: Path,
    first: Callable[[Account, Account], None],
    second: Callable[[Account, Account], None],
) -> None:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        db.create_all()
        ids = [factories.make_account("system_admin").id, factories.make_account("system_admin").id]
        db.session.commit()
    loaded = threading.Barrier(2)
    outcomes: list[str] = []

    def remove(action: Callable[[Account, Account], None], actor_id: int, target_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(Account, actor_id)
                target = db.session.get(Account, target_id)
                assert actor is not None and target is not None
                loaded.wait()  # both have read both accounts as active system admins
                action(target, actor)
                db.session.commit()
                outcomes.append("done")
            except account_admin.AccountAdminProblem:
                outcomes.append("refused")
            except Exception:  # noqa: BLE001 - SQLite: "database is locked" is a refusal too
                outcomes.append("failed")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [
        threading.Thread(target=remove, args=(first, ids[0], ids[1])),
        threading.Thread(target=remove, args=(second, ids[1], ids[0])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert len(outcomes) == 2 and outcomes.count("done") <= 1, outcomes
        with app.app_context():
            left = db.session.scalar(
                select(func.count()).where(Account.role == "system_admin", Account.active.is_(True))
            )
        assert left == 1
    finally:
        stop_background_work(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
