"""The PostgreSQL engine's posting table (one row per term a professional holds) and the search of
one common word that reads it (searching._one_word), on a real PostgreSQL:

- the posting table holds exactly the terms of the people's rows after a rebuild, an added
  professional, a rename, a withheld company and a professional with nothing published any more
  (nothing no longer published lingers there), and the per-term counts kept with the writes are
  exactly its number of rows per term, before and after the periodic tidy folds them;
- two changes to holders of the same surname at once neither wait for each other nor lose a count,
  and a name word nobody holds any more leaves the vocabulary (at once, or by the tidy);
- an index built before the counts existed is brought up to date without a rebuild;
- the pages of one word ranked from the best-scoring way first, and of people linked to a named
  organisation listed after those matching by name, and their totals, are exactly what scoring
  every match gives (ties in professional order).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text

from interests.extensions import db
from interests.models import Professional, WithholdingRequest
from interests.search import PersonDocument, names, tiers
from interests.search.postgres import PostgresBackend, schema, searching
from interests.services import search_index
from interests.unit_of_work import transaction
from tests.conftest import make_app
from tests.factories import (
    make_account,
    make_declaration,
    make_engagement,
    make_interest,
    make_professional,
    make_provider,
    sign_in,
)
from tests.web.declare.helpers import add, send_all


@pytest.fixture
def app(postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(postgres_url, tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def postings(app: Flask) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(what the posting table holds, what the people's rows say it should hold)."""
    with app.app_context():
        held = db.session.execute(text("SELECT term, professional_id FROM search_index_posting")).all()
        terms = db.session.execute(
            text(
                "SELECT t, professional_id FROM search_index_person, unnest(terms) AS t "
                "WHERE left(t, 2) <> 'r:'"
            )
        ).all()
        return sorted((t, p) for t, p in held), sorted((t, p) for t, p in terms)


def counts(app: Flask) -> tuple[dict[str, int], dict[str, int]]:
    """(each term's count as the count rows sum it, each term's rows in the posting table)."""
    with app.app_context():
        kept = db.session.execute(
            text("SELECT term, sum(n) FROM search_index_count GROUP BY term HAVING sum(n) <> 0")
        ).all()
        posted = db.session.execute(
            text("SELECT term, count(*) FROM search_index_posting GROUP BY term")
        ).all()
        return {t: int(n) for t, n in kept}, {t: int(n) for t, n in posted}


def assert_in_step(app: Flask) -> None:
    held, expected = postings(app)
    assert held == expected
    kept, posted = counts(app)
    assert kept == posted


def _ended_long_ago(professional_id: int) -> None:
    """Nothing of theirs published any more: their engagements ended over 6 months ago (written
    around the app, then re-indexed as a change would be)."""
    db.session.execute(
        text("UPDATE engagement SET start_date = :start, end_date = :end WHERE professional_id = :id"),
        {
            "start": date.today() - timedelta(days=800),
            "end": date.today() - timedelta(days=400),
            "id": professional_id,
        },
    )
    search_index.schedule(professional_id=professional_id)
    db.session.commit()
    search_index.apply_pending()


def test_the_posting_table_holds_exactly_the_terms_after_every_kind_of_change(app: Flask) -> None:
    with app.app_context():
        provider = make_provider(name="Ravenscar Clinic")
        person = make_professional(given_name="Oldname", family_name="Postingson")
        make_engagement(person, provider)
        version = make_interest(person, other_party="Qwertyx Holdings")
        make_declaration(person, provider, [version])
        for i in range(5):
            other = make_professional(given_name=f"Other{chr(97 + i)}", family_name="Postingson")
            make_engagement(other, provider)
            make_declaration(other, provider)
        db.session.commit()
        person_id, provider_id, interest_id = person.id, provider.id, version.interest_id
        search_index.rebuild()
    assert_in_step(app)
    held, _ = postings(app)
    assert ("n:oldname", person_id) in held

    with app.app_context(), transaction():
        newcomer = make_professional(given_name="Newcomer", family_name="Postingson")
        make_engagement(newcomer, db.session.get_one(type(provider), provider_id))
        make_declaration(newcomer, db.session.get_one(type(provider), provider_id))
        search_index.schedule(professional_id=newcomer.id)
    assert_in_step(app)
    held, _ = postings(app)
    assert "n:newcomer" in {t for t, _ in held}

    with app.app_context():
        renamed = db.session.get_one(Professional, person_id)
        renamed.given_name = "Newname"
        search_index.schedule(professional_id=person_id)
        db.session.commit()
        search_index.apply_pending()
    assert_in_step(app)
    held, _ = postings(app)
    assert ("n:newname", person_id) in held
    assert not [t for t, p in held if t == "n:oldname"]

    with app.app_context():
        company_terms = {t for t, p in held if p == person_id and t.startswith("c:")}
        assert company_terms
        db.session.add(
            WithholdingRequest(interest_id=interest_id, provider_id=provider_id, reason="x", status="pending")
        )
        search_index.schedule(professional_id=person_id)
        db.session.commit()
        search_index.apply_pending()
    assert_in_step(app)
    held, _ = postings(app)
    assert not company_terms & {t for t, _ in held}

    with app.app_context():
        # Nothing of Otherb's published any more: the engagement ended over 6 months ago.
        (gone_id,) = db.session.execute(text("SELECT id FROM professional WHERE given_name = 'Otherb'")).one()
        _ended_long_ago(gone_id)
    assert_in_step(app)
    held, _ = postings(app)
    assert gone_id not in {p for _, p in held}
    assert "otherb" not in vocabulary(app)  # its last holder gone: taken out at once
    assert "postingson" in vocabulary(app)

    with app.app_context():
        rows_before = db.session.execute(text("SELECT count(*) FROM search_index_count")).scalar_one()
        search_index.tidy()
        rows, terms = db.session.execute(
            text("SELECT count(*), count(DISTINCT term) FROM search_index_count")
        ).one()
    assert_in_step(app)
    assert rows == terms < rows_before  # one row per term once folded, the same counts

    with app.app_context():
        search_index.rebuild()
    assert_in_step(app)
    held, _ = postings(app)
    assert len({p for _, p in held}) == 6


def vocabulary(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(text("SELECT word FROM search_index_word WHERE field = 'name'")))


def test_a_declaration_sent_from_the_page_keeps_the_counts_in_step(app: Flask) -> None:
    with app.app_context():
        account = make_account("professional", email="ada.quill@example.org")
        provider = make_provider(name="Fenwick General Hospital")
        make_engagement(account.professional, provider)
        for i in range(3):
            other = make_professional(given_name=f"Bea{chr(97 + i)}", family_name="Tester")
            make_engagement(other, provider)
            make_declaration(other, provider)
        db.session.commit()
        provider_id = provider.id
        search_index.rebuild()
    before, _ = counts(app)
    client = app.test_client()
    assert sign_in(client, "ada.quill@example.org").status_code == 302
    add(client, other_party="Quillfeather Devices Ltd")
    assert send_all(client, {"providers": [provider_id]}).status_code == 302
    assert_in_step(app)
    after, _ = counts(app)
    company = "c:" + names.company_key("Quillfeather Devices Ltd")
    assert (before.get(company, 0), after[company]) == (0, 1)
    assert after[f"p:{provider_id}"] == before[f"p:{provider_id}"] + 1


def person(pid: int, given: str, family: str) -> PersonDocument:
    return PersonDocument(
        professional_id=pid,
        given_name=given,
        family_name=family,
        other_names=(),
        regulator="GMC",
        registration_number=str(7_500_000 + pid),
        provider_ids=(),
        companies=(),
    )


def test_two_changes_to_holders_of_one_surname_neither_wait_nor_lose_a_count(
    app: Flask, postgres_url: str
) -> None:
    with app.app_context():
        provider = make_provider()
        for given in ("Anna", "Bert", "Cora"):
            someone = make_professional(given_name=given, family_name="Sharedname")
            make_engagement(someone, provider)
            make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
        ids = dict(db.session.execute(text("SELECT given_name, id FROM professional")).all())
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    # Each change: one holder of the surname added, one renamed, one taken out (people in
    # different lock buckets). The second must not wait for the first (lock_timeout would raise).
    first_changes = {9001: person(9001, "Dora", "Sharedname"), ids["Anna"]: None}
    second_changes = {
        9002: person(9002, "Emil", "Sharedname"),
        ids["Bert"]: person(ids["Bert"], "Bert", "Othername"),
    }
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        second.execute("SET lock_timeout = '3s'")
        with PostgresBackend(lambda: first).writing() as index:
            index.reserve(first_changes)
            index.put_people(first_changes)
        with PostgresBackend(lambda: second).writing() as index:
            index.reserve(second_changes)
            index.put_people(second_changes)
        second.commit()
        first.commit()
    assert_in_step(app)
    kept, _ = counts(app)
    assert kept["n:sharedname"] == 3  # Cora, Dora, Emil
    assert {"dora", "emil", "othername", "sharedname"} <= vocabulary(app)
    assert "anna" not in vocabulary(app)
    assert found_total(app, "Sharedname") == 3


def test_a_word_whose_last_two_holders_go_at_once_leaves_the_vocabulary_by_the_tidy(
    app: Flask, postgres_url: str
) -> None:
    with app.app_context():
        provider = make_provider()
        for given in ("Anna", "Bert"):
            someone = make_professional(given_name=given, family_name="Vanishingname")
            make_engagement(someone, provider)
            make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
        ids = list(db.session.scalars(text("SELECT id FROM professional ORDER BY id")))
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        second.execute("SET lock_timeout = '3s'")
        # Each sees the other's holder (not yet taken out): neither takes the word out.
        for conn, pid in ((first, ids[0]), (second, ids[1])):
            with PostgresBackend(lambda conn=conn: conn).writing() as index:
                index.reserve([pid])
                index.put_people({pid: None})
        second.commit()
        first.commit()
    assert_in_step(app)
    assert found_total(app, "Vanishingname") == 0
    assert "vanishingname" in vocabulary(app)  # left there by both...
    assert suggestion(app, "Vanishingnam") is None  # ...where nothing reads it
    assert suggestion(app, "Vanishingnme Sharedname") is None
    with app.app_context():
        search_index.tidy()
    assert "vanishingname" not in vocabulary(app)
    assert_in_step(app)


def suggestion(app: Flask, query: str) -> str | None:
    body = app.test_client().get("/api/v1/search", query_string={"q": query}).get_json()
    assert body["total"] == 0
    return body["suggestion"]


def test_a_search_finding_nothing_suggests_the_nearest_name_someone_holds(app: Flask) -> None:
    with app.app_context():
        provider = make_provider()
        for given, family in (("Anna", "Pemberton"), ("Bert", "Pemberton"), ("Cora", "Hu")):
            someone = make_professional(given_name=given, family_name=family)
            make_engagement(someone, provider)
            make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
    assert suggestion(app, "Qqqq Pembertonn") == "qqqq pemberton"
    assert suggestion(app, "Xo Pemberton Qqqq") == "hu pemberton qqqq"


def found_total(app: Flask, query: str) -> int:
    body = app.test_client().get("/api/v1/search", query_string={"q": query}).get_json()
    return int(body["total"])


def test_an_index_built_before_the_counts_is_brought_up_to_date_without_a_rebuild(app: Flask) -> None:
    with app.app_context():
        provider = make_provider()
        for given in ("Anna", "Bert"):
            someone = make_professional(given_name=given, family_name="Upgradeson")
            make_engagement(someone, provider)
            make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
        db.session.execute(text("DROP TABLE search_index_count"))  # as an older version left it
        # A row only the index holds: a rebuild would drop it, an upgrade keeps it.
        db.session.execute(
            text("INSERT INTO search_index_posting (term, professional_id) VALUES ('n:upgradeson', 99999)")
        )
        db.session.commit()
        assert not search_index.index_exists()
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "not rebuilt" in result.output
    with app.app_context():
        assert search_index.index_exists()
    kept, posted = counts(app)
    assert kept == posted
    assert kept["n:upgradeson"] == 3
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--if-missing"])
    assert "The search index exists" in result.output


def test_one_word_ranked_best_first_is_what_scoring_every_match_gives(app: Flask) -> None:
    with app.app_context():
        clinic = make_provider(name="Mohamed Clinic")
        elsewhere = make_provider(name="Elsewhere Hospital")
        people = (
            [("Aisha", "Mohamed")] * 9
            + [("Omar", "Mohammed")] * 7
            + [("Yusuf", "Muhammad")] * 5
            + [("Mohamed", "Farah")] * 4
            + [("Rare", "Mohammad")] * 2
            + [("Rarer", "Mohamad")]
            + [("Ewan", "McDonald")] * 8
            + [("Fergus", "Macdonald")]
            + [(f"Given{chr(97 + i)}", "Commonname") for i in range(14)]
            # Names in several equivalence groups: one key all their holders hold (Thomas), or none.
            + [("Thomas", "Evans")] * 6
            + [("Tom", "Jones"), ("Thom", "Yorke"), ("Tommy", "Cooper"), ("Tom", "Thomas"), ("Tomas", "Berg")]
            + [("Ali", "Hassan")] * 5
            + [
                ("Alison", "Moyet"),
                ("Allison", "Janney"),
                ("Harry", "Kane"),
                ("Henry", "Hall"),
                ("Kim", "Wilde"),
            ]
        )
        for n, (given, family) in enumerate(people):
            person = make_professional(given_name=given, family_name=family)
            provider = clinic if n % 3 == 0 else elsewhere
            make_engagement(person, provider)
            make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()

        conn = db.session.connection().connection.driver_connection
        answered_best_first = 0
        queries = ("Mohamed", "Muhammad", "Mohammed", "Mohammad", "Mohamad", "Macdonald", "McDonald")
        queries = (
            *queries,
            "Commonname",
            "Farah",
            "Clinic",
            "Mohamed Clinic",
            "Thomas",
            "Tom",
            "Ali",
            "Henry",
        )
        queries = (*queries, "Kim", "Tom Thomas", "Ali Hassan")
        for query in (*queries, "Aisha Mohamed", "Elsewhere Hospital", "Omar Elsewhere", "Givena Commonname"):
            vocabulary = searching.Vocabulary(conn)
            org_keys = [o.key for o in searching.resolve_orgs(conn, vocabulary, query)]
            words = tiers.query_name_words(names.name_words(query))
            for tier in (0, 1, 2):
                per_word = [tiers.word_ways(vocabulary, word, tier) for word in words]
                assert searching._scored(conn, per_word, org_keys, 10, 0).total == matching(
                    conn, per_word, org_keys
                )
                for per_page in (3, 5, 10):
                    for page in range(1, 7):
                        offset = (page - 1) * per_page
                        every = searching._scored(conn, per_word, org_keys, per_page, offset)
                        assert searching._people(conn, per_word, org_keys, per_page, offset) == every, (
                            query,
                            tier,
                            per_page,
                            page,
                        )
                        if len(per_word) == 1:
                            fast = searching._one_word(conn, per_word[0], org_keys, per_page, offset)
                            if fast is not None:
                                answered_best_first += 1
                                assert fast == every
        assert answered_best_first > 50
        # A rare spelling of a common name: its two holders first, then the name's other spellings.
        vocabulary = searching.Vocabulary(conn)
        org_keys = [o.key for o in searching.resolve_orgs(conn, vocabulary, "Mohammad")]
        rare = searching._one_word(conn, tiers.word_ways(vocabulary, "mohammad", 0), org_keys, 10, 0)
        assert rare is not None
        assert rare.total == 9 + 7 + 5 + 4 + 2 + 1
        assert [display["name"] for _, _, display, _ in rare.rows[:2]] == ["Rare Mohammad"] * 2


def matching(conn: Any, per_word: list[list[tiers.Way]], org_keys: list[str]) -> int:
    """How many people hold a term of every word's ways (any of them), or are linked."""
    every_word = " AND ".join(["terms && %s::text[]"] * len(per_word))
    every_term = [
        sorted({f"{schema.FIELD_PREFIX[f]}:{t}" for terms, _ in ways for f, t in terms}) for ways in per_word
    ]
    (total,) = conn.execute(
        f"SELECT count(*) FROM search_index_person WHERE ({every_word}) OR terms && %s::text[]",  # noqa: S608
        (*every_term, org_keys),
    ).fetchone()
    return int(total)


def test_an_index_built_without_the_posting_table_counts_as_missing_until_rebuilt(app: Flask) -> None:
    with app.app_context():
        provider = make_provider()
        person = make_professional(given_name="Older", family_name="Version")
        make_engagement(person, provider)
        make_declaration(person, provider)
        db.session.commit()
        search_index.rebuild()
        db.session.execute(text("DROP TABLE search_index_posting"))  # as an older version left it
        db.session.commit()
        assert not search_index.index_exists()
    assert app.test_client().get("/search", query_string={"q": "Version"}).status_code == 503
    with app.app_context():
        search_index.rebuild()
        assert search_index.index_exists()
    held, expected = postings(app)
    assert held == expected
    body = app.test_client().get("/api/v1/search", query_string={"q": "Version"}).get_json()
    assert [item["name"] for item in body["items"]] == ["Older Version"]


def page_count(app: Flask, query: str) -> bytes:
    """The search page's "N professionals found (...)" line, or "" when there is none."""
    page = app.test_client().get("/search", query_string={"q": query}).data
    found = re.search(rb'<p id="result-count">(.*?)</p>', page, re.S)
    return b" ".join(found.group(1).split()) if found else b""


def test_nothing_withheld_or_unpublished_shows_in_a_total_a_company_match_or_a_suggestion(app: Flask) -> None:
    with app.app_context():
        provider = make_provider(name="Ravenscar Clinic")
        linked = {}
        for given in ("Alice", "Bryony"):
            person = make_professional(given_name=given, family_name="Ordinaryson")
            make_engagement(person, provider)
            version = make_interest(person, other_party="Zentravia Pharma")
            make_declaration(person, provider, [version])
            linked[given] = (person.id, version.interest_id)
        # Nothing published: engaged, never declared.
        quiet = make_professional(given_name="Carys", family_name="Quorrimund")
        make_engagement(quiet, provider)
        # Published once, ended more than 6 months ago since.
        ended = make_professional(given_name="Dafydd", family_name="Threnbarrow")
        make_engagement(ended, provider)
        make_declaration(ended, provider)
        db.session.commit()
        provider_id, ended_id = provider.id, ended.id
        search_index.rebuild()
    assert page_count(app, "Zentravia") == (
        b"2 professionals found (by name, or with declared links to "
        b'<span class="app-data">Zentravia Pharma</span>).'
    )
    assert found_total(app, "Threnbarrow") == 1

    def withhold(given: str) -> None:
        pid, interest_id = linked[given]
        with app.app_context():
            db.session.add(
                WithholdingRequest(
                    interest_id=interest_id, provider_id=provider_id, reason="x", status="pending"
                )
            )
            search_index.schedule(professional_id=pid)
            db.session.commit()
            search_index.apply_pending()

    withhold("Alice")
    assert b"1 professional found" in page_count(app, "Zentravia")
    body = app.test_client().get("/api/v1/search", query_string={"q": "Zentravia"}).get_json()
    assert [item["name"] for item in body["items"]] == ["Bryony Ordinaryson"]
    assert found_total(app, "Ordinaryson") == 2  # still found by name, without the link
    withhold("Bryony")
    with app.app_context():
        search_index.tidy()
    assert page_count(app, "Zentravia") == b""
    assert found_total(app, "Zentravia") == 0
    body = app.test_client().get("/search", query_string={"q": "Zentravia"}).data
    assert b"Zentravia Pharma" not in body
    assert suggestion(app, "Zentravio") is None  # the company's name is not a near word either

    assert found_total(app, "Quorrimund") == 0
    assert suggestion(app, "Quorimund") is None
    with app.app_context():
        _ended_long_ago(ended_id)
    assert found_total(app, "Threnbarrow") == 0
    assert suggestion(app, "Threnbarow") is None
    assert_in_step(app)

    # The withholding turned down: the link is published again, and counted again.
    with app.app_context():
        db.session.execute(
            text("UPDATE withholding_request SET status = 'rejected', decision_reason = 'No risk shown'")
        )
        for pid, _ in linked.values():
            search_index.schedule(professional_id=pid)
        db.session.commit()
        search_index.apply_pending()
    assert b"2 professionals found" in page_count(app, "Zentravia")
    with app.app_context():
        search_index.tidy()
    assert b"2 professionals found" in page_count(app, "Zentravia")
    assert_in_step(app)


@pytest.mark.parametrize("taken_first", [False, True], ids=["added-first", "taken-first"])
def test_a_name_and_a_company_given_a_new_holder_as_their_last_holder_loses_them_stay_found(
    app: Flask, postgres_url: str, taken_first: bool
) -> None:
    """Two changes at once: one gives a company and a surname to a new holder, the other takes them
    from their only holder. Whichever takes its locks first, the other waits for it and then sees its
    holder: the company and the name stay matched, counted and suggested."""
    with app.app_context():
        provider = make_provider()
        someone = make_professional(given_name="Anna", family_name="Elsewhere")
        make_engagement(someone, provider)
        make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    holder = replace(person(9001, "Bert", "Wyndlestrom"), companies=("Zentravia Pharma",))
    with psycopg.connect(url) as setup, PostgresBackend(lambda: setup).writing() as index:
        index.reserve([9001])
        index.put_people({9001: holder})
    assert found_total(app, "Wyndlestrom") == 1
    assert found_total(app, "Zentravia") == 1
    newcomer = replace(person(9002, "Cora", "Wyndlestrom"), companies=("Zentravia Pharma",))
    add = {9002: newcomer}
    take = {9001: replace(holder, family_name="Otherwise", companies=())}
    first_changes, second_changes = (take, add) if taken_first else (add, take)

    def change(conn: psycopg.Connection[Any], changes: dict[int, PersonDocument | None]) -> None:
        with PostgresBackend(lambda: conn).writing() as index:
            index.reserve(changes)
            index.put_people(changes)
        conn.commit()

    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        second.execute("SET lock_timeout = '20s'")
        with PostgresBackend(lambda: first).writing() as index:
            index.reserve(first_changes)
            index.put_people(first_changes)
        errors: list[BaseException] = []

        def run_second() -> None:
            try:
                change(second, second_changes)
            except BaseException as error:  # reported by the test's thread
                errors.append(error)

        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the first's lock on the company or the word
        first.commit()
        thread.join(20)
        assert not thread.is_alive()
        assert not errors, errors
    assert_in_step(app)
    assert found_total(app, "Wyndlestrom") == 1
    assert found_total(app, "Zentravia") == 1
    assert "wyndlestrom" in vocabulary(app)
    assert suggestion(app, "Qqqq Wyndlestron") == "qqqq wyndlestrom"
    assert suggestion(app, "Qqqq Zentravio") == "qqqq zentravia"
    with app.app_context():
        search_index.tidy()
    assert found_total(app, "Wyndlestrom") == 1
    assert found_total(app, "Zentravia") == 1
    assert "wyndlestrom" in vocabulary(app)


def test_two_tidies_and_a_change_at_once_keep_every_count(app: Flask, postgres_url: str) -> None:
    with app.app_context():
        provider = make_provider()
        for given in ("Anna", "Bert", "Cora"):
            someone = make_professional(given_name=given, family_name="Foldingham")
            make_engagement(someone, provider)
            make_declaration(someone, provider)
        db.session.commit()
        search_index.rebuild()
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    for pid in (9001, 9002, 9003):  # count rows for the tidies to fold
        with psycopg.connect(url) as conn, PostgresBackend(lambda conn=conn: conn).writing() as index:
            index.reserve([pid])
            index.put_people({pid: person(pid, "Dora", "Foldingham")})
    with psycopg.connect(url) as first, psycopg.connect(url) as second, psycopg.connect(url) as change:
        second.execute("SET lock_timeout = '20s'")
        PostgresBackend(lambda: first).tidy()
        # A change meanwhile: its count rows are not the first tidy's to fold.
        with PostgresBackend(lambda: change).writing() as index:
            index.reserve([9004, 9001])
            index.put_people({9004: person(9004, "Emil", "Foldingham"), 9001: None})
        errors: list[BaseException] = []

        def tidy_again() -> None:
            try:
                PostgresBackend(lambda: second).tidy()
                second.commit()
            except BaseException as error:  # reported by the test's thread
                errors.append(error)

        thread = threading.Thread(target=tidy_again)
        thread.start()
        thread.join(0.5)
        first.commit()
        change.commit()
        thread.join(20)
        assert not thread.is_alive()
        assert not errors, errors
    assert_in_step(app)
    assert found_total(app, "Foldingham") == 6  # Anna, Bert, Cora, 9002, 9003 and 9004
    with app.app_context():
        search_index.tidy()
    assert_in_step(app)
    assert found_total(app, "Foldingham") == 6
