"""Paging through a long list: which page was asked for, and the NHS.UK pagination's links.

Every list pages the same way: `requested_page()` reads `?page=` (ASCII digits only, kept between 1
and a largest page, anything else is page 1), and `pagination(...)` gives the parameters of the
NHS.UK pagination component - "Previous"/"Next" with "Page 2 of 7", or numbered (first, last and two
either side of this one) for the long lists inspectors work through. Templates show it with the one
macro `pager` (templates/macros/pager.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from flask import request, url_for

MAX_PAGE = 100_000  # more pages than any list fills: a bigger number is a typo or a probe


class Paged(Protocol):
    @property
    def page(self) -> int: ...

    @property
    def pages(self) -> int: ...


def requested_page(max_page: int = MAX_PAGE) -> int:
    """The page asked for in `?page=`: 1 unless it is a whole number, then at most `max_page`."""
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,9}", raw):  # ASCII digits only: "²".isdigit() is True
        return 1
    return min(max(int(raw), 1), max_page)


def pagination(
    page: int, pages: int, page_url: Callable[[int], str], *, label: str = "Pages", numbered: bool = False
) -> dict[str, Any] | None:
    """Parameters for the NHS.UK pagination component, or None when everything fits on one page."""
    if pages <= 1:
        return None
    params: dict[str, Any] = {"ariaLabel": label}
    if numbered:
        shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
        items: list[dict[str, Any]] = []
        previous = None
        for number in shown:
            if previous is not None and number > previous + 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": page_url(number), "current": number == page})
            previous = number
        params["items"] = items
    if page > 1:
        params["previous"] = {"href": page_url(page - 1), "labelText": f"Page {page - 1} of {pages}"}
    if page < pages:
        params["next"] = {"href": page_url(page + 1), "labelText": f"Page {page + 1} of {pages}"}
    return params


def pagination_for(
    paged: Paged, endpoint: str, args: Mapping[str, Any] | None = None, *, label: str = "Pages"
) -> dict[str, Any] | None:
    """Previous and next links to `endpoint` with these arguments (for templates)."""
    fixed = {name: value for name, value in (args or {}).items() if value not in (None, "")}
    return pagination(
        paged.page, paged.pages, lambda number: url_for(endpoint, page=number, **fixed), label=label
    )
