"""A provider's decisions on requests to withhold an entry from its public register.

NHS England CoI guidance: an entry may be withheld only for an overriding privacy interest or a
legal requirement; the decision has a reason, a decision-maker, a date and a review date. An
approved entry leaves every public output at once (the search index is updated after the
commit); a refused one is published.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import (
    Account,
    Engagement,
    Interest,
    InvalidRecord,
    Provider,
    WithholdingRequest,
    utcnow,
)
from interests.services import audit, search_index
from interests.services.outbox import absolute_url, send_email
from interests.services.paging import Page, page_of


def requests_page(provider: Provider, page: int, per_page: int) -> Page:
    """Pending requests first (oldest first: they wait longest), then decided ones, newest first."""
    base = select(WithholdingRequest).where(WithholdingRequest.provider_id == provider.id)
    pending_first = case((WithholdingRequest.status == "pending", 0), else_=1)
    return page_of(
        base.options(
            selectinload(WithholdingRequest.interest).selectinload(Interest.versions),
            selectinload(WithholdingRequest.interest).selectinload(Interest.professional),
        ).order_by(pending_first, WithholdingRequest.requested_at.desc(), WithholdingRequest.id.desc()),
        page,
        per_page,
    )


def pending_count(provider: Provider) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                WithholdingRequest.provider_id == provider.id, WithholdingRequest.status == "pending"
            )
        )
        or 0
    )


def request_at(provider: Provider, request_id: int) -> WithholdingRequest | None:
    return db.session.scalar(
        select(WithholdingRequest).where(
            WithholdingRequest.id == request_id, WithholdingRequest.provider_id == provider.id
        )
    )


def decide(
    request: WithholdingRequest,
    *,
    approve: bool,
    reason: str,
    review_on: date | None,
    actor: Account,
    today: date,
) -> None:
    """Approve (with a review date) or refuse a pending request, in the caller's transaction."""
    if request.status != "pending":
        raise InvalidRecord("This request has already been decided")
    if not reason.strip():
        raise InvalidRecord("Enter the reason for your decision")
    if approve and (review_on is None or review_on <= today):
        raise InvalidRecord("The review date must be in the future")
    now = utcnow()
    request.status = "approved" if approve else "refused"
    request.decision_reason = reason
    request.review_on = review_on if approve else None
    request.decided_at = now
    request.decided_by_account_id = actor.id
    request.provider.register_updated_at = now
    professional = request.interest.professional
    audit.record(
        f"withholding.{request.status}",
        request,
        actor=actor,
        provider_id=request.provider_id,
        professional_id=professional.id,
        summary=(
            f"{'Approved' if approve else 'Refused'} a request to withhold an interest of "
            f"{professional.full_name} from the register"
        ),
        data={
            "interest_id": request.interest_id,
            "reason": reason,
            "review_on": review_on.isoformat() if approve and review_on else None,
        },
    )
    search_index.schedule(professional_id=professional.id)
    own = _professional_email(professional.id)
    address = own or _recorded_email(professional.id, request.provider_id)
    if address:
        outcome = (
            "approved: the entry is not published on its register. "
            f"It will be reviewed by {review_on.day} {review_on:%B %Y}."
            if approve and review_on
            else "refused: the entry is now published on its register."
        )
        send_email(
            kind="withholding_decision",
            to=address,
            subject=f"{request.provider.name} has decided your request to withhold an entry",
            body=(
                f"Dear {professional.full_name},\n\n{request.provider.name} has {outcome}\n\n"
                f"Their reason: {reason}\n\nSee your interests: {absolute_url('declare.home')}\n"
            ),
            # The account's own address is not the provider's to see (in its outbox).
            provider_id=None if own else request.provider_id,
            professional_id=professional.id,
        )


def _professional_email(professional_id: int) -> str | None:
    return db.session.scalar(select(Account.email).where(Account.professional_id == professional_id))


def _recorded_email(professional_id: int, provider_id: int) -> str | None:
    """The address this provider recorded (never another provider's)."""
    return db.session.scalar(
        select(Engagement.email)
        .where(
            Engagement.professional_id == professional_id,
            Engagement.provider_id == provider_id,
            Engagement.email.is_not(None),
        )
        .order_by(Engagement.start_date.desc(), Engagement.id.desc())
        .limit(1)
    )
