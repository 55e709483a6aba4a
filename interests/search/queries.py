"""What a query asks for, and how much each way of matching counts, whichever engine answers it.

A query is either a registration number ("GMC 1234567") or names, of a professional or of an
organisation (a provider or a company). Names are matched in tiers: the exact word and its listed
equivalents first; then one typing mistake and sound-alikes, only when those do not fill the page;
then two typing mistakes, only when nothing was found.
"""

from __future__ import annotations

import re

from interests.rules.regulators import REGULATORS

ORG_WORDS_IGNORED = frozenset({"the", "and", "of", "for", "at", "in"})
# How many providers and companies a query may resolve to before professionals are fetched.
MAX_ORG_MATCHES = 20

_REGULATOR_CODES = sorted((r.code.upper() for r in REGULATORS), key=len, reverse=True)


def registration_number(query: str) -> str | None:
    """The registration number in a query ("GMC 1234567", "1234567", "nmc 12a3456e"), or None."""
    compact = re.sub(r"[\s\-]", "", query.upper())
    if not re.fullmatch(r"[A-Z0-9]{4,16}", compact) or sum(ch.isdigit() for ch in compact) < 3:
        return None
    for code in _REGULATOR_CODES:
        if compact.startswith(code) and len(compact) > len(code):
            return compact[len(code) :]
    return compact


# A query word already on this many professionals' names is taken as spelt as meant: its fuzzy
# and swapped forms are not added (they cost most of the time of a common-name search, and a
# typo rarely makes another common name; its sound-alike code and equivalents are still used).
COMMON_WORD_DOCUMENTS = 20

# How much each way of matching a query word counts (summed, like Whoosh's Or): the exact word
# first, then a listed equivalent (Bill/William, Mac/Mc), one typing mistake, a sound-alike.
W_EXACT = 4.0
W_EQUIVALENT = 3.0
W_TYPO = 2.0
W_SOUND = 1.0
W_ORG = 0.5
