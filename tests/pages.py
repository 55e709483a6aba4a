"""Reading a page in a test: the parsed HTML, its words, its error summary and its banners.

One set for every page test (as notifications-admin's `client_request` gives its tests a parsed
page): words are compared with their whitespace normalised, as a reader sees them.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup


def soup(response: Any) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(node: Any) -> str:
    """A node's words with their whitespace normalised ("" for no node)."""
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def error_summary(response: Any) -> list[str]:
    """The messages in the page's NHS.UK error summary, in order ([] when there is none)."""
    return [text(li) for li in soup(response).select(".nhsuk-error-summary__list li")]


def banners(response: Any) -> list[str]:
    """The words of each notification banner on the page."""
    return [text(b) for b in soup(response).select(".nhsuk-notification-banner__content")]
