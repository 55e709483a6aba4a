"""The declaration journey's pages: My declarations, add/change/end, check and send, nil return,
withholding and preview (issue 3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests import clock
from interests.extensions import db
from interests.models import AuditEvent, Declaration, DeclarationItem, Interest, InterestVersion, SearchTask
from interests.rules.compliance import anniversary_of
from tests import factories
from tests.pages import error_summary, soup, text

TODAY = clock.today()


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def journey_events() -> int:
    """Audit events written by the declaration journey (signing in writes its own)."""
    journey = ("interest.", "declaration.", "withholding.")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    return sum(1 for action in actions if action.startswith(journey))


def date_parts(name: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def interest_form(**overrides: Any) -> dict[str, str]:
    data = {
        "category": "financial",
        "interest_type": "outside_employment",
        "other_party": "Medivance Surgical Ltd",
        "description": "Paid member of the advisory board on pelvic floor devices",
        "value": "",
        "relationship": "",
        "ongoing": "yes",
        **date_parts("date_from", TODAY - timedelta(days=30)),
        **date_parts("date_to", None),
    }
    data.update(overrides)
    return data


@pytest.fixture
def me(app: Flask) -> dict[str, Any]:
    """A professional working at two providers, signed in on the client."""
    with app.app_context():
        account = factories.make_account("professional", email="dr.okafor@example.org")
        first = factories.make_provider(name="Northgate NHS Trust")
        second = factories.make_provider(name="Ashby Private Hospital", kind="independent_hospital")
        factories.make_engagement(account.professional, first, role="Consultant urogynaecologist")
        factories.make_engagement(
            account.professional, second, engagement_type="practising_privileges", role="Consultant"
        )
        db.session.commit()
        return {
            "email": account.email,
            "professional_id": account.professional.id,
            "providers": [first.id, second.id],
            "provider_names": [first.name, second.name],
        }


@pytest.fixture
def scheduled() -> Any:
    """Professional ids of the search tasks written (the search seam applies and deletes them)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    seen: list[int | None] = []

    def note(session: Session, flush_context: Any) -> None:
        seen.extend(obj.professional_id for obj in session.new if isinstance(obj, SearchTask))

    event.listen(Session, "after_flush", note)
    yield seen
    event.remove(Session, "after_flush", note)


@pytest.fixture
def signed_in(client: FlaskClient, me: dict[str, Any]) -> FlaskClient:
    response = factories.sign_in(client, me["email"])
    assert response.status_code == 302
    return client


def other_professionals_interest(app: Flask) -> int:
    with app.app_context():
        stranger = factories.make_professional(given_name="Jo", family_name="Stranger")
        version = factories.make_interest(stranger, other_party="Stranger Holdings Ltd")
        db.session.commit()
        return version.interest_id


def add(client: FlaskClient, **overrides: Any) -> Any:
    return client.post("/declare/interests/new", data=interest_form(**overrides))


def send_all(client: FlaskClient, me: dict[str, Any], **overrides: Any) -> Any:
    page = soup(client.get("/declare/check"))
    data: dict[str, Any] = {
        "providers": [str(p) for p in me["providers"]],
        "confirm": "y",
        "shown": page.select_one("input[name=shown]")["value"],
    }
    data.update(overrides)
    return client.post("/declare/check", data=data)


# --- Who may see the pages -------------------------------------------------------------------


def test_declare_pages_signed_out_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in (
        "/declare",
        "/declare/interests/new",
        "/declare/check",
        "/declare/nil-return",
        "/declare/preview",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_declare_pages_for_a_provider_admin_are_forbidden(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = factories.make_account("provider_admin").email
        db.session.commit()
    factories.sign_in(client, email)
    assert client.get("/declare").status_code == 403
    assert client.post("/declare/interests/new", data=interest_form()).status_code == 403


# --- My declarations --------------------------------------------------------------------------


@pytest.mark.alldb
def test_my_declarations_lists_each_workplace_with_status_next_due_and_last_sent(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Professional, Provider

        professional = db.session.get(Professional, me["professional_id"])
        northgate = db.session.get(Provider, me["providers"][0])
        factories.make_declaration(professional, northgate, declared_on=TODAY - timedelta(days=10))
        db.session.commit()

    page = soup(signed_in.get("/declare"))

    rows = {
        text(row.select("td")[0]): [text(td) for td in row.select("td")]
        for row in page.select("#workplaces tbody tr")
    }
    northgate_row = rows["Northgate NHS Trust Consultant urogynaecologist"]
    assert northgate_row[1] == "Declared"
    assert northgate_row[2] == long_date(anniversary_of(TODAY - timedelta(days=10)))
    assert "nil return" in northgate_row[3]
    ashby_row = rows["Ashby Private Hospital Consultant"]
    # Engaged 400 days ago and never declared there: missing.
    assert ashby_row[1] == "Missing"
    assert ashby_row[3] == "Nothing yet"
    assert text(page.select_one("a.nhsuk-button")) == "Send a nil return"


def test_my_declarations_without_a_workplace_says_so(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = factories.make_account("professional").email
        db.session.commit()
    factories.sign_in(client, email)
    page = soup(client.get("/declare"))
    assert "You are not recorded as working at any provider yet" in text(page.main)
    assert not page.select("#workplaces")


def test_my_declarations_leaves_out_ended_engagements(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Professional

        old = factories.make_provider(name="Closed Clinic Ltd", kind="clinic")
        factories.make_engagement(
            db.session.get(Professional, me["professional_id"]),
            old,
            start_date=TODAY - timedelta(days=900),
            end_date=TODAY - timedelta(days=1),
        )
        db.session.commit()
    assert "Closed Clinic Ltd" not in text(soup(signed_in.get("/declare")).main)


# --- Add an interest ------------------------------------------------------------------------------


def test_add_interest_page_explains_each_type_with_nhs_thresholds(signed_in: FlaskClient) -> None:
    page = soup(signed_in.get("/declare/interests/new"))
    assert text(page.h1) == "Add an interest"
    hints = text(page.select_one("#interest_type-2-item-hint"))
    assert "under £25 need not be declared" in hints
    assert "cash or vouchers are always declined" in text(page.select_one("#interest_type-item-hint"))
    assert "Only for an indirect interest" in text(page.select_one("#relationship-hint"))
    assert "Only if it has ended" in text(page.select_one("#date_to-input-hint"))
    for part in ("day", "month", "year"):
        assert page.select_one(f"input[name=date_from-{part}]") is not None


def test_add_interest_saves_a_first_version_audits_it_and_goes_to_check(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    response = add(
        signed_in,
        interest_type="hospitality",
        other_party="  Medivance Surgical Ltd ",
        value="£1,250.50",
        description="Dinner after\r\nthe device launch",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/declare/check"
    with app.app_context():
        version = db.session.scalars(select(InterestVersion)).one()
        assert version.version_number == 1
        assert version.other_party == "Medivance Surgical Ltd"
        assert version.description == "Dinner after\nthe device launch"
        assert version.value_pence == 125050
        assert version.date_to is None
        assert version.interest.professional_id == me["professional_id"]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "interest.added")).one()
        assert event.professional_id == me["professional_id"]
    check = soup(signed_in.get("/declare/check"))
    assert "Interest added: Medivance Surgical Ltd" in text(check)
    assert "£1,250.50" in text(check.select_one(".app-interest-card"))


def test_add_interest_drops_a_value_for_a_type_without_one(app: Flask, signed_in: FlaskClient) -> None:
    assert add(signed_in, interest_type="shareholdings", value="5000").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().value_pence is None


def test_add_indirect_interest_keeps_the_relationship(app: Flask, signed_in: FlaskClient) -> None:
    assert add(signed_in, category="indirect", relationship="My wife").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().relationship_to_professional == "My wife"


def test_add_ended_interest_keeps_its_to_date(app: Flask, signed_in: FlaskClient) -> None:
    ended = TODAY - timedelta(days=3)
    assert add(signed_in, ongoing="no", **date_parts("date_to", ended)).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().date_to == ended


FUTURE = TODAY + timedelta(days=400)
BAD_INPUT = [
    # (form overrides, field whose message it is, message)
    ({"category": ""}, "category", "Select the category of interest"),
    ({"category": "bribery"}, "category", "Select the category of interest"),
    ({"interest_type": ""}, "interest_type", "Select the type of interest"),
    ({"interest_type": "cash"}, "interest_type", "Select the type of interest"),
    ({"other_party": "   "}, "other_party", "Enter the name of the company, organisation or person"),
    ({"other_party": "x" * 201}, "other_party", "Name of the other party must be 200 characters or fewer"),
    ({"other_party": "Acme\nLtd"}, "other_party", "Name of the other party must be on one line"),
    (
        {"other_party": "Acme\x00Ltd"},
        "other_party",
        "Name of the other party must not include hidden characters such as control codes",
    ),
    ({"description": ""}, "description", "Enter a description of the interest"),
    ({"description": "y" * 2001}, "description", "Description must be 2,000 characters or fewer"),
    (
        {"description": "Board \x1b[31m member"},
        "description",
        "Description must not include hidden characters such as control codes",
    ),
    (
        {"description": "evil\u202egpj.exe"},
        "description",
        "Description must not include hidden characters such as control codes",
    ),
    (
        {"category": "indirect", "relationship": ""},
        "relationship",
        "Enter whose interest it is, for example my wife or my business partner",
    ),
    (
        {"category": "indirect", "relationship": "z" * 201},
        "relationship",
        "Whose interest it is must be 200 characters or fewer",
    ),
    (
        {"interest_type": "gifts", "value": ""},
        "value",
        "Enter the value of the gifts in pounds, like 1,250 or 1,250.50",
    ),
    ({"interest_type": "gifts", "value": "-5"}, "value", "Value must be £0 or more"),
    (
        {"interest_type": "gifts", "value": "12.345"},
        "value",
        "Value must have no more than 2 numbers after the decimal point",
    ),
    (
        {"interest_type": "gifts", "value": "lots"},
        "value",
        "Value must be an amount of money, like 1,250 or 1,250.50",
    ),
    (
        {"interest_type": "gifts", "value": "1e9"},
        "value",
        "Value must be an amount of money, like 1,250 or 1,250.50",
    ),
    ({"interest_type": "gifts", "value": "99999999999"}, "value", "Value must be £10,000,000 or less"),
    ({"date_from-day": "", "date_from-month": "", "date_from-year": ""}, "date_from", "Enter date from"),
    ({"date_from-month": ""}, "date_from", "Date from must include a month"),
    ({"date_from-day": "", "date_from-year": ""}, "date_from", "Date from must include a day and a year"),
    (
        {"date_from-day": "31", "date_from-month": "2", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    (
        {"date_from-day": "1", "date_from-month": "13", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    (
        {"date_from-day": "one", "date_from-month": "1", "date_from-year": "2025"},
        "date_from",
        "Date from must be a real date",
    ),
    ({"date_from-year": "25"}, "date_from", "Year must include 4 numbers"),
    ({"date_from-year": "0999"}, "date_from", "Date from must be a real date"),
    ({"date_from-year": "1949"}, "date_from", "Date from must be the same as or after 1 January 1950"),
    (
        date_parts("date_from", FUTURE),
        "date_from",
        f"Date from must be the same as or before {(TODAY + timedelta(days=365)).day} "
        f"{(TODAY + timedelta(days=365)):%B %Y}",
    ),
    ({"ongoing": ""}, "ongoing", "Select yes if this interest is still going on"),
    ({"ongoing": "no"}, "date_to", "Enter date to, or select yes if the interest is still going on"),
    (
        {"ongoing": "no", **date_parts("date_to", TODAY - timedelta(days=60))},
        "date_to",
        "Date to must be the same as or after date from",
    ),
    (
        {"ongoing": "no", "date_to-day": "30", "date_to-month": "2", "date_to-year": "2026"},
        "date_to",
        "Date to must be a real date",
    ),
    (
        {"ongoing": "no", **date_parts("date_to", FUTURE)},
        "date_to",
        f"Date to must be the same as or before {(TODAY + timedelta(days=365)).day} "
        f"{(TODAY + timedelta(days=365)):%B %Y}",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT, ids=[m for _, _, m in BAD_INPUT])
def test_add_interest_with_bad_input_shows_the_message_and_saves_nothing(
    app: Flask, signed_in: FlaskClient, overrides: dict[str, str], field: str, message: str
) -> None:
    response = add(signed_in, **overrides)

    assert response.status_code == 200
    assert error_summary(response) == [message]
    page = soup(response)
    assert page.title.get_text().startswith("Error: ")
    beside = page.select_one(f"#{field}-error")
    assert beside is not None and text(beside) == f"Error: {message}"
    # The summary links to the field (the day box, for a date; the first radio, for radios).
    href = page.select_one(".nhsuk-error-summary li a")["href"]
    assert page.select_one(href) is not None
    with app.app_context():
        assert count(Interest) == 0
        assert count(InterestVersion) == 0
        assert journey_events() == 0


def test_add_interest_with_a_bad_date_keeps_what_was_typed_and_highlights_the_box(
    signed_in: FlaskClient,
) -> None:
    response = add(signed_in, **{"date_from-day": "12", "date_from-month": "", "date_from-year": "2024"})
    page = soup(response)
    assert page.select_one("#date_from")["value"] == "12"
    assert page.select_one("#date_from-year")["value"] == "2024"
    assert "nhsuk-input--error" in page.select_one("#date_from-month")["class"]
    assert "nhsuk-input--error" not in page.select_one("#date_from")["class"]


def test_add_interest_with_a_bad_date_to_while_ongoing_ignores_the_to_date(
    app: Flask, signed_in: FlaskClient
) -> None:
    response = add(
        signed_in, ongoing="yes", **{"date_to-day": "99", "date_to-month": "x", "date_to-year": "1"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().date_to is None


@pytest.mark.alldb
def test_add_interest_html_and_script_are_stored_as_typed_and_shown_escaped(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    hostile = '<script>alert("x")</script><b>Acme</b>'
    assert add(signed_in, other_party=hostile, description=hostile).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(InterestVersion)).one().other_party == hostile
    for path in ("/declare", "/declare/check", "/declare/preview", "/declare/interests/1"):
        html = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert" in html, path
        assert "<b>Acme</b>" not in html, path


# --- Change, end, history ---------------------------------------------------------------------


def test_change_interest_makes_a_new_version_and_keeps_the_old_one_in_the_history(
    app: Flask, signed_in: FlaskClient
) -> None:
    add(signed_in)
    form = soup(signed_in.get("/declare/interests/1/change"))
    assert form.select_one("#other_party")["value"] == "Medivance Surgical Ltd"
    assert form.select_one("input#ongoing[value=yes]").has_attr("checked")

    response = signed_in.post(
        "/declare/interests/1/change", data=interest_form(description="Chair of the advisory board")
    )

    assert response.status_code == 302
    with app.app_context():
        versions = db.session.scalars(select(InterestVersion).order_by(InterestVersion.version_number)).all()
        assert [(v.version_number, v.description) for v in versions] == [
            (1, "Paid member of the advisory board on pelvic floor devices"),
            (2, "Chair of the advisory board"),
        ]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "interest.changed")).one()
        assert event.data["changed"] == ["description"]
    history = [text(row) for row in soup(signed_in.get("/declare/interests/1")).select("#versions tbody tr")]
    assert history[0].startswith("2 ") and "Chair of the advisory board" in history[0]
    assert history[1].startswith("1 ") and "Paid member of the advisory board" in history[1]


def test_change_interest_page_shows_every_answer_as_it_was(signed_in: FlaskClient) -> None:
    ended = TODAY - timedelta(days=3)
    add(
        signed_in,
        category="indirect",
        relationship="My husband",
        interest_type="gifts",
        value="1250.5",
        ongoing="no",
        **date_parts("date_to", ended),
    )
    form = soup(signed_in.get("/declare/interests/1/change"))
    assert form.select_one("input[name=category][checked]")["value"] == "indirect"
    assert form.select_one("input[name=interest_type][checked]")["value"] == "gifts"
    assert form.select_one("#relationship")["value"] == "My husband"
    assert form.select_one("#value")["value"] == "1,250.50"
    assert form.select_one("input[name=ongoing][checked]")["value"] == "no"
    assert [form.select_one(f"#date_to{p}")["value"] for p in ("", "-month", "-year")] == [
        str(ended.day),
        str(ended.month),
        str(ended.year),
    ]


def test_change_interest_without_changes_makes_no_new_version(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    unchanged = {k: v for k, v in interest_form().items()}
    response = signed_in.post("/declare/interests/1/change", data=unchanged, follow_redirects=True)
    assert "You did not change anything" in text(soup(response))
    with app.app_context():
        assert count(InterestVersion) == 1


def test_change_interest_with_bad_input_saves_nothing(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    response = signed_in.post("/declare/interests/1/change", data=interest_form(other_party=""))
    assert error_summary(response) == ["Enter the name of the company, organisation or person"]
    with app.app_context():
        assert count(InterestVersion) == 1


def test_end_interest_sets_its_to_date_in_a_new_version(app: Flask, signed_in: FlaskClient) -> None:
    add(signed_in)
    ended = TODAY - timedelta(days=2)
    response = signed_in.post("/declare/interests/1/end", data=date_parts("date_to", ended))
    assert response.status_code == 302
    with app.app_context():
        current = db.session.get(Interest, 1).current
        assert (current.version_number, current.date_to) == (2, ended)
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "interest.ended")
        ).one()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (date_parts("date_to", None), "Enter date to"),
        ({"date_to-day": "1", "date_to-month": "", "date_to-year": "2026"}, "Date to must include a month"),
        (date_parts("date_to", TODAY - timedelta(days=31)), None),  # before it started: see below
    ],
)
def test_end_interest_with_bad_date_saves_nothing(
    app: Flask, signed_in: FlaskClient, data: dict[str, str], message: str | None
) -> None:
    add(signed_in)
    response = signed_in.post("/declare/interests/1/end", data=data)
    started = TODAY - timedelta(days=30)
    expected = message or f"Date to must be the same as or after {long_date(started)}, when it started"
    assert error_summary(response) == [expected]
    assert text(soup(response).select_one("#date_to-error")) == f"Error: {expected}"
    with app.app_context():
        assert count(InterestVersion) == 1


# --- Nobody else's interests --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/change", "/end", "/withhold"])
def test_another_professionals_interest_is_not_found_and_unchanged(
    app: Flask, signed_in: FlaskClient, path: str
) -> None:
    theirs = other_professionals_interest(app)
    assert signed_in.get(f"/declare/interests/{theirs}{path}").status_code == 404
    if path:
        data = {**interest_form(), **date_parts("date_to", TODAY), "reason": "x", "providers": ["1"]}
        assert signed_in.post(f"/declare/interests/{theirs}{path}", data=data).status_code == 404
    assert signed_in.get(f"/declare/interests/99999{path}").status_code == 404
    with app.app_context():
        assert count(InterestVersion) == 1
        assert journey_events() == 0
        from interests.models import WithholdingRequest

        assert count(WithholdingRequest) == 0


def test_another_professionals_confirmation_page_is_not_found(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    with app.app_context():
        from interests.models import Provider

        stranger = factories.make_professional()
        provider = db.session.get(Provider, me["providers"][0])
        factories.make_engagement(stranger, provider)
        declaration = factories.make_declaration(stranger, provider)
        declaration.submission_key = "a" * 40
        db.session.commit()
        assert declaration.submission_key == "a" * 40
    assert signed_in.get("/declare/sent/" + "a" * 40).status_code == 404
    assert signed_in.get("/declare/sent/not-a-key").status_code == 404


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
    from interests.services.declarations import covered_after

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


# --- Withholding and preview ------------------------------------------------------------------


@pytest.mark.alldb
def test_withholding_request_is_pending_per_provider_and_its_status_is_shown(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], scheduled: list[int | None]
) -> None:
    add(signed_in)
    response = signed_in.post(
        "/declare/interests/1/withhold",
        data={"providers": [str(me["providers"][0])], "reason": "A former patient has threatened my family."},
    )
    assert response.status_code == 302
    with app.app_context():
        from interests.models import Provider, WithholdingRequest

        request = db.session.scalars(select(WithholdingRequest)).one()
        assert (request.status, request.provider_id) == ("pending", me["providers"][0])
        assert db.session.get(Provider, me["providers"][0]).register_updated_at is not None
        assert scheduled == [me["professional_id"]]  # a pending entry leaves the public register
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "withholding.requested")
        ).one()
    interest_page = soup(signed_in.get("/declare/interests/1"))
    assert "Waiting for a decision Northgate NHS Trust" in text(
        interest_page.select_one("#withholding-requests")
    )
    assert "Waiting for a decision Northgate NHS Trust" in text(
        soup(signed_in.get("/declare")).select_one("#interests")
    )
    preview = soup(signed_in.get("/declare/preview"))
    sections = {text(s.h2): text(s.select_one(".app-entry")) for s in preview.select("section.app-preview")}
    assert "Not published" in sections["Register of declared interests Northgate NHS Trust"]
    # Withholding follows the interest: sent to Ashby, it would wait for Ashby's decision too.
    assert (
        "Ashby Private Hospital will be asked to decide too, for the same reason"
        in (sections["Register of declared interests Ashby Private Hospital"])
    )

    again = signed_in.post(
        "/declare/interests/1/withhold", data={"providers": [str(me["providers"][0])], "reason": "Again"}
    )
    assert error_summary(again) == ["You have already asked for this entry to be withheld there"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"providers": ["1"], "reason": ""}, "Enter why this entry should be withheld from publication"),
        ({"providers": ["1"], "reason": "r" * 2001}, "Reason must be 2,000 characters or fewer"),
        ({"providers": [], "reason": "Risk of harm"}, "Select where you want this entry withheld"),
        ({"providers": ["424242"], "reason": "Risk of harm"}, "Select where you want this entry withheld"),
    ],
)
def test_withholding_request_with_bad_input_saves_nothing(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any], data: dict[str, Any], message: str
) -> None:
    add(signed_in)
    data = {**data, "providers": [str(me["providers"][0]) if p == "1" else p for p in data["providers"]]}
    response = signed_in.post("/declare/interests/1/withhold", data=data)
    assert error_summary(response) == [message]
    with app.app_context():
        from interests.models import WithholdingRequest

        assert count(WithholdingRequest) == 0


def test_preview_shows_each_entry_as_each_providers_register_will(
    signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    add(signed_in, category="indirect", relationship="My wife", interest_type="gifts", value="80")
    page = soup(signed_in.get("/declare/preview"))
    sections = page.select("section.app-preview")
    assert [text(s.h2) for s in sections] == [
        "Register of declared interests Ashby Private Hospital",
        "Register of declared interests Northgate NHS Trust",
    ]
    northgate = sections[1]
    assert text(northgate.h3).startswith("Alex Tester")
    assert text(northgate.select_one(".app-declaration p")).startswith("Consultant urogynaecologist · GMC ")
    entry = northgate.select_one("li.app-entry")
    assert text(entry.p) == "Gifts · Indirect"
    details = dict(
        zip([text(dt) for dt in entry.select("dt")], [text(dd) for dd in entry.select("dd")], strict=True)
    )
    assert details == {
        "Other party": "Medivance Surgical Ltd",
        "Description": "Paid member of the advisory board on pelvic floor devices",
        "Whose interest": "My wife",
        "Value": "£80",
        "Dates": f"From {long_date(TODAY - timedelta(days=30))}, ongoing",
        "Action taken by the provider": "Not recorded yet",
    }
    assert "dr.okafor@example.org" not in text(page.main)


@pytest.mark.alldb
def test_preview_entries_are_exactly_what_each_public_register_shows_once_sent(
    app: Flask, signed_in: FlaskClient, me: dict[str, Any]
) -> None:
    """Declare, let a provider record an action, ask to withhold one entry, preview, send: every
    entry the preview says will be published is on the public register, in the same order, as
    the same HTML; the withheld one is marked in the preview and absent from that register.
    At Northgate they hold two roles: the line under the name shows the one the register shows."""
    with app.app_context():
        from interests.models import Professional, Provider

        professional = db.session.get(Professional, me["professional_id"])
        factories.make_engagement(
            professional,
            db.session.get(Provider, me["providers"][0]),
            role="Clinical lead for pelvic health",
            start_date=TODAY - timedelta(days=60),
        )
        db.session.commit()
    month_ago = TODAY - timedelta(days=30)
    add(signed_in, other_party="Medivance Surgical Ltd", **date_parts("date_from", month_ago))
    add(  # started the same day: the register orders these two by when they were declared
        signed_in,
        category="indirect",
        relationship="My wife",
        interest_type="gifts",
        value="80",
        other_party="Helix Orthopaedics UK",
        description="A framed print\ngiven at a study day <b>with thanks</b>",
        **date_parts("date_from", month_ago),
    )
    add(  # ended recently: still published for 6 months
        signed_in,
        interest_type="hospitality",
        value="45",
        other_party="Northbridge Pharma plc",
        description="Dinner after a product training day",
        ongoing="no",
        **date_parts("date_from", TODAY - timedelta(days=100)),
        **date_parts("date_to", TODAY - timedelta(days=20)),
    )
    assert send_all(signed_in, me).status_code == 302

    # Northgate's register lead records an action on the Medivance entry.
    with app.app_context():
        from interests.models import Provider

        northgate = db.session.get(Provider, me["providers"][0])
        slugs = {p: db.session.get(Provider, p).slug for p in me["providers"]}
        factories.make_account(
            "provider_admin", email="register@northgate.example.org", providers=[northgate]
        )
        db.session.commit()
    lead = app.test_client()
    assert factories.sign_in(lead, "register@northgate.example.org").status_code == 302
    listing = soup(lead.get(f"/manage/{slugs[me['providers'][0]]}/declarations"))
    declaration = soup(lead.get(listing.select_one("a[href*='/declarations/']")["href"]))
    record = next(a for a in declaration.select("a[href$='/action']") if "Medivance" in text(a))
    action = "Not to take part in buying decisions for pelvic mesh"
    assert lead.post(record["href"], data={"action": action}).status_code == 302

    # A new interest, which the professional asks Northgate (only) to withhold.
    add(signed_in, other_party="Quantock Devices Ltd", **date_parts("date_from", TODAY - timedelta(days=10)))
    with app.app_context():
        newest = db.session.scalar(select(func.max(Interest.id)))
    withheld = signed_in.post(
        f"/declare/interests/{newest}/withhold",
        data={"providers": [str(me["providers"][0])], "reason": "A former patient has threatened my family."},
    )
    assert withheld.status_code == 302

    preview = soup(signed_in.get("/declare/preview"))
    previewed = {
        text(s.h2).removeprefix("Register of declared interests "): s for s in preview.select("section")
    }
    assert send_all(signed_in, me).status_code == 302

    public = app.test_client()  # a patient, not signed in
    for provider_id, name in zip(me["providers"], me["provider_names"], strict=True):
        section = previewed[name]
        register = soup(public.get(f"/providers/{slugs[provider_id]}"))
        (person,) = register.select("li.app-declaration")
        shown = [li for li in section.select("li.app-entry") if "app-entry--hidden" not in li["class"]]
        hidden = section.select("li.app-entry--hidden")
        assert [str(li) for li in shown] == [str(li) for li in person.select("li.app-entry")]
        assert text(section.h3) == text(person.h3)
        assert text(section.select_one(".app-declaration p")) == text(person.select_one("h3 + p"))

        others = [text(li.select_one("dd")) for li in shown]
        if provider_id == me["providers"][0]:  # Northgate: the action shows, Quantock is withheld
            assert others == ["Medivance Surgical Ltd", "Helix Orthopaedics UK", "Northbridge Pharma plc"]
            assert action in text(shown[0])
            assert [text(li.select_one("dd")) for li in hidden] == ["Quantock Devices Ltd"]
            assert "Not published" in text(hidden[0]) and "Quantock" not in text(register.main)
        else:  # Ashby: withholding follows the interest, so Quantock arrives awaiting Ashby's decision
            assert others == ["Medivance Surgical Ltd", "Helix Orthopaedics UK", "Northbridge Pharma plc"]
            assert [text(li.select_one("dd")) for li in hidden] == ["Quantock Devices Ltd"]
            assert "Ashby Private Hospital will be asked to decide too" in text(hidden[0])
            assert "Quantock" not in text(register.main) and action not in text(section)
