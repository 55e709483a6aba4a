"""Characters that text typed into the service may not hold.

Control characters (a NUL above all: PostgreSQL refuses it in text, so it would be a server error)
and the invisible characters that change how text is displayed without being seen (bidirectional
overrides and isolates can make "evil.com" look like "moc.live"; Unicode TR36).
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# C0 and C1 controls and DEL: what can forge a line in a log or end a string in a database.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def control_character_in(text: str, *, multiline: bool) -> str | None:
    """The first character that is not allowed in text shown to people, or None."""
    # Almost all text is printable throughout: str.isprintable() says so in C, while the loop below
    # asks unicodedata about each character (38 ms for a megabyte). Printable text holds no control
    # (Cc), surrogate (Cs), private-use (Co), unassigned (Cn) or format (Cf) character, and so none
    # of the invisible controls: nothing to find.
    if (text.replace("\n", "").replace("\t", "") if multiline else text).isprintable():
        return None
    allowed = {"\n", "\t"} if multiline else set()
    for char in text:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or char in _INVISIBLE_CONTROLS:
            return char
    return None


def without_controls(text: str) -> str:
    """The text with each control character (line breaks and NUL included) shown as U+FFFD."""
    return _CONTROLS.sub("\ufffd", text)
