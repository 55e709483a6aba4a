"""The one password policy: OWASP ASVS 5.0 V6.2 (password security).

- V6.2.1: at least 12 characters (NCSC agrees); V6.2.9: at least 64 allowed - we allow 1,000
  and never truncate what is hashed.
- V6.2.4 / V6.2.11: refuse passwords that are common or contain the user's own details (their
  name, their email address). We ask zxcvbn, which knows common passwords, names, words,
  keyboard patterns, repeats, sequences and dates, and refuse a score below 3 ("safely
  unguessable: moderate protection from offline attacks", zxcvbn's own scale of 0 to 4).
- V6.2.5 / V6.2.6: no composition rules (no "one capital, one digit") and no hints.

Plain Python: no Flask, no database. `password_problem` returns what is wrong in plain English,
or None for a password that may be used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12  # characters; NCSC and OWASP ASVS 5.0 V6.2.1
MAX_PASSWORD_LENGTH = 1000  # characters; ASVS 5.0 V6.2.9 asks for at least 64
MIN_ZXCVBN_SCORE = 3  # zxcvbn's 0-4 scale; 3 = "safely unguessable" (ASVS 5.0 V6.2.4, V6.2.11)
# zxcvbn 4.5 refuses to look at more than 72 characters (its matching grows quickly with length).
# A longer password is judged by its first 72: a strong start is plenty, a weak one is refused.
ZXCVBN_MAX_LENGTH = 72
# Parts of a name or email address shorter than this match too much by chance to be useful.
MIN_PERSONAL_PART = 3

TOO_EASY = "This password is too easy to guess"

# zxcvbn's warnings, said the register's way (the NHS style: plain, no exclamation, no "you've").
_WARNINGS = {
    "Straight rows of keys are easy to guess.": "it is a straight row of keys on a keyboard",
    "Short keyboard patterns are easy to guess.": "it is a keyboard pattern",
    'Repeats like "aaa" are easy to guess.': "it repeats the same characters",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "it repeats the same characters"
    ),
    "Sequences like abc or 6543 are easy to guess.": "it contains a sequence like abc or 6543",
    'Sequences like "abc" or "6543" are easy to guess.': "it contains a sequence like abc or 6543",
    "Recent years are easy to guess.": "it contains a recent year",
    "Dates are often easy to guess.": "it contains a date",
    "This is a top-10 common password.": "it is a common password",
    "This is a top-100 common password.": "it is a common password",
    "This is a very common password.": "it is a common password",
    "This is similar to a commonly used password.": "it is too like a common password",
    "A word by itself is easy to guess.": "it is a single word",
    "Names and surnames by themselves are easy to guess.": "it is a name",
    "Common names and surnames are easy to guess.": "it contains a common name",
}
ADVICE = "Use 3 or 4 words that are not connected, or a longer password"


def personal_parts(*values: str | None) -> list[str]:
    """A person's details as zxcvbn's user_inputs: each value whole, an email's local part, and their words.

    ("kim.o-neil@nhs.net" gives kim.o-neil@nhs.net, kim.o-neil, kim, neil, nhs, net.)
    """
    parts: list[str] = []

    def add(part: str) -> None:
        if len(part) >= MIN_PERSONAL_PART and part not in parts:
            parts.append(part)

    for value in values:
        value = (value or "").strip().lower()
        add(value)
        add(value.split("@", 1)[0] if "@" in value else "")
        for part in re.split(r"[^\w]+|_", value):
            add(part)
    return parts


def password_problem(password: str, personal: Iterable[str] = ()) -> str | None:
    """What is wrong with this password as a new password, or None when it may be used.

    `personal` is the person's own details (their name, their email address), split into words
    by `personal_parts`: a password made of them is refused.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "Password must be 1,000 characters or fewer"
    inputs = list(personal)
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=inputs, max_length=ZXCVBN_MAX_LENGTH)
    sequence = result.get("sequence") or []
    # zxcvbn may score two of a person's own words with a dot between them as strong; it is not.
    only_personal = bool(sequence) and all(
        match.get("dictionary_name") == "user_inputs" or not any(ch.isalnum() for ch in match["token"])
        for match in sequence
    )
    if result["score"] >= MIN_ZXCVBN_SCORE and not only_personal:
        return None
    if any(match.get("dictionary_name") == "user_inputs" for match in sequence):
        why = "it contains your name or email address"
    elif any(match.get("dictionary_name") == "passwords" for match in sequence):
        why = "it is a common password"
    else:
        why = _WARNINGS.get(result["feedback"].get("warning") or "", "")
    return f"{TOO_EASY}: {why}. {ADVICE}" if why else f"{TOO_EASY}. {ADVICE}"
