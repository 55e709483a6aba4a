"""The password policy (OWASP ASVS 5.0 V6.2): long enough, not too long, hard to guess, not your name."""

from __future__ import annotations

import pytest

from interests.rules.passwords import TOO_EASY, password_problem, personal_parts

ROSA = personal_parts("Rosalind Featherstonehaugh", "rosalind.featherstonehaugh@kestrel.nhs.uk")


@pytest.mark.parametrize(
    ("password", "personal", "problem_starts"),
    [
        ("", (), "Password must be 12 characters or more"),
        ("eleven char", (), "Password must be 12 characters or more"),
        ("x" * 1001, (), "Password must be 1,000 characters or fewer"),
        ("password12345", (), f"{TOO_EASY}: it is a common password"),
        ("Password123456", (), f"{TOO_EASY}: it is a common password"),
        ("qwertyuiopasdf", (), f"{TOO_EASY}: it is a common password"),
        ("aaaaaaaaaaaaaaaa", (), f"{TOO_EASY}: it repeats the same characters"),
        ("abcdefghijklmnop", (), f"{TOO_EASY}: it contains a sequence like abc or 6543"),
        ("featherstonehaugh1", ROSA, f"{TOO_EASY}: it contains your name or email address"),
        ("kestrelfeatherstonehaugh", ROSA, f"{TOO_EASY}: it contains your name or email address"),
        ("rosalind.featherstonehaugh", ROSA, f"{TOO_EASY}: it contains your name or email address"),
        ("Rosalind Featherstonehaugh", ROSA, f"{TOO_EASY}: it contains your name or email address"),
        # A long password is judged by its first 72 characters (zxcvbn's limit): a weak start is refused.
        ("a" * 200, (), f"{TOO_EASY}: it repeats the same characters"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(
    password: str, personal: tuple[str, ...], problem_starts: str
) -> None:
    problem = password_problem(password, personal)
    assert problem is not None
    assert problem.startswith(problem_starts)


@pytest.mark.parametrize(
    ("password", "personal"),
    [
        ("correct horse battery staple", ()),
        ("correct horse battery staple", ROSA),
        ("marble teapot violin glacier", ROSA),
        ("twelve chars", ()),  # exactly 12, and not a common phrase
        ("x9!Kq" * 200, ()),  # exactly 1,000
        ("Featherstonehaugh", ()),  # somebody else's name is just a rare word
    ],
)
def test_a_strong_password_is_accepted(password: str, personal: tuple[str, ...]) -> None:
    assert password_problem(password, personal) is None


def test_the_reason_says_what_to_do_instead() -> None:
    problem = password_problem("password12345")
    assert problem is not None and problem.endswith(
        "Use 3 or 4 words that are not connected, or a longer password"
    )


@pytest.mark.parametrize(
    ("values", "parts"),
    [
        (
            ("Kim O'Neil", "kim.o-neil@nhs.net"),
            ["kim o'neil", "kim", "neil", "kim.o-neil@nhs.net", "kim.o-neil", "nhs", "net"],
        ),
        (
            (None, "Dr_Jo_Bloggs@example.org"),
            ["dr_jo_bloggs@example.org", "dr_jo_bloggs", "bloggs", "example", "org"],
        ),
        (("Rosa Lind", None), ["rosa lind", "rosa", "lind"]),
    ],
)
def test_personal_parts_are_the_words_of_a_name_and_address(
    values: tuple[str | None, ...], parts: list[str]
) -> None:
    assert personal_parts(*values) == parts
