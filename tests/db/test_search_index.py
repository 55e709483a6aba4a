"""The search index: names found however they are spelt, kept in step with the database,
rebuilt from it, safe with two writing processes and after a process is killed.

Tests marked alldb run on both engines (Whoosh on SQLite; PostgreSQL's own tables on PostgreSQL);
the others are about Whoosh's separate store (two processes writing its files, a process killed between
the database's commit and the index's): the PostgreSQL engine writes in the change's own
transaction, so it has no such gap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from interests.extensions import db
from interests.models import Professional, SearchTask
from interests.search import engine_name
from interests.services import search_index
from interests.unit_of_work import transaction
from tests.factories import make_declaration, make_engagement, make_interest, make_professional, make_provider
from tests.search_engines import index_contents

PEOPLE = [
    ("William", "Williams"),
    ("Elizabeth", "Smyth"),
    ("Muhammad", "Khan"),
    ("Graeme", "Hughes"),
    ("Catherine", "MacDonald"),
    ("Seán", "O'Neill"),
    ("Zoë", "Campbell-Brown"),
    ("Rhys", "Davies"),
    ("Mohammed", "Ahmed"),
    ("Jonathan", "Pritchard"),
]

# (what a patient types, the name that must be among the first 10 results)
MUST_FIND = [
    ("William Williams", "William Williams"),
    ("Williasm", "William Williams"),  # swapped letters
    ("Bill Williams", "William Williams"),  # nickname
    ("Dr W Williams", "William Williams"),
    ("Williams William", "William Williams"),  # surname first
    ("Liz Smith", "Elizabeth Smyth"),  # nickname and variant
    ("Elizabth Smyth", "Elizabeth Smyth"),  # a letter missing
    ("Elizabeeth Smythe", "Elizabeth Smyth"),  # extra letters
    ("Mohammed Khan", "Muhammad Khan"),
    ("Mohamed Kahn", "Muhammad Khan"),
    ("Graham Hewes", "Graeme Hughes"),
    ("Catherine McDonald", "Catherine MacDonald"),
    ("Kate Macdonald", "Catherine MacDonald"),
    ("Sean ONeill", "Seán O'Neill"),
    ("Mr Sean O Neill", "Seán O'Neill"),
    ("O'Neil", "Seán O'Neill"),
    ("Zoe Campbell Brown", "Zoë Campbell-Brown"),
    ("campbellbrown", "Zoë Campbell-Brown"),
    ("Brown", "Zoë Campbell-Brown"),
    ("Rhys Davey", "Rhys Davies"),
    ("Rees Davies", "Rhys Davies"),  # sound-alike
    ("Jonathon Prichard", "Jonathan Pritchard"),  # two typing mistakes
    ("Jnoathan Pritcahrd", "Jonathan Pritchard"),  # two transpositions
]


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    with app.app_context():
        provider = make_provider(name="Northfield General Hospital", slug="northfield")
        ids = {}
        for given, family in PEOPLE:
            person = make_professional(given_name=given, family_name=family)
            make_engagement(person, provider)
            make_declaration(person, provider, [make_interest(person, other_party=f"{family} Devices")])
            ids[f"{given} {family}"] = person.id
        db.session.commit()
        search_index.rebuild()
        return ids


def found_names(client: FlaskClient, query: str) -> list[str]:
    body = client.get("/api/v1/search", query_string={"q": query, "per_page": 10}).get_json()
    return [item["name"] for item in body["items"]]


@pytest.mark.alldb
def test_a_nickname_finds_the_name_and_ranks_below_the_exact_one(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        provider = make_provider(name="Ashworth Community Hospital", slug="ashworth")
        for given in ("Robert", "Bob", "Margaret", "Katherine", "Mary"):
            person = make_professional(given_name=given, family_name="Ashworth")
            make_engagement(person, provider)
            make_declaration(person, provider, [make_interest(person, other_party="Ashworth Devices")])
        db.session.commit()
        search_index.rebuild()
    bob = found_names(client, "Bob Ashworth")
    assert bob[:2] == ["Bob Ashworth", "Robert Ashworth"]  # the exact name first, then the nickname's
    assert "Margaret Ashworth" in found_names(client, "Peggy Ashworth")
    assert "Katherine Ashworth" in found_names(client, "Kathy Ashworth")
    assert found_names(client, "Peggy Ashworth")[0] == "Margaret Ashworth"
    assert found_names(client, "Polly Ashworth")[0] == "Mary Ashworth"  # the dataset's, not ours


@pytest.mark.alldb
@pytest.mark.parametrize(("query", "expected"), MUST_FIND)
def test_search_finds_misspellings_and_variants(
    client: FlaskClient, people: dict[str, int], query: str, expected: str
) -> None:
    assert expected in found_names(client, query)


@pytest.mark.alldb
def test_exact_name_ranks_first(client: FlaskClient, people: dict[str, int]) -> None:
    assert found_names(client, "Mohammed Ahmed")[0] == "Mohammed Ahmed"


@pytest.mark.alldb
def test_registration_number_found_exactly_with_or_without_prefix(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        provider = make_provider()
        person = make_professional(given_name="Reg", family_name="Numbered", registration_number="7777777")
        make_engagement(person, provider)
        make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()
    for query in ("7777777", "GMC 7777777", "gmc7777777"):
        assert found_names(client, query) == ["Reg Numbered"]
    assert found_names(client, "7777778") == []


@pytest.mark.alldb
def test_sending_a_declaration_updates_the_index_after_commit(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        search_index.rebuild()
        with transaction():
            provider = make_provider()
            person = make_professional(given_name="Newly", family_name="Declared")
            make_engagement(person, provider)
            make_declaration(person, provider)
            search_index.schedule(professional_id=person.id)
    # The work was applied with the commit (PostgreSQL: in its transaction; Whoosh: just after it):
    # no task left, the name is found.
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchTask.id))) == 0
    assert found_names(client, "Newly Declared") == ["Newly Declared"]


@pytest.mark.alldb
def test_withholding_later_removes_company_from_both_indexes(app: Flask, client: FlaskClient) -> None:
    from interests.models import WithholdingRequest

    with app.app_context():
        provider = make_provider()
        person = make_professional(given_name="Later", family_name="Withheld")
        make_engagement(person, provider)
        version = make_interest(person, other_party="Zyxwvut Holdings")
        make_declaration(person, provider, [version])
        db.session.commit()
        interest_id, provider_id, person_id = version.interest_id, provider.id, person.id
        search_index.rebuild()
        assert found_names(client, "Zyxwvut") == ["Later Withheld"]
        db.session.add(
            WithholdingRequest(interest_id=interest_id, provider_id=provider_id, reason="x", status="pending")
        )
        search_index.schedule(professional_id=person_id)
        db.session.commit()
        search_index.apply_pending()
    assert found_names(client, "Zyxwvut") == []
    stored = index_contents(app)  # Whoosh's files, or PostgreSQL's search tables
    assert stored
    for where, content in stored:
        assert b"zyxwvut" not in content.lower(), where


@pytest.mark.alldb
def test_reindex_command_rebuilds_a_missing_index_and_health_recovers(
    app: Flask, client: FlaskClient, people: dict[str, int]
) -> None:
    with app.app_context():
        search_index.remove_index()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "missing" in health.get_json()["checks"]["search_index"]["error"]
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 10 professionals" in result.output
    assert client.get("/healthz").status_code == 200
    assert "William Williams" in found_names(client, "William Williams")


@pytest.mark.alldb
def test_health_reports_an_index_left_empty_while_declarations_are_published(
    app: Flask, client: FlaskClient, people: dict[str, int]
) -> None:
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.get_json()["checks"]["search_index"]["empty"] is False
    with app.app_context(), transaction(), search_index._backend().writing(rebuild=True):
        pass  # emptied and written back with nobody in it: it exists, but finds no one
    body = client.get("/healthz")
    assert body.status_code == 503
    assert (
        "the index is empty but declarations have been sent"
        in body.get_json()["checks"]["search_index"]["error"]
    )
    assert found_names(client, "William Williams") == []
    app.test_cli_runner().invoke(args=["search", "reindex"])
    assert client.get("/healthz").status_code == 200


@pytest.mark.alldb
def test_health_reports_work_pending_for_over_a_minute(
    app: Flask, client: FlaskClient, people: dict[str, int]
) -> None:
    from datetime import UTC, datetime, timedelta

    with app.app_context():
        db.session.add(
            SearchTask(
                professional_id=people["Rhys Davies"], created_at=datetime.now(UTC) - timedelta(minutes=5)
            )
        )
        db.session.commit()  # recorded without schedule(): nothing applies it but the worker
    body = client.get("/healthz")
    assert body.status_code == 503
    assert "over a minute" in body.get_json()["checks"]["search_index"]["error"]
    app.test_cli_runner().invoke(args=["search", "apply"])
    assert client.get("/healthz").status_code == 200


# --- other processes --------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from interests import create_app
    from interests.services import search_index
    from interests.extensions import db
    from interests.models import Provider
    from tests.factories import make_declaration, make_engagement, make_professional
    app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "SEARCH_INDEX_DIR": {index!r},
                       "SECRET_KEY": "x" * 40, "TESTING": True}})
    mode, label, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    import itertools, tests.factories
    tests.factories._counter = itertools.count({{"Alpha": 100000, "Beta": 200000}}.get(label, 300000))
    with app.app_context():
        provider = db.session.get(Provider, {provider_id})
        for n in range(count):
            letters = "abcdefghijklmnopqrstuvwxyz"[n % 26] * (1 + n // 26)
            number = {{"Alpha": 1100000, "Beta": 2200000}}.get(label, 3300000) + n
            person = make_professional(given_name=label, family_name="Worker" + letters,
                                       registration_number=str(number))
            make_engagement(person, provider)
            make_declaration(person, provider)
            search_index.schedule(professional_id=person.id)
            db.session.commit()
            if mode == "kill-after-commit":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "kill-mid-write":
                import whoosh.writing
                def die(*args, **kwargs):
                    os.kill(os.getpid(), signal.SIGKILL)
                whoosh.writing.SegmentWriter.commit = die
            search_index.apply_pending()
    """
)


def _run_workers(app: Flask, tmp_path: Path, runs: list[tuple[str, str, int]]) -> list[int]:
    with app.app_context():
        provider = make_provider()
        db.session.commit()
        provider_id = provider.id
        search_index.rebuild()
    script = tmp_path / "worker.py"
    script.write_text(
        WORKER.format(
            root=str(Path(__file__).resolve().parents[2]),
            url=app.config["SQLALCHEMY_DATABASE_URI"],
            index=app.config["SEARCH_INDEX_DIR"],
            provider_id=provider_id,
        )
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    processes = [subprocess.Popen([sys.executable, str(script), *map(str, run)], env=env) for run in runs]
    return [p.wait(timeout=120) for p in processes]


def test_two_processes_writing_at_once_lose_nothing(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    assert engine_name(app.config) == "whoosh"
    codes = _run_workers(app, tmp_path, [("normal", "Alpha", 12), ("normal", "Beta", 12)])
    assert codes == [0, 0]
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchTask.id))) == 0
    body = client.get("/api/v1/search", query_string={"q": "Alpha", "per_page": 100}).get_json()
    assert body["total"] == 12
    body = client.get("/api/v1/search", query_string={"q": "Beta", "per_page": 100}).get_json()
    assert body["total"] == 12


@pytest.mark.parametrize("mode", ["kill-after-commit", "kill-mid-write"])
def test_a_process_killed_before_the_index_write_loses_nothing(
    app: Flask, client: FlaskClient, tmp_path: Path, mode: str
) -> None:
    assert engine_name(app.config) == "whoosh"
    codes = _run_workers(app, tmp_path, [(mode, "Killed", 1)])
    assert codes == [-signal.SIGKILL]
    assert client.get("/api/v1/search", query_string={"q": "Killed Workera"}).get_json()["total"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchTask.id))) == 1  # the work is recorded
        assert search_index.apply_pending() == 1
    body = client.get("/api/v1/search", query_string={"q": "Killed Workera"}).get_json()
    assert [item["name"] for item in body["items"]] == ["Killed Workera"]
    assert json.dumps(body)  # a well-formed answer


@pytest.mark.alldb
def test_a_renamed_professional_is_found_only_by_the_new_name_after_an_update(
    app: Flask, client: FlaskClient
) -> None:
    # The update leaves the old document deleted inside its segment: search reads the posting
    # lists itself, so it must leave deleted documents out (and out of the total).
    with app.app_context():
        provider = make_provider()
        person = make_professional(given_name="Oldname", family_name="Renamed")
        make_engagement(person, provider)
        make_declaration(person, provider)
        db.session.commit()
        person_id = person.id
        search_index.rebuild()
        renamed = db.session.get(Professional, person_id)
        assert renamed is not None
        renamed.given_name = "Newname"
        search_index.schedule(professional_id=person_id)
        db.session.commit()
        search_index.apply_pending()
    assert found_names(client, "Newname Renamed") == ["Newname Renamed"]
    assert found_names(client, "Oldname Renamed") == []
    body = client.get("/api/v1/search", query_string={"q": "Renamed"}).get_json()
    assert body["total"] == 1
    assert [item["name"] for item in body["items"]] == ["Newname Renamed"]


@pytest.mark.alldb
def test_pages_of_a_common_name_are_exact_and_do_not_overlap(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        provider = make_provider()
        for i in range(23):
            person = make_professional(given_name=f"Given{chr(97 + i)}", family_name="Commonname")
            make_engagement(person, provider)
            make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()
    seen: list[int] = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/v1/search", query_string={"q": "Commonname", "page": page, "per_page": 10}
        ).get_json()
        assert body["total"] == 23
        assert body["pages"] == 3
        seen.extend(item["professional_id"] for item in body["items"])
    assert len(seen) == 23
    assert len(set(seen)) == 23


@pytest.mark.alldb
def test_exact_spelling_ranks_above_typing_mistakes_and_sound_alikes(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        provider = make_provider()
        for given, family in [("Priya", "Jones"), ("Priya", "Johnson"), ("Priya", "Johnston")]:
            person = make_professional(given_name=given, family_name=family)
            make_engagement(person, provider)
            make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()
    assert found_names(client, "Priya Johnson")[0] == "Priya Johnson"
    # One letter missing: Johnson (one typing mistake) before Jones (only sounds alike).
    found = found_names(client, "Priya Johnso")
    assert found.index("Priya Johnson") < found.index("Priya Jones")
