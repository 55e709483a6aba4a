"""Attacks on the one unit of work (interests/unit_of_work.py): a refusal that must be remembered is
remembered, although the request it came in changed nothing else.

The request's changes are committed only when it answers below 400 and no view discarded them; a
failure counted towards the lockout must survive both rules on every page that checks a secret.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Account, OutboxEmail
from tests import factories

EMAIL = "guessed@uow.example"


@pytest.mark.alldb
def test_wrong_passwords_on_the_confirm_it_is_you_page_lock_the_account_and_stay_counted(app: Flask) -> None:
    # Whoever holds a stolen session gets no more guesses at the password here than at sign-in.
    with app.app_context():
        factories.make_account("professional", email=EMAIL)
        db.session.commit()
        attempts = app.config["LOCKOUT_ATTEMPTS"]
    client = app.test_client()
    assert factories.sign_in(client, EMAIL).status_code == 302
    for _ in range(attempts):
        response = client.post("/sign-in/confirm", data={"password": "not the password at all"})
        assert response.status_code == 200  # the form again, with its error
    assert "locked" in response.get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == EMAIL))
        assert account is not None and account.locked_until is not None
        emailed = db.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "account_locked")
        )
        assert emailed == 1
