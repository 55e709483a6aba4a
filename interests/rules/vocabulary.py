"""The fixed words of the register, each explained in plain English for patients.

Sources:
- NHS England, *Managing Conflicts of Interest in the NHS* (2017, revised 2024), sections on
  categories and types of interest.
- Department of Health and Social Care, response to *First Do No Harm*, sections 9.3-9.22.
- CQC provider categories and NHS England's seven regions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    explanation: str


def _index(terms: tuple[Term, ...]) -> dict[str, Term]:
    return {term.code: term for term in terms}


# NHS England CoI guidance: the four categories of interest.
CATEGORIES: tuple[Term, ...] = (
    Term(
        "financial",
        "Financial",
        "The professional gets money or something worth money from it, for example a salary, "
        "fees, shares or a gift.",
    ),
    Term(
        "non_financial_professional",
        "Non-financial professional",
        "It could help their career or reputation without paying them, for example an unpaid "
        "advisory role or a seat on a committee.",
    ),
    Term(
        "non_financial_personal",
        "Non-financial personal",
        "It matters to them personally without paying them, for example being a trustee of a "
        "charity or a member of a campaign group.",
    ),
    Term(
        "indirect",
        "Indirect",
        "The interest belongs to someone close to them - a family member, a close friend or a "
        "business partner - rather than to the professional themselves.",
    ),
)
CATEGORY_BY_CODE = _index(CATEGORIES)

# NHS England CoI guidance: the eleven types of interest.
TYPES: tuple[Term, ...] = (
    Term(
        "gifts",
        "Gifts",
        "Something given to them, such as equipment, vouchers or an item of value. Gifts from "
        "suppliers worth more than £6 must be declined, other gifts worth more than £50 must be "
        "declared, and cash or vouchers are always declined.",
    ),
    Term(
        "hospitality",
        "Hospitality",
        "Meals, drinks, travel or accommodation paid for by someone else. Hospitality under £25 "
        "need not be declared; £25 to £75 is declared; over £75 is refused unless it is "
        "approved and declared.",
    ),
    Term(
        "outside_employment",
        "Outside employment",
        "Paid or unpaid work they do for another organisation, for example consultancy or "
        "advising a company.",
    ),
    Term(
        "shareholdings",
        "Shareholdings and other ownership",
        "Owning shares in, or part of, a company or business that could do business with the "
        "NHS or their employer.",
    ),
    Term(
        "patents",
        "Patents",
        "Owning the rights to an invention, product or process, for example a device or a "
        "treatment they helped to create.",
    ),
    Term(
        "loyalty_interests",
        "Loyalty interests",
        "A close tie to another organisation that could affect their decisions, for example "
        "being a director, trustee or senior member of it.",
    ),
    Term(
        "donations",
        "Donations",
        "Money or goods given to a charity, research fund or their department, often linked to "
        "their work or requested by them.",
    ),
    Term(
        "sponsored_events",
        "Sponsored events",
        "Conferences, courses or meetings paid for in whole or in part by a company.",
    ),
    Term(
        "sponsored_research",
        "Sponsored research",
        "Research funded by a company or other organisation, including clinical trials.",
    ),
    Term(
        "sponsored_posts",
        "Sponsored posts",
        "A job, or part of a job, that is paid for by a company or other outside organisation.",
    ),
    Term(
        "clinical_private_practice",
        "Clinical private practice",
        "Treating patients privately, outside their NHS work. They declare where and when they "
        "do it, but not how much they earn.",
    ),
)
TYPE_BY_CODE = _index(TYPES)

# Types where a value in pounds is asked for (NHS England thresholds apply to these).
TYPES_WITH_VALUE = frozenset({"gifts", "hospitality", "donations", "sponsored_events"})

# Product card: "Engagement" - all five ways a professional works at a provider (First Do No
# Harm response 9.15: locums, bank staff and practising-privilege holders are included).
ENGAGEMENT_TYPES: tuple[Term, ...] = (
    Term("employee", "Employee", "Employed directly by the provider."),
    Term("bank", "Bank staff", "Works shifts for the provider through its staff bank."),
    Term("locum", "Locum or agency", "Works for the provider temporarily, often through an agency."),
    Term(
        "practising_privileges",
        "Practising privileges",
        "Allowed to treat patients at an independent hospital or clinic without being employed by it.",
    ),
    Term("contractor", "Contractor or partner", "A contractor to the provider, or a partner in it."),
)
ENGAGEMENT_TYPE_BY_CODE = _index(ENGAGEMENT_TYPES)

PROVIDER_KINDS: tuple[Term, ...] = (
    Term("nhs_trust", "NHS trust", "An NHS hospital, mental health, community or ambulance trust."),
    Term("gp_practice", "GP practice", "A general practice."),
    Term("independent_hospital", "Independent hospital", "A private hospital."),
    Term("clinic", "Clinic", "An independent clinic or day-surgery centre."),
    Term("dental", "Dental practice", "A dental practice, NHS or private."),
    Term("pharmacy", "Pharmacy", "A community pharmacy."),
    Term("opticians", "Opticians", "An optometry or dispensing optician practice."),
)
PROVIDER_KIND_BY_CODE = _index(PROVIDER_KINDS)

# NHS England's seven regions.
REGIONS: tuple[Term, ...] = (
    Term("east_of_england", "East of England", ""),
    Term("london", "London", ""),
    Term("midlands", "Midlands", ""),
    Term("north_east_and_yorkshire", "North East and Yorkshire", ""),
    Term("north_west", "North West", ""),
    Term("south_east", "South East", ""),
    Term("south_west", "South West", ""),
)
REGION_BY_CODE = _index(REGIONS)

# Product card: "Account" roles.
ROLES: tuple[Term, ...] = (
    Term("professional", "Professional", "Declares their own interests."),
    Term("provider_admin", "Provider admin", "Runs the register of the providers they are given."),
    Term("inspector", "Inspector", "Sees which providers are missing declarations."),
    Term("system_admin", "System admin", "Runs the service."),
)
ROLE_BY_CODE = _index(ROLES)

WITHHOLDING_STATUSES: tuple[Term, ...] = (
    Term("pending", "Waiting for a decision", "The provider has not decided yet. Not published."),
    Term("approved", "Withheld", "The provider agreed to withhold this entry from publication."),
    Term("refused", "Refused", "The provider decided the entry must be published."),
    Term("withdrawn", "Withdrawn", "You withdrew the request, so the entry is published."),
)
WITHDRAWABLE_WITHHOLDING_STATUSES = frozenset({"pending", "approved"})
WITHHOLDING_STATUS_BY_CODE = _index(WITHHOLDING_STATUSES)
