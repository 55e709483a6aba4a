"""The one pager (interests/pagination.py): which page was asked for, and the links shown."""

from __future__ import annotations

import pytest
from flask import Flask

from interests.pagination import MAX_PAGE, pagination, requested_page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 1),
        ("?page=3", 3),
        ("?page=0", 1),
        ("?page=-3", 1),
        ("?page=abc", 1),
        ("?page=%C2%B2", 1),  # "²" is a digit to str.isdigit(), not a page number
        ("?page=3.5", 1),
        ("?page=99999999999", 1),  # more digits than any page number: a probe
        (f"?page={MAX_PAGE + 1}", MAX_PAGE),
    ],
)
def test_the_page_asked_for(app: Flask, query: str, expected: int) -> None:
    with app.test_request_context("/anything" + query):
        assert requested_page() == expected


def test_a_smaller_largest_page_is_kept(app: Flask) -> None:
    with app.test_request_context("/anything?page=20000"):
        assert requested_page(10_000) == 10_000


def url(number: int) -> str:
    return f"/list?page={number}"


def test_one_page_needs_no_pager() -> None:
    assert pagination(1, 1, url) is None


def test_previous_and_next_say_which_page_they_lead_to() -> None:
    params = pagination(2, 3, url)
    assert params == {
        "ariaLabel": "Pages",
        "previous": {"href": "/list?page=1", "labelText": "Page 1 of 3"},
        "next": {"href": "/list?page=3", "labelText": "Page 3 of 3"},
    }
    assert "previous" not in pagination(1, 3, url)  # type: ignore[operator]
    assert "next" not in pagination(3, 3, url)  # type: ignore[operator]


def test_numbered_pages_show_first_last_and_two_either_side() -> None:
    params = pagination(10, 20, url, label="Pages of providers", numbered=True)
    assert params is not None and params["ariaLabel"] == "Pages of providers"
    shown = [item.get("number", "…") for item in params["items"]]
    assert shown == [1, "…", 8, 9, 10, 11, 12, "…", 20]
    assert [item["number"] for item in params["items"] if item.get("current")] == [10]
