"""interests.rules.payments: the matcher's decision and the reconcile rule, as tables of cases."""

from __future__ import annotations

from datetime import date

import pytest

from interests.rules.payments import (
    AMBIGUOUS,
    CERTAIN,
    NOBODY,
    POSSIBLE,
    PROBABLE,
    SAME_NAME,
    VARIANT_NAME,
    Candidate,
    DeclaredInterest,
    decide_match,
    reconcile,
)

OKAFOR = Candidate(1, SAME_NAME, True, "Dr Amira Okafor (GMC 1234567)")
OKAFOR_ELSEWHERE = Candidate(1, SAME_NAME, False, "Dr Amira Okafor (GMC 1234567)")
OTHER_OKAFOR_HERE = Candidate(2, SAME_NAME, True, "Amira Okafor (NMC 12A3456E)")
OTHER_OKAFOR_ELSEWHERE = Candidate(2, SAME_NAME, False, "Amira Okafor (NMC 12A3456E)")
BILL = Candidate(3, VARIANT_NAME, True, "William Hughes (GMC 7654321)")
BILLY = Candidate(4, VARIANT_NAME, True, "Billy Hewes (GMC 7654322)")
BILL_ELSEWHERE = Candidate(3, VARIANT_NAME, False, "William Hughes (GMC 7654321)")


@pytest.mark.parametrize(
    ("case", "identifier", "by_number", "by_name", "outcome", "who", "reason"),
    [
        ("number held by one", "GMC 1234567", [OKAFOR], [], CERTAIN, 1, "Registration number GMC 1234567"),
        # The number wins even when namesakes share the city.
        (
            "number beats namesakes",
            "1234567",
            [OKAFOR],
            [OKAFOR, OTHER_OKAFOR_HERE],
            CERTAIN,
            1,
            "is Dr Amira",
        ),
        ("same name in the city", "", [], [OKAFOR], PROBABLE, 1, "same name, works in Leeds"),
        ("one of two namesakes in the city", "", [], [OKAFOR, OTHER_OKAFOR_ELSEWHERE], PROBABLE, 1, "Leeds"),
        ("namesakes both in the city", "", [], [OKAFOR, OTHER_OKAFOR_HERE], AMBIGUOUS, None, "2 people fit"),
        (
            "namesakes both elsewhere",
            "",
            [],
            [OKAFOR_ELSEWHERE, OTHER_OKAFOR_ELSEWHERE],
            AMBIGUOUS,
            None,
            "2",
        ),
        ("variant name in the city", "", [], [BILL], POSSIBLE, 3, "a variant of the name"),
        ("two variants in the city", "", [], [BILL, BILLY], AMBIGUOUS, None, "not guessed"),
        (
            "same name, nobody else, elsewhere",
            "",
            [],
            [OKAFOR_ELSEWHERE],
            POSSIBLE,
            1,
            "no provider of theirs",
        ),
        ("same name beats a variant", "", [], [BILL, OKAFOR], PROBABLE, 1, "same name"),
        ("only a variant, elsewhere", "", [], [BILL_ELSEWHERE], NOBODY, None, "Only variants"),
        ("nobody", "", [], [], NOBODY, None, "Nobody on the register has this name"),
        ("unknown number, then name", "GMC 9999999", [], [OKAFOR], PROBABLE, 1, "Nobody on the register has"),
        ("unknown number, nobody", "GMC 9999999", [], [], NOBODY, None, "registration number GMC 9999999"),
        (
            "number fits two registers",
            "2012345",
            [OKAFOR, OTHER_OKAFOR_HERE],
            [OKAFOR],
            PROBABLE,
            1,
            "held by 2 people",
        ),
    ],
)
def test_the_matcher_decides_certain_probable_possible_or_not_at_all(
    case: str,
    identifier: str,
    by_number: list[Candidate],
    by_name: list[Candidate],
    outcome: str,
    who: int | None,
    reason: str,
) -> None:
    match = decide_match(identifier=identifier, by_number=by_number, by_name=by_name, city="Leeds")
    assert (match.outcome, match.professional_id) == (outcome, who), case
    assert reason in match.reason, match.reason
    assert match.matched is (who is not None)


PFIZER = "pfizer"
CONSULTANCY_2024 = DeclaredInterest(PFIZER, "outside_employment", date(2024, 3, 1), date(2024, 3, 1))
EVENT_2024 = DeclaredInterest(PFIZER, "sponsored_events", date(2024, 6, 10), date(2024, 6, 12))
HOSPITALITY_OPEN = DeclaredInterest(PFIZER, "hospitality", date(2022, 1, 1), None)
CONSULTANCY_2023 = DeclaredInterest(PFIZER, "outside_employment", date(2023, 1, 1), date(2023, 12, 31))
OTHER_COMPANY = DeclaredInterest("novartis", "outside_employment", date(2024, 1, 1), None)
GIFT_2024 = DeclaredInterest(PFIZER, "gifts", date(2024, 1, 1), None)
FEES = {"fees": 150000}
TRAVEL = {"travel": 30000}
BOTH = {"fees": 150000, "travel": 30000}


@pytest.mark.parametrize(
    ("case", "amounts", "interests", "declared", "reason"),
    [
        (
            "consultancy declared",
            FEES,
            [CONSULTANCY_2024],
            True,
            "Covered by an interest with this company in 2024",
        ),
        (
            "travel as a sponsored event",
            TRAVEL,
            [EVENT_2024],
            True,
            "Covered by an interest with this company in 2024",
        ),
        (
            "travel as hospitality running since 2022",
            TRAVEL,
            [HOSPITALITY_OPEN],
            True,
            "Covered by an interest with this company in 2024",
        ),
        ("nothing declared", FEES, [], False, "No interest with this company for 2024"),
        ("declared in another year", FEES, [CONSULTANCY_2023], False, "No interest"),
        ("declared with another company", FEES, [OTHER_COMPANY], False, "No interest"),
        ("a type that does not cover fees", FEES, [GIFT_2024], False, "fees for service and consultancy"),
        (
            "fees covered, travel not",
            BOTH,
            [CONSULTANCY_2024],
            False,
            "Part declared; not covered: travel and accommodation",
        ),
        (
            "both parts covered",
            BOTH,
            [CONSULTANCY_2024, EVENT_2024],
            True,
            "Covered by an interest with this company in 2024",
        ),
        ("a small hospitality does not cover big fees", FEES, [HOSPITALITY_OPEN], False, "fees for service"),
    ],
)
def test_a_payment_is_declared_only_when_each_part_has_a_matching_interest_that_year(
    case: str, amounts: dict[str, int], interests: list[DeclaredInterest], declared: bool, reason: str
) -> None:
    found = reconcile(company_key=PFIZER, year=2024, amounts=amounts, interests=interests)
    assert found.declared is declared, case
    assert reason in found.reason, found.reason
