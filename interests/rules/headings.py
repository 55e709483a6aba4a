"""Reading a file's heading line: the same words however a spreadsheet spells them.

Shared by the staff-list import and the Disclosure UK (industry payments) import, so a heading
like "Registration number", "registration_number" or "REGISTRATION-NUMBER" means one thing in
both, and "Travel & Accommodation:" means "travel and accommodation".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def heading_key(text: str) -> str:
    """A heading as lower-case words: byte order mark, case, "&", punctuation and spacing ignored."""
    text = text.replace("\ufeff", "").replace("&", " and ").lower()
    return _NOT_WORD.sub(" ", text).strip()


@dataclass
class Headings:
    """Which column holds each known key, which keys appear twice, and what was not understood."""

    positions: dict[str, int] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


def match_headings(header: Sequence[str], key_by_heading: Mapping[str, str]) -> Headings:
    """Match a heading line against known headings (already passed through `heading_key`).

    A blank heading is neither understood nor listed as not understood: spreadsheets often have
    empty columns at the edge.
    """
    found = Headings()
    for index, heading in enumerate(header):
        key = key_by_heading.get(heading_key(heading))
        if key is None:
            if heading_key(heading):
                found.not_understood.append(heading.replace("\ufeff", "").strip())
            continue
        if key in found.positions and key not in found.repeated:
            found.repeated.append(key)
        found.positions[key] = index
    return found
