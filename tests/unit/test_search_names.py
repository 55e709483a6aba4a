"""interests.search.names: how names become search terms."""

from __future__ import annotations

import pytest

from interests.search import names
from interests.search.queries import registration_number
from interests.search.whoosh import postings


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Dr Zoë Ní Bhriain", ["zoe", "ni", "bhriain"]),
        ("Prof. Seán O'Neill", ["sean", "oneill"]),
        ("O Neill", ["oneill"]),
        ("Mr  BJÖRN   Åström", ["bjorn", "astrom"]),
        ("Campbell-Brown, Mrs", ["campbell", "brown"]),
    ],
)
def test_query_name_words_drop_titles_and_accents(typed: str, expected: list[str]) -> None:
    assert names.name_words(typed) == expected


def test_index_words_keep_hyphenated_and_apostrophe_forms() -> None:
    assert names.index_words("Campbell-Brown") == ["campbell", "brown", "campbellbrown"]
    assert names.index_words("O'Neill") == ["oneill", "neill"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bill", "william"),
        ("liz", "elizabeth"),
        ("bob", "robert"),  # nicknames from the maintained dataset
        ("peggy", "margaret"),
        ("kathy", "katherine"),
        ("polly", "mary"),  # none of these three was in the hand-written groups
        ("dot", "dorothy"),
        ("sadie", "sarah"),
        ("catherine", "katherine"),  # spellings of one name: the project's own groups
        ("davies", "davey"),
        ("graham", "graeme"),
        ("hughes", "hewes"),
        ("mohammed", "muhammad"),
        ("smith", "smyth"),
        ("macdonald", "mcdonald"),
    ],
)
def test_equivalent_names_share_a_key(a: str, b: str) -> None:
    assert set(names.equivalence_keys(a)) & set(names.equivalence_keys(b))


def test_swaps_include_the_transposition_whoosh_misses() -> None:
    assert "williams" in names.swaps("williasm")


def test_company_key_ignores_case_and_punctuation_and_hides_the_name() -> None:
    key = names.company_key("Medivance Surgical Ltd.")
    assert key == names.company_key("medivance  surgical LTD")
    assert "medivance" not in key


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("GMC 1234567", "1234567"),
        ("1234567", "1234567"),
        ("nmc 12a3456e", "12A3456E"),
        ("HCPC PH123456", "PH123456"),
        ("Smith", None),
        ("Dr Jo 12", None),
    ],
)
def test_registration_numbers_are_found_with_or_without_regulator(query: str, number: str | None) -> None:
    assert registration_number(query) == number


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("smith", "smith", True),
        ("smith", "smyth", True),  # one letter changed
        ("smith", "smiths", True),  # one added
        ("smiths", "smith", True),
        ("jonson", "johnson", True),  # one missing in the middle
        ("smith", "smiht", False),  # a swap is two edits here (swaps are added separately)
        ("smith", "smythe", False),
        ("smith", "smi", False),
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_at_most_one_edit(a: str, b: str, expected: bool) -> None:
    assert postings._at_most_one_edit(a, b) is expected


def test_top_ranks_by_weight_then_document_order_and_cuts_at_the_limit() -> None:
    scores = {9: 1.0, 3: 4.0, 7: 4.0, 1: 1.0, 5: 2.0, 2: 1.0}
    assert postings.top(scores, 10) == [3, 7, 5, 1, 2, 9]
    assert postings.top(scores, 4) == [3, 7, 5, 1]
    assert postings.top(scores, 2) == [3, 7]
    assert postings.top({}, 5) == []
