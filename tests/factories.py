"""Test data built through the same models and services the app uses."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from interests.extensions import db
from interests.models import (
    Account,
    Declaration,
    DeclarationItem,
    DisclosureImport,
    Engagement,
    IndustryPayment,
    Interest,
    InterestVersion,
    Professional,
    Provider,
    utcnow,
)
from interests.services import accounts

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_provider(**fields: Any) -> Provider:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "slug": f"provider-{n}",
        "name": f"Test Provider {n}",
        "cqc_provider_id": f"1-{100000000 + n}",
        "kind": "nhs_trust",
        "region": "london",
        "website_url": f"https://provider-{n}.example.org",
        "contact_email": f"register@provider-{n}.example.org",
    }
    defaults.update(fields)
    provider = Provider(**defaults)
    db.session.add(provider)
    db.session.flush()
    return provider


def make_professional(**fields: Any) -> Professional:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "given_name": "Alex",
        "family_name": f"Tester{n}",
        "regulator": "GMC",
        "registration_number": f"{7000000 + n}",
        "profession": "Doctor",
        "specialty": "Urogynaecology",
    }
    defaults.update(fields)
    professional = Professional(**defaults)
    db.session.add(professional)
    db.session.flush()
    return professional


def make_engagement(professional: Professional, provider: Provider, **fields: Any) -> Engagement:
    defaults: dict[str, Any] = {
        "engagement_type": "employee",
        "role": "Consultant",
        "department": "Gynaecology",
        "start_date": date.today() - timedelta(days=400),
        # Confirmed by the professional, as most are; pass confirmed_at=None for one a provider added.
        "confirmed_at": utcnow(),
    }
    defaults.update(fields)
    engagement = Engagement(professional=professional, provider=provider, **defaults)
    db.session.add(engagement)
    db.session.flush()
    return engagement


def make_interest(professional: Professional, **fields: Any) -> InterestVersion:
    defaults: dict[str, Any] = {
        "category": "financial",
        "interest_type": "outside_employment",
        "other_party": "Medivance Surgical Ltd",
        "description": "Paid advisory board member",
        "date_from": date.today() - timedelta(days=100),
    }
    defaults.update(fields)
    interest = Interest(professional=professional)
    version = InterestVersion(interest=interest, version_number=1, **defaults)
    db.session.add_all([interest, version])
    db.session.flush()
    return version


def make_declaration(
    professional: Professional,
    provider: Provider,
    versions: list[InterestVersion] | None = None,
    declared_on: date | None = None,
    **fields: Any,
) -> Declaration:
    n = next(_counter)
    declaration = Declaration(
        reference=f"TEST-{n:06d}",
        professional=professional,
        provider=provider,
        nil_return=not versions,
        declared_on=declared_on or date.today(),
        submission_key=f"test-submission-{n}",
        statement="I declare that these are all my relevant interests.",
        **fields,
    )
    db.session.add(declaration)
    for version in versions or []:
        db.session.add(DeclarationItem(declaration=declaration, interest_version=version))
    db.session.flush()
    return declaration


def make_account(role: str, email: str | None = None, **fields: Any) -> Account:
    n = next(_counter)
    if role == "professional" and "professional" not in fields:
        fields["professional"] = make_professional()
    if role == "provider_admin" and "providers" not in fields:
        fields["providers"] = [make_provider()]
    account = accounts.create_account(
        email=email or f"{role.replace('_', '-')}-{n}@example.org", password=PASSWORD, role=role, **fields
    )
    db.session.flush()
    return account


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str | None = None) -> Any:
    data = {"email": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/sign-in", data=data)


# --- Provider admin area (issue 5) ------------------------------------------------------------


def make_withholding_request(version: InterestVersion, provider: Provider, **fields: Any) -> Any:
    from interests.models import WithholdingRequest

    defaults: dict[str, Any] = {"reason": "A real risk of harm to my family", "status": "pending"}
    defaults.update(fields)
    request = WithholdingRequest(interest=version.interest, provider=provider, **defaults)
    db.session.add(request)
    db.session.flush()
    return request


def make_patient_question(provider: Provider, **fields: Any) -> Any:
    from interests.models import PatientQuestion

    defaults: dict[str, Any] = {
        "question": "Does my surgeon have links to the maker of my implant?",
        "name": "Pat Patient",
        "email": "pat@example.org",
    }
    defaults.update(fields)
    question = PatientQuestion(provider=provider, **defaults)
    db.session.add(question)
    db.session.flush()
    return question


_payment_lines = itertools.count(1)


def make_disclosure_import(year: int, imported_at: datetime | None = None) -> DisclosureImport:
    """A year of Disclosure UK as imported (its payments are added with `make_payment`)."""
    disclosure = DisclosureImport(
        year=year,
        filename=f"{year}.csv",
        file_sha256="0" * 64,
        file_format="UTF-8",
        imported_at=imported_at or utcnow(),
    )
    db.session.add(disclosure)
    db.session.flush()
    return disclosure


def make_payment(
    disclosure: DisclosureImport,
    professional: Professional | None,
    *,
    match: str = "certain",
    declared: bool | None = False,
    confirmed: bool = False,
    company: str = "Medivance Surgical Ltd",
) -> IndustryPayment:
    """One reported payment of £100 in fees, matched to `professional` (None: to nobody), with the
    kept answer to whether it was declared."""
    payment = IndustryPayment(
        disclosure_import_id=disclosure.id,
        year=disclosure.year,
        line=next(_payment_lines),
        full_name=professional.display_name if professional else "Someone Else",
        city="Leeds",
        company=company,
        company_key=company.lower(),
        fees_pence=10_000,
        total_pence=10_000,
        professional_id=professional.id if professional else None,
        match=match,
        confirmed_at=utcnow() if confirmed else None,
        declared=declared if professional else None,
    )
    db.session.add(payment)
    db.session.flush()
    return payment
