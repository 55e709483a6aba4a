"""What a second-factor code typed by a person must look like (OWASP ASVS 5.0 V6.5, V6.6).

Plain Python: no Flask, no database. Spaces and hyphens between groups are ignored, as people type
them and apps show them; anything else that is not a code is refused with what is wrong, in plain
English, before it reaches the database.
"""

from __future__ import annotations

DIGITS = 6  # an authenticator app's code (RFC 6238's default, and what every app shows)
# Recovery codes: 24 characters from 29 that are hard to mistake for one another (no 0/o, 1/l/i,
# u/v): 116 bits of entropy each, enough for a plain SHA-256 hash to keep them (ASVS V6.5.2: 112).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstwxyz23456789"
RECOVERY_CODE_LENGTH = 24
RECOVERY_GROUP = 4  # shown as six groups of four, separated by hyphens
LONGEST_CODE_TYPED = 100  # characters; anything longer is refused unread

NOT_AUTHENTICATOR_CODE = "Enter the 6 numbers shown in your authenticator app, like 123456"
NOT_RECOVERY_CODE = (
    "Enter a recovery code as it was shown to you: 24 letters and numbers, like abcd-efgh-jkmn-pqrs-twxy-2345"
)


def squeezed(typed: str) -> str:
    """What was typed without the spaces and hyphens between groups."""
    return "".join(ch for ch in typed.strip() if ch not in " -\t")


def authenticator_code_problem(typed: str) -> str | None:
    """Why `typed` cannot be a code from an authenticator app, or None if it has the right form."""
    code = squeezed(typed)
    if len(typed) > LONGEST_CODE_TYPED or len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return NOT_AUTHENTICATOR_CODE
    return None


def recovery_code_problem(typed: str) -> str | None:
    """Why `typed` cannot be a recovery code, or None if it has the right form."""
    code = squeezed(typed).lower()
    if (
        len(typed) > LONGEST_CODE_TYPED
        or len(code) != RECOVERY_CODE_LENGTH
        or any(ch not in RECOVERY_ALPHABET for ch in code)
    ):
        return NOT_RECOVERY_CODE
    return None


def recovery_code_key(typed: str) -> str:
    """The form of a recovery code that is hashed: lower case, no separators."""
    return squeezed(typed).lower()


def shown_in_groups(code: str, size: int, separator: str) -> str:
    return separator.join(code[i : i + size] for i in range(0, len(code), size))
