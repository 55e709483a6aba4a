"""Provider slugs that would clash with one of the service's own pages.

A provider's slug is one segment of its addresses (/manage/<slug>, /providers/<slug>/print,
/inspect/providers/<slug>), so a slug equal to a fixed segment there would hide a page. This is
the web app's knowledge (its URL map), so it lives here and not in the models: a listener checks
every provider written while an app is running, whichever code path wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.routing import Map

from interests.models import InvalidRecord, Provider

# Under these, a slug is the segment after the prefix.
SLUG_PATH_PREFIXES = ("manage", "providers", "inspect")


def reserved_slugs(url_map: Map) -> frozenset[str]:
    """Every fixed path segment the app uses under /manage/, /providers/ and /inspect/, and
    every fixed segment standing where another address has a slug.

    Read from the URL map, so a fixed route added later (say /manage/settings) is reserved
    without anyone remembering to list it. Segments with a variable part (`<slug>.csv`) are not
    fixed; lower case, because a slug differing only in case would be as confusing.
    """
    paths = [rule.rule.strip("/").split("/") for rule in url_map.iter_rules()]
    reserved: set[str] = set()
    for segments in paths:
        if segments[0] in SLUG_PATH_PREFIXES:
            reserved.update(segment.lower() for segment in segments[1:] if segment and "<" not in segment)
    # Wherever else a slug is a segment (/api/v1/providers/<slug>/register), the fixed words
    # beside it (a future /api/v1/providers/search) too.
    for segments in paths:
        for position, segment in enumerate(segments):
            if re.fullmatch(r"<(?:[^:>]+:)?slug>", segment):
                reserved.update(
                    other[position].lower()
                    for other in paths
                    if len(other) > position
                    and other[:position] == segments[:position]
                    and other[position]
                    and "<" not in other[position]
                )
    return frozenset(reserved)


@event.listens_for(Session, "before_flush")
def _refuse_reserved_slugs(session: Session, flush_context: Any, instances: Any) -> None:
    if not has_app_context():
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Provider) and obj.slug and obj.slug.lower() in reserved_slugs(current_app.url_map):
            raise InvalidRecord(
                f'A provider\'s web address name cannot be "{obj.slug}": the service uses that word '
                "for one of its own pages. Choose another name, for example one with the provider's "
                "place in it"
            )
