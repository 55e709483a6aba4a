"""Adding, changing and ending interests, and asking a provider to withhold one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from interests.extensions import db
from interests.models import (
    Account,
    Interest,
    InterestVersion,
    Professional,
    Provider,
    WithholdingRequest,
    utcnow,
)
from interests.rules.vocabulary import WITHDRAWABLE_WITHHOLDING_STATUSES
from interests.services import audit, search_index
from interests.services.declaring.common import DeclarationProblem, InterestDetails, _summary
from interests.services.declaring.preview import _withheld_pairs
from interests.services.declaring.reading import workplaces

# --- Writing interests ------------------------------------------------------------------------


def add_interest(professional: Professional, details: InterestDetails, *, actor: Account) -> Interest:
    details = details.normalised()
    interest = Interest(professional=professional)
    version = InterestVersion(
        interest=interest, version_number=1, created_by_account_id=actor.id, **vars(details)
    )
    db.session.add_all([interest, version])
    db.session.flush()
    audit.record(
        "interest.added",
        interest,
        actor=actor,
        professional_id=professional.id,
        summary=f"Added an interest ({_summary(details)})",
        data={"version": 1},
    )
    return interest


def change_interest(
    interest: Interest, details: InterestDetails, *, actor: Account
) -> InterestVersion | None:
    """Keep the earlier version and add a new one; None when nothing was changed."""
    details = details.normalised()
    current = interest.current
    if InterestDetails.of(current) == details:
        return None
    version = InterestVersion(
        interest=interest,
        version_number=current.version_number + 1,
        created_by_account_id=actor.id,
        **vars(details),
    )
    db.session.add(version)
    db.session.flush()
    changed = sorted(k for k, v in vars(details).items() if getattr(current, k) != v)
    audit.record(
        "interest.changed",
        interest,
        actor=actor,
        professional_id=interest.professional_id,
        summary=f"Changed an interest ({_summary(details)}): {', '.join(changed)}",
        data={"version": version.version_number, "changed": changed},
    )
    return version


def end_interest(interest: Interest, date_to: date, *, actor: Account) -> InterestVersion:
    """A new version with the to-date set (the interest stays on registers 6 months more)."""
    details = InterestDetails.of(interest.current)
    version = InterestVersion(
        interest=interest,
        version_number=interest.current.version_number + 1,
        created_by_account_id=actor.id,
        **{**vars(details), "date_to": date_to},
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "interest.ended",
        interest,
        actor=actor,
        professional_id=interest.professional_id,
        summary=f"Ended an interest ({_summary(details)}) on {date_to.isoformat()}",
        data={"version": version.version_number, "date_to": date_to.isoformat()},
    )
    return version


def request_withholding(
    interest: Interest, provider_ids: Sequence[int], reason: str, *, actor: Account, on: date
) -> list[WithholdingRequest]:
    """A pending request per chosen workplace that has none pending or approved for this interest.

    A pending entry is not published, so each provider's register changes at once.
    """
    allowed = {w.provider.id: w.provider for w in workplaces(interest.professional, on)}
    chosen = [allowed[pid] for pid in dict.fromkeys(provider_ids) if pid in allowed]
    if not chosen:
        raise DeclarationProblem("Select where you want this entry withheld")
    open_already = {pid for (_, pid) in _withheld_pairs({interest.id})}
    created = []
    now = utcnow()
    for provider in chosen:
        if provider.id in open_already:
            continue
        request = WithholdingRequest(
            interest=interest,
            provider=provider,
            reason=reason,
            status="pending",
            requested_by_account_id=actor.id,
        )
        db.session.add(request)
        db.session.flush()
        provider.register_updated_at = now
        audit.record(
            "withholding.requested",
            request,
            actor=actor,
            provider_id=provider.id,
            professional_id=interest.professional_id,
            summary=f"Asked {provider.name} to withhold an interest from publication",
            data={"interest_id": interest.id},
        )
        created.append(request)
    if not created:
        raise DeclarationProblem("You have already asked for this entry to be withheld there")
    search_index.schedule(professional_id=interest.professional_id)
    return created


def withdraw_withholding(request: WithholdingRequest, *, actor: Account) -> None:
    """The professional withdraws a pending or approved request: the entry is published at that
    provider from now on (its other providers' requests stand). Adds and flushes; the caller commits."""
    if request.status not in WITHDRAWABLE_WITHHOLDING_STATUSES:
        raise DeclarationProblem("This request has already been decided or withdrawn")
    now = utcnow()
    was = request.status
    request.status = "withdrawn"
    request.decision_reason = "Withdrawn by the professional"
    request.review_on = None
    request.decided_at = now
    request.decided_by_account_id = actor.id
    request.provider.register_updated_at = now
    db.session.flush()
    audit.record(
        "withholding.withdrawn",
        request,
        actor=actor,
        provider_id=request.provider_id,
        professional_id=request.interest.professional_id,
        summary=f"Withdrew a request to {request.provider.name} to withhold an interest ({was} until now)",
        data={"interest_id": request.interest_id, "was": was},
    )
    search_index.schedule(professional_id=request.interest.professional_id)


def _follow_withholding(source: WithholdingRequest, provider: Provider, *, actor: Account) -> None:
    """Ask ``provider`` to withhold the interest for the same reason: pending, so not published."""
    request = WithholdingRequest(
        interest_id=source.interest_id,
        provider=provider,
        reason=source.reason,
        status="pending",
        requested_by_account_id=actor.id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "withholding.requested",
        request,
        actor=actor,
        provider_id=provider.id,
        professional_id=source.interest.professional_id,
        summary=(
            f"Asked {provider.name} to withhold an interest from publication, as "
            f"{source.provider.name} was asked"
        ),
        data={"interest_id": source.interest_id, "follows_request_id": source.id},
    )
