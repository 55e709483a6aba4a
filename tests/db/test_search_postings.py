"""The PostgreSQL engine's posting table (one row per term a professional holds) and the search of
one common word that reads it (searching._one_word), on a real PostgreSQL:

- the posting table holds exactly the terms of the people's rows after a rebuild, an added
  professional, a rename and a withheld company (nothing no longer published lingers there);
- the pages of one word ranked from the best-scoring way first, and of people linked to a named
  organisation listed after those matching by name, and their totals, are exactly what scoring
  every match gives (ties in professional order).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from interests.extensions import db
from interests.models import Professional, WithholdingRequest
from interests.search import names, tiers
from interests.search.postgres import searching
from interests.services import search_index
from interests.unit_of_work import transaction
from tests.conftest import make_app
from tests.factories import make_declaration, make_engagement, make_interest, make_professional, make_provider


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
    held, expected = postings(app)
    assert held == expected
    assert ("n:oldname", person_id) in held

    with app.app_context(), transaction():
        newcomer = make_professional(given_name="Newcomer", family_name="Postingson")
        make_engagement(newcomer, db.session.get_one(type(provider), provider_id))
        make_declaration(newcomer, db.session.get_one(type(provider), provider_id))
        search_index.schedule(professional_id=newcomer.id)
    held, expected = postings(app)
    assert held == expected
    assert "n:newcomer" in {t for t, _ in held}

    with app.app_context():
        renamed = db.session.get_one(Professional, person_id)
        renamed.given_name = "Newname"
        search_index.schedule(professional_id=person_id)
        db.session.commit()
        search_index.apply_pending()
    held, expected = postings(app)
    assert held == expected
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
    held, expected = postings(app)
    assert held == expected
    assert not company_terms & {t for t, _ in held}

    with app.app_context():
        search_index.rebuild()
    held, expected = postings(app)
    assert held == expected
    assert len({p for _, p in held}) == 7


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
        queries = (*queries, "Commonname", "Farah", "Clinic", "Mohamed Clinic")
        for query in (*queries, "Aisha Mohamed", "Elsewhere Hospital", "Omar Elsewhere", "Givena Commonname"):
            vocabulary = searching.Vocabulary(conn)
            org_keys = [o.key for o in searching.resolve_orgs(conn, vocabulary, query)]
            words = tiers.query_name_words(names.name_words(query))
            for tier in (0, 1, 2):
                per_word = [tiers.word_ways(vocabulary, word, tier) for word in words]
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
