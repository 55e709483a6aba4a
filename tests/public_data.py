"""A small published register for the public-page, API and search tests (built with factories)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from interests.extensions import db
from interests.models import InterestVersion, ProfessionalName, WithholdingRequest
from tests.factories import make_declaration, make_engagement, make_interest, make_professional, make_provider

TODAY = date.today()


@dataclass
class Register:
    provider: int
    provider_slug: str
    other_provider_slug: str
    william: int  # William Davies: two providers, history, an action recorded
    elizabeth: int  # Elizabeth O'Neill: a nil return
    mohammed: int  # Mohammed Smith-Jones: one published, one withheld, one pending
    graham: int  # Graham Hughes: a draft only, never sent
    expired: int  # Aoife Murphy: one interest ended 2 months ago (shown), one 2 years ago (not)
    left: int  # Ciaran Byrne: engagement ended 2 years ago (off the register)


def build_register() -> Register:
    a = make_provider(
        slug="st-elsewhere",
        name="St Elsewhere Hospital NHS Trust",
        contact_name="Pat Lead",
        contact_email="register@st-elsewhere.example.org",
    )
    b = make_provider(slug="riverside-clinic", name="Riverside Clinic", kind="clinic")

    william = make_professional(
        given_name="William", family_name="Davies", title="Dr", registration_number="1234567"
    )
    make_engagement(william, a, role="Consultant urogynaecologist")
    make_engagement(william, b, role="Surgeon", engagement_type="practising_privileges")
    old = make_interest(
        william,
        other_party="Medivance Surgical Ltd",
        description="Advisory board, 2024",
        date_from=TODAY - timedelta(days=700),
    )
    make_declaration(william, a, [old], declared_on=TODAY - timedelta(days=400))
    newer = InterestVersion(
        interest=old.interest,
        version_number=2,
        category="financial",
        interest_type="outside_employment",
        other_party="Medivance Surgical Ltd",
        description="Advisory board chair",
        date_from=TODAY - timedelta(days=700),
    )
    db.session.add(newer)
    gift = make_interest(
        william,
        category="financial",
        interest_type="gifts",
        other_party="Pelvicare Devices",
        description="Textbook",
        value_pence=7500,
    )
    declaration = make_declaration(william, a, [newer, gift], declared_on=TODAY - timedelta(days=10))
    declaration.items[0].management_action = "Not involved in buying Medivance products"
    declaration.items[0].action_recorded_at = datetime.now(UTC)
    make_declaration(william, b, [gift], declared_on=TODAY - timedelta(days=9))

    elizabeth = make_professional(
        given_name="Elizabeth",
        family_name="O'Neill",
        regulator="NMC",
        registration_number="12A3456E",
        profession="Nurse",
    )
    make_engagement(elizabeth, a, role="Ward sister")
    make_declaration(elizabeth, a, None, declared_on=TODAY - timedelta(days=20))

    mohammed = make_professional(
        given_name="Mohammed", family_name="Smith-Jones", registration_number="7654321"
    )
    db.session.add(ProfessionalName(professional=mohammed, name="Mo Smith"))
    make_engagement(mohammed, a, role="Consultant cardiologist")
    shown = make_interest(
        mohammed,
        other_party="Heartwise Research",
        interest_type="sponsored_research",
        description="Trial investigator",
    )
    withheld = make_interest(
        mohammed, other_party="Secret Holdings plc", interest_type="shareholdings", description="Shares"
    )
    pending = make_interest(
        mohammed, other_party="Pending Partners LLP", interest_type="loyalty_interests", description="Trustee"
    )
    make_declaration(mohammed, a, [shown, withheld, pending])
    db.session.add_all(
        [
            WithholdingRequest(
                interest=withheld.interest,
                provider=a,
                reason="Risk of harm",
                status="approved",
                decision_reason="Real risk",
                review_on=TODAY + timedelta(days=365),
            ),
            WithholdingRequest(interest=pending.interest, provider=a, reason="Privacy", status="pending"),
        ]
    )

    graham = make_professional(given_name="Graham", family_name="Hughes")
    make_engagement(graham, a)
    make_interest(graham, other_party="Draft Devices Ltd", description="Never sent")

    expired = make_professional(given_name="Aoife", family_name="Murphy")
    make_engagement(expired, a, role="Registrar")
    recent_end = make_interest(
        expired,
        other_party="Recently Ended Ltd",
        date_from=TODAY - timedelta(days=400),
        date_to=TODAY - timedelta(days=60),
    )
    long_gone = make_interest(
        expired,
        other_party="Long Gone Ltd",
        date_from=TODAY - timedelta(days=1400),
        date_to=TODAY - timedelta(days=730),
    )
    make_declaration(expired, a, [recent_end, long_gone])

    left = make_professional(given_name="Ciaran", family_name="Byrne")
    make_engagement(left, a, start_date=TODAY - timedelta(days=2000), end_date=TODAY - timedelta(days=730))
    make_declaration(left, a, None, declared_on=TODAY - timedelta(days=1000))

    db.session.commit()
    return Register(
        provider=a.id,
        provider_slug=a.slug,
        other_provider_slug=b.slug,
        william=william.id,
        elizabeth=elizabeth.id,
        mohammed=mohammed.id,
        graham=graham.id,
        expired=expired.id,
        left=left.id,
    )


def build_and_index() -> Register:
    from interests.services import search_index

    data = build_register()
    search_index.rebuild()
    return data
