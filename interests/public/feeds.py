"""Atom feeds of the register's changes (services.register.changes), with ETag and Last-Modified.

Every link is on BASE_URL (``absolute_url``), never the request's Host. Entry content is plain
text (``type="text"``), escaped by the XML writer: hostile text in an interest stays text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Response, current_app, request

from interests.services.outbox import absolute_url
from interests.services.register import Change

ATOM = "application/atom+xml"
# A feed with nothing in it yet still needs an <updated>: a fixed moment keeps its ETag stable.
EMPTY_FEED_UPDATED = datetime(2020, 1, 1, tzinfo=UTC)
AUTHOR = "Register of declared interests"


def entry_id(key: str) -> str:
    """A stable tag: URI (RFC 4151) on the service's own host name."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},2026:{key}"


def atom_response(
    *, title: str, subtitle: str, self_url: str, html_url: str, changes: Sequence[Change]
) -> Response:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.subtitle(subtitle)
    fg.author({"name": AUTHOR})
    fg.link(href=self_url, rel="self", type=ATOM)
    fg.link(href=html_url, rel="alternate", type="text/html")
    fg.language("en-GB")
    fg.generator("interests")
    updated = max((c.at for c in changes), default=None)
    fg.updated(updated or EMPTY_FEED_UPDATED)
    for change in changes:
        entry = fg.add_entry(order="append")
        entry.id(entry_id(change.key))
        entry.title(change.title)
        entry.updated(change.at)
        entry.published(change.at)
        entry.link(
            href=absolute_url("public.professional", professional_id=change.professional_id),
            rel="alternate",
            type="text/html",
        )
        entry.category(term=change.kind)
        entry.content(change.text, type="text")
    body = fg.atom_str(pretty=True)
    response = Response(body, mimetype=ATOM)
    # The same tag as every public page's (security._cache_headers, which also sets Cache-Control
    # and answers again after this): a hash of the body. A feed adds Last-Modified.
    response.set_etag(hashlib.sha256(body).hexdigest()[:32], weak=True)
    if updated is not None:
        response.last_modified = updated
    # 304 when If-None-Match matches (or, without it, If-Modified-Since is not earlier).
    response.make_conditional(request)
    return response
