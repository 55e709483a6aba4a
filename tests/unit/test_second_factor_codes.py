"""What a typed second-factor code must look like: interests/rules/codes.py, a table of cases."""

from __future__ import annotations

import pytest

from interests.rules.codes import (
    NOT_AUTHENTICATOR_CODE,
    NOT_RECOVERY_CODE,
    authenticator_code_problem,
    recovery_code_key,
    recovery_code_problem,
    shown_in_groups,
)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("123456", None),
        ("012345", None),  # a leading zero is part of the code
        ("123 456", None),
        (" 123456\t", None),
        ("123-456", None),
        ("12345", NOT_AUTHENTICATOR_CODE),
        ("1234567", NOT_AUTHENTICATOR_CODE),
        ("12a456", NOT_AUTHENTICATOR_CODE),
        ("abcdef", NOT_AUTHENTICATOR_CODE),
        ("１２３４５６", NOT_AUTHENTICATOR_CODE),  # full-width digits
        ("12345\n6", NOT_AUTHENTICATOR_CODE),
        ("", NOT_AUTHENTICATOR_CODE),
        (" " * 200 + "123456", NOT_AUTHENTICATOR_CODE),  # too long to read, whatever it holds
    ],
)
def test_authenticator_codes(typed: str, problem: str | None) -> None:
    assert authenticator_code_problem(typed) == problem


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("abcd-efgh-jkmn-pqrs-twxy-2345", None),
        ("ABCD-EFGH-JKMN-PQRS-TWXY-2345", None),
        ("abcd efgh jkmn pqrs twxy 2345", None),
        ("abcdefghjkmnpqrstwxy2345", None),
        ("abcd-efgh-jkmn-pqrs-twxy-234", NOT_RECOVERY_CODE),
        ("abcd-efgh-jkmn-pqrs-twxy-23456", NOT_RECOVERY_CODE),
        ("abcd-efgh-jkmn-pqrs-twxy-2340", NOT_RECOVERY_CODE),  # 0 is never in a code
        ("abcd-efgh-ijkl-pqrs-twxy-2345", NOT_RECOVERY_CODE),  # nor i or l
        ("123456", NOT_RECOVERY_CODE),
        ("", NOT_RECOVERY_CODE),
    ],
)
def test_recovery_codes(typed: str, problem: str | None) -> None:
    assert recovery_code_problem(typed) == problem


def test_a_recovery_code_is_read_the_same_however_it_is_typed() -> None:
    assert recovery_code_key(" ABCD-efgh jkmn-PQRS-twxy-2345 ") == "abcdefghjkmnpqrstwxy2345"


def test_codes_are_shown_in_groups() -> None:
    assert shown_in_groups("abcdefghjkmn", 4, "-") == "abcd-efgh-jkmn"
    assert shown_in_groups("ABCDEF", 4, " ") == "ABCD EF"
