"""Check and send, and the nil return: one dated declaration per chosen provider."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from interests.extensions import db
from interests.models import AuditEvent, Declaration, DeclarationItem, InterestVersion
from tests import factories
from tests.pages import error_summary, soup, text
from tests.web.declare.helpers import (
    TODAY,
    add,
    count,
    journey_events,
    long_date,
    send_all,
)

# --- Check and send ---------------------------------------------------------------------------


def test_check_page_lists_each_interest_with_change_links_and_explains_what_is_covered(
    signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    add(signed_in, other_party="Pelvica Devices plc", interest_type="sponsored_events", value="420")
    page = soup(signed_in.get("/declare/check"))

    assert text(page.h1) == "Check your declaration"
    assert "2 interests to declare" in text(page.main)
    cards = page.select(".app-interest-card")
    assert [text(card.h3) for card in cards] == [
        "Outside employment: Medivance Surgical Ltd",
        "Sponsored events: Pelvica Devices plc",
    ]
    assert cards[1].select_one("a[href='/declare/interests/2/change']") is not None
    covered = text(page.select_one("#what-is-covered"))
    assert f"ended on or after {long_date(covered_after_today())}" in covered
    assert "6 months after they end" in covered
    # All active providers are chosen by default.
    assert sorted(i["value"] for i in page.select("input[name=providers][checked]")) == sorted(
        str(p) for p in me["providers"]
    )


def covered_after_today() -> date:
    from interests.services.declaring import covered_after

    return covered_after(TODAY)


@pytest.mark.alldb
def test_send_declaration_makes_one_dated_declaration_per_chosen_provider(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], scheduled: list[int | None]
) -> None:
    add(signed_in)
    add(signed_in, other_party="Pelvica Devices plc")

    response = send_all(signed_in, me)

    assert response.status_code == 302
    confirmation = soup(signed_in.get(response.headers["Location"]))
    assert text(confirmation.select_one(".nhsuk-panel h1")) == "Declaration sent"
    rows = [[text(td) for td in row.select("td")] for row in confirmation.select("#sent-to tbody tr")]
    assert [r[0] for r in rows] == ["Ashby Private Hospital", "Northgate NHS Trust"]
    with app.app_context():
        declarations = db.session.scalars(select(Declaration).order_by(Declaration.id)).all()
        assert len(declarations) == 2
        assert {d.provider_id for d in declarations} == set(me["providers"])
        assert sorted(r[1] for r in rows) == sorted(d.reference for d in declarations)
        for declaration in declarations:
            assert declaration.declared_on == TODAY
            assert not declaration.nil_return
            assert declaration.signed_by_account_id is not None
            assert "complete and accurate" in declaration.statement
            assert len(declaration.items) == 2
            assert declaration.provider.register_updated_at is not None
        assert scheduled == [me["professional_id"]]
        sent_events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "declaration.sent")
        ).all()
        assert {e.provider_id for e in sent_events} == set(me["providers"])
    home = soup(signed_in.get("/declare"))
    assert [text(td) for td in home.select("#workplaces tbody tr td:nth-of-type(2)")] == [
        "Declared",
        "Declared",
    ]


def test_send_declaration_to_one_provider_only(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    assert send_all(signed_in, me, providers=[str(me["providers"][1])]).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Declaration.provider_id)).all() == [me["providers"][1]]


@pytest.mark.alldb
def test_send_declaration_twice_double_click_back_button_or_replay_creates_no_duplicates(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    first = send_all(signed_in, me)
    replay = send_all(signed_in, me)  # the back button: a fresh check page, sent again
    assert first.headers["Location"] == replay.headers["Location"]
    page = soup(signed_in.get("/declare/check"))
    again = signed_in.post(
        "/declare/check",
        data={
            "providers": [str(p) for p in me["providers"]],
            "confirm": "y",
            "shown": page.select_one("input[name=shown]")["value"],
        },
    )
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert count(Declaration) == 2
        assert count(DeclarationItem) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"confirm": ""}, "Confirm the declaration statement to send your declaration"),
        ({"providers": []}, "Select where to send your declaration"),
        ({"providers": ["99999"]}, "Select where to send your declaration"),
        ({"providers": ["banana"]}, "Select where to send your declaration"),
        ({"shown": ""}, "Your interests have changed since you opened this page: check them again"),
        ({"shown": "1,2,3"}, "Your interests have changed since you opened this page: check them again"),
        ({"shown": "x" * 5000}, "Your interests have changed since you opened this page: check them again"),
    ],
)
def test_send_declaration_with_a_problem_shows_it_and_sends_nothing(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], overrides: dict[str, Any], message: str
) -> None:
    add(signed_in)
    response = send_all(signed_in, me, **overrides)
    assert response.status_code == 200
    assert error_summary(response) == [message]
    with app.app_context():
        assert count(Declaration) == 0
        assert journey_events() == 1  # only the interest added


def test_send_declaration_to_a_provider_where_i_do_not_work_is_refused(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        elsewhere = factories.make_provider(name="Elsewhere Trust").id
        db.session.commit()
    add(signed_in)
    response = send_all(signed_in, me, providers=[str(me["providers"][0]), str(elsewhere)])
    assert error_summary(response) == ["Select where to send your declaration"]
    with app.app_context():
        assert count(Declaration) == 0


@pytest.mark.alldb
def test_send_declaration_carries_forward_the_providers_management_action(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    with app.app_context():
        from interests.models import Professional, Provider

        version = db.session.get(InterestVersion, 1)
        earlier = factories.make_declaration(
            db.session.get(Professional, me["professional_id"]),
            db.session.get(Provider, me["providers"][0]),
            versions=[version],
            declared_on=TODAY - timedelta(days=5),
        )
        earlier.items[0].management_action = "Not to take part in buying decisions for pelvic mesh"
        from interests.models import utcnow

        earlier.items[0].action_recorded_at = utcnow()
        db.session.commit()

    preview = soup(signed_in.get("/declare/preview"))
    assert "Not to take part in buying decisions for pelvic mesh" in text(preview)
    send_all(signed_in, me)

    with app.app_context():
        items = db.session.scalars(
            select(DeclarationItem).join(Declaration).where(Declaration.declared_on == TODAY)
        ).all()
        actions = {item.declaration.provider_id: item.management_action for item in items}
        assert actions == {
            me["providers"][0]: "Not to take part in buying decisions for pelvic mesh",
            me["providers"][1]: None,
        }


@pytest.mark.alldb
def test_interest_ended_more_than_six_months_ago_is_not_declared(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Professional

        factories.make_interest(
            db.session.get(Professional, me["professional_id"]),
            other_party="Long Gone Ltd",
            date_from=TODAY - timedelta(days=900),
            date_to=TODAY - timedelta(days=200),
        )
        db.session.commit()
    add(signed_in)
    assert "Long Gone Ltd" not in text(soup(signed_in.get("/declare/check")).main)
    home = text(soup(signed_in.get("/declare")).select_one("#interests"))
    assert "Long Gone Ltd" in home and "no longer declared" in home


# --- Nil return -------------------------------------------------------------------------------


@pytest.mark.alldb
def test_nil_return_is_sent_to_every_chosen_provider_in_one_step(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    page = soup(signed_in.get("/declare/nil-return"))
    assert text(page.h1) == "Send a nil return"
    response = signed_in.post(
        "/declare/nil-return", data={"providers": [str(p) for p in me["providers"]], "confirm": "y"}
    )
    assert response.status_code == 302
    confirmation = soup(signed_in.get(response.headers["Location"]))
    assert text(confirmation.select_one(".nhsuk-panel h1")) == "Nil return sent"
    with app.app_context():
        declarations = db.session.scalars(select(Declaration)).all()
        assert len(declarations) == 2 and all(d.nil_return and not d.items for d in declarations)
    # Sent again (a replay): nothing new.
    signed_in.post(
        "/declare/nil-return", data={"providers": [str(p) for p in me["providers"]], "confirm": "y"}
    )
    with app.app_context():
        assert count(Declaration) == 2


def test_nil_return_without_the_statement_is_refused(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    response = signed_in.post("/declare/nil-return", data={"providers": [str(me["providers"][0])]})
    assert error_summary(response) == ["Confirm that you have no interests to declare"]
    with app.app_context():
        assert count(Declaration) == 0


def test_nil_return_with_interests_to_declare_is_refused(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in)
    page = soup(signed_in.get("/declare/nil-return"))
    assert "you cannot send a nil return" in text(page.main)
    assert page.select_one("form input[name=confirm]") is None
    signed_in.post(
        "/declare/nil-return", data={"providers": [str(p) for p in me["providers"]], "confirm": "y"}
    )
    with app.app_context():
        assert count(Declaration) == 0
