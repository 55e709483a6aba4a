"""A professional's interests and declarations: the only place they are written.

What a declaration covers (shown to professionals on the check page): every interest of theirs
that is still going on, or that ended within the last 6 months - product.md "Keeping": an
expired interest stays on the public register for 6 months after it ends. Interests that start
in the future (up to a year ahead) are declared too.

Every change writes an audit event in the same transaction; whatever changes a public register
also records a search task (`search_index.schedule`) and the provider's
`register_updated_at`. Each public write function is one transaction: it commits on success
and rolls back on any error, so nothing is ever half-saved.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from interests.extensions import db
from interests.models import (
    Account,
    Declaration,
    DeclarationItem,
    Engagement,
    Interest,
    InterestVersion,
    Professional,
    Provider,
    WithholdingRequest,
    utcnow,
)
from interests.rules.compliance import DeclarationStatus, engagement_status, next_due_on
from interests.rules.publication import UNPUBLISHED_WITHHOLDING_STATUSES, expiry_cutoff, interest_is_shown
from interests.rules.vocabulary import TYPE_BY_CODE, TYPES_WITH_VALUE
from interests.services import audit, search_index
from interests.services.register import Entry, roles

# The words a professional confirms when sending (kept with each declaration).
DECLARATION_STATEMENT = (
    "I confirm that this declaration is complete and accurate: it lists all my relevant "
    "interests, and I will declare any new or changed interest within 28 days."
)
NIL_RETURN_STATEMENT = (
    "I confirm that I have no relevant interests to declare, and I will declare any new "
    "interest within 28 days."
)
# References people can read out on the phone: no 0/O, 1/I/L, 5/S, 2/Z.
_REFERENCE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"


class DeclarationProblem(ValueError):
    """Sending cannot go ahead; the message says why, in plain English, and what to do."""


P = ParamSpec("P")
R = TypeVar("R")


def _transaction(write: Callable[P, R]) -> Callable[P, R]:
    """Commit what `write` did, or roll all of it back if it raised."""

    @wraps(write)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = write(*args, **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return result

    return wrapped


def covered_after(on: date) -> date:
    """Interests that ended on or after this date are still declared (and published): the 6-month
    rule of interests/rules/publication.py."""
    return expiry_cutoff(on)


@dataclass(frozen=True)
class InterestDetails:
    """What a professional says about an interest: the content of one version."""

    category: str
    interest_type: str
    other_party: str
    description: str
    date_from: date
    date_to: date | None = None
    value_pence: int | None = None
    relationship_to_professional: str | None = None

    def normalised(self) -> InterestDetails:
        """Drop what does not apply: a value only for types with one, a relationship only if indirect."""
        return InterestDetails(
            category=self.category,
            interest_type=self.interest_type,
            other_party=self.other_party,
            description=self.description,
            date_from=self.date_from,
            date_to=self.date_to,
            value_pence=self.value_pence if self.interest_type in TYPES_WITH_VALUE else None,
            relationship_to_professional=(
                (self.relationship_to_professional or None) if self.category == "indirect" else None
            ),
        )

    @classmethod
    def of(cls, version: InterestVersion) -> InterestDetails:
        return cls(
            category=version.category,
            interest_type=version.interest_type,
            other_party=version.other_party,
            description=version.description,
            date_from=version.date_from,
            date_to=version.date_to,
            value_pence=version.value_pence,
            relationship_to_professional=version.relationship_to_professional,
        )


def _summary(details: InterestDetails) -> str:
    kind = TYPE_BY_CODE[details.interest_type].label.lower()
    return f"{kind}: {details.other_party}"


# --- Reading ----------------------------------------------------------------------------------


def interest_of(professional: Professional, interest_id: int) -> Interest | None:
    """The professional's own interest, or None - another professional's is never returned."""
    return db.session.scalar(
        select(Interest)
        .where(Interest.id == interest_id, Interest.professional_id == professional.id)
        .options(selectinload(Interest.versions))
    )


def interests_of(professional: Professional) -> list[Interest]:
    """All of a professional's interests, newest first, with their versions loaded."""
    return list(
        db.session.scalars(
            select(Interest)
            .where(Interest.professional_id == professional.id)
            .options(selectinload(Interest.versions))
            .order_by(Interest.created_at.desc(), Interest.id.desc())
        )
    )


def is_covered(version: InterestVersion, on: date) -> bool:
    return interest_is_shown(version.date_to, on)


def covered_versions(professional: Professional, on: date) -> list[InterestVersion]:
    """The current version of every interest a declaration sent on `on` covers, oldest first."""
    latest = (
        select(InterestVersion.interest_id, func.max(InterestVersion.version_number).label("number"))
        .join(Interest, Interest.id == InterestVersion.interest_id)
        .where(Interest.professional_id == professional.id)
        .group_by(InterestVersion.interest_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(InterestVersion)
            .join(
                latest,
                (latest.c.interest_id == InterestVersion.interest_id)
                & (latest.c.number == InterestVersion.version_number),
            )
            .where(or_(InterestVersion.date_to.is_(None), InterestVersion.date_to >= covered_after(on)))
            .order_by(InterestVersion.date_from, InterestVersion.interest_id)
        )
    )


@dataclass
class Workplace:
    """A provider where the professional has an active engagement, and their standing there."""

    provider: Provider
    roles: list[str]
    engaged_since: date
    status: DeclarationStatus
    next_due_on: date
    last_declaration: Declaration | None = None
    last_item_count: int = 0


def workplaces(professional: Professional, on: date) -> list[Workplace]:
    """Every provider where the professional confirmed they work on `on`, A-Z, with their status."""
    engagements = db.session.scalars(
        select(Engagement)
        .where(
            Engagement.professional_id == professional.id,
            # Declarations go only where the professional confirmed they work (product card,
            # "Identity and consent across providers").
            Engagement.confirmed_at.is_not(None),
            Engagement.start_date <= on,
            or_(Engagement.end_date.is_(None), Engagement.end_date >= on),
        )
        .options(selectinload(Engagement.provider))
    ).all()
    by_provider: dict[int, list[Engagement]] = defaultdict(list)
    for engagement in engagements:
        by_provider[engagement.provider_id].append(engagement)
    if not by_provider:
        return []

    ranked = (
        select(
            Declaration.id,
            func.row_number()
            .over(
                partition_by=Declaration.provider_id,
                order_by=(
                    Declaration.declared_on.desc(),
                    Declaration.signed_at.desc(),
                    Declaration.id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(
            Declaration.professional_id == professional.id,
            Declaration.provider_id.in_(by_provider),
            Declaration.declared_on <= on,
        )
        .subquery()
    )
    latest = {
        d.provider_id: d
        for d in db.session.scalars(
            select(Declaration).join(ranked, ranked.c.id == Declaration.id).where(ranked.c.rank == 1)
        )
    }
    counts = dict(
        db.session.execute(
            select(DeclarationItem.declaration_id, func.count())
            .where(DeclarationItem.declaration_id.in_([d.id for d in latest.values()]))
            .group_by(DeclarationItem.declaration_id)
        ).all()
    )
    result = []
    for provider_id, provider_engagements in by_provider.items():
        engaged_since = min(e.start_date for e in provider_engagements)
        last = latest.get(provider_id)
        last_on = last.declared_on if last else None
        result.append(
            Workplace(
                provider=provider_engagements[0].provider,
                roles=sorted({e.role for e in provider_engagements}),
                engaged_since=engaged_since,
                status=engagement_status(on, engaged_since, last_on),
                next_due_on=next_due_on(engaged_since, last_on),
                last_declaration=last,
                last_item_count=counts.get(last.id, 0) if last else 0,
            )
        )
    return sorted(result, key=lambda w: (w.provider.name.lower(), w.provider.id))


def withholding_requests_of(professional: Professional) -> dict[int, list[WithholdingRequest]]:
    """Each of the professional's interests -> its withholding requests, newest first."""
    requests = db.session.scalars(
        select(WithholdingRequest)
        .join(Interest, Interest.id == WithholdingRequest.interest_id)
        .where(Interest.professional_id == professional.id)
        .options(selectinload(WithholdingRequest.provider))
        .order_by(WithholdingRequest.requested_at.desc(), WithholdingRequest.id.desc())
    )
    by_interest: dict[int, list[WithholdingRequest]] = defaultdict(list)
    for request in requests:
        by_interest[request.interest_id].append(request)
    return by_interest


def declarations_sent(professional: Professional, submission_key: str) -> list[Declaration]:
    """The declarations one send made (this professional's only), by provider name."""
    return list(
        db.session.scalars(
            select(Declaration)
            .join(Provider, Provider.id == Declaration.provider_id)
            .where(
                Declaration.professional_id == professional.id, Declaration.submission_key == submission_key
            )
            .options(selectinload(Declaration.provider), selectinload(Declaration.items))
            .order_by(Provider.name, Provider.id)
        )
    )


# --- The register as it will look ---------------------------------------------------------------


@dataclass(frozen=True)
class PreviewEntry:
    """One entry of a preview: the register's own entry, and why it will not be published if so.

    `hidden_reason` is set when a withholding request keeps the entry off that register; the
    public register never lists such an entry at all, the preview lists it to say so.
    """

    entry: Entry
    hidden_reason: str | None = None


@dataclass
class ProviderPreview:
    workplace: Workplace
    role: str | None  # the role the register shows beside the name
    entries: list[PreviewEntry] = field(default_factory=list)


def _latest_actions(
    provider_ids: Iterable[int], version_ids: Iterable[int]
) -> dict[tuple[int, int], DeclarationItem]:
    """(provider id, interest version id) -> the latest declaration item with a management action."""
    provider_ids, version_ids = list(provider_ids), list(version_ids)
    if not provider_ids or not version_ids:
        return {}
    rows = db.session.execute(
        select(Declaration.provider_id, DeclarationItem)
        .join(Declaration, Declaration.id == DeclarationItem.declaration_id)
        .where(
            Declaration.provider_id.in_(provider_ids),
            DeclarationItem.interest_version_id.in_(version_ids),
            DeclarationItem.management_action.is_not(None),
        )
        .order_by(DeclarationItem.action_recorded_at, DeclarationItem.id)
    ).all()
    return {(provider_id, item.interest_version_id): item for provider_id, item in rows}


def preview(professional: Professional, on: date) -> list[ProviderPreview]:
    """Each workplace's register entries for this professional as sending today would publish them.

    The entries are what the register will make of the declaration items `_send` creates: the
    covered versions, each with the management action it carries forward, built by the register's
    own `Entry.of`, kept by the same publication rules (an interest shown until 6 months after it
    ends) and in the register's order (newest first; then as sent). The one difference: an entry a
    withholding request keeps off a register is listed too, saying why it will not be published.
    """
    places = workplaces(professional, on)
    versions = [v for v in covered_versions(professional, on) if interest_is_shown(v.date_to, on)]
    # The register orders a declaration's entries by date_from (newest first), then by item id;
    # `_send` adds the items in covered_versions order (oldest first, then by interest id).
    versions.sort(key=lambda v: (-v.date_from.toordinal(), v.interest_id))
    actions = _latest_actions((w.provider.id for w in places), (v.id for v in versions))
    hidden = _withheld_pairs({v.interest_id for v in versions})
    asked, follows = _withholding_to_follow({v.interest_id for v in versions})
    role_at = roles({(professional.id, w.provider.id) for w in places}, on)
    previews = []
    for place in places:
        entries = []
        for version in versions:
            item = actions.get((place.provider.id, version.id))
            status = hidden.get((version.interest_id, place.provider.id))
            entry = Entry.of(
                version,
                item_id=None,
                management_action=item.management_action if item else None,
                action_recorded_at=item.action_recorded_at if item else None,
            )
            reason = _HIDDEN_REASONS.get(status, _HIDDEN_OTHERWISE) if status else None
            source = follows.get(version.interest_id)
            if (
                status is None
                and source is not None
                and (version.interest_id, place.provider.id) not in asked
            ):
                reason = (
                    f"Not published: you asked {source.provider.name} to withhold it, so "
                    f"{place.provider.name} will be asked to decide too, for the same reason."
                )
            entries.append(PreviewEntry(entry, hidden_reason=reason))
        previews.append(
            ProviderPreview(
                workplace=place, role=role_at.get((professional.id, place.provider.id)), entries=entries
            )
        )
    return previews


_HIDDEN_REASONS = {
    "pending": "Not published while the provider decides on your request to withhold it.",
    "approved": "Not published: the provider agreed to withhold it.",
}
_HIDDEN_OTHERWISE = "Not published while your request to withhold it is open."


def _withheld_pairs(interest_ids: set[int]) -> dict[tuple[int, int], str]:
    """(interest id, provider id) -> "pending" or "approved" for entries not to be published."""
    if not interest_ids:
        return {}
    rows = db.session.execute(
        select(
            WithholdingRequest.interest_id, WithholdingRequest.provider_id, WithholdingRequest.status
        ).where(
            WithholdingRequest.interest_id.in_(interest_ids),
            WithholdingRequest.status.in_(sorted(UNPUBLISHED_WITHHOLDING_STATUSES)),
        )
    ).all()
    result: dict[tuple[int, int], str] = {}
    for interest_id, provider_id, status in rows:
        # "approved" wins over "pending" for the same pair: either way it is not published.
        if result.get((interest_id, provider_id)) != "approved":
            result[(interest_id, provider_id)] = status
    return result


def _withholding_to_follow(
    interest_ids: set[int],
) -> tuple[set[tuple[int, int]], dict[int, WithholdingRequest]]:
    """Withholding follows the interest (product card, "Identity and consent across providers").

    Returns every (interest id, provider id) with a request of any status - that provider has been
    asked, and its decision stands - and, per interest, the request another provider should be
    asked the same as: an approved one first, else the newest pending one.
    """
    if not interest_ids:
        return set(), {}
    requests = db.session.scalars(
        select(WithholdingRequest)
        .where(WithholdingRequest.interest_id.in_(interest_ids))
        .options(selectinload(WithholdingRequest.provider))
        .order_by(WithholdingRequest.requested_at, WithholdingRequest.id)
    ).all()
    asked = {(r.interest_id, r.provider_id) for r in requests}
    follows: dict[int, WithholdingRequest] = {}
    for request in requests:
        if request.status not in UNPUBLISHED_WITHHOLDING_STATUSES:
            continue
        chosen = follows.get(request.interest_id)
        if chosen is None or chosen.status != "approved":
            follows[request.interest_id] = request
    return asked, follows


# --- Writing interests ------------------------------------------------------------------------


@_transaction
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


@_transaction
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


@_transaction
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


@_transaction
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


# --- Sending ----------------------------------------------------------------------------------


def submission_key(professional_id: int, on: date, version_ids: Iterable[int]) -> str:
    """The same content sent on the same day has the same key, so a replay creates nothing.

    A double click, the back button or a resent form all give the same key; the unique
    (submission_key, provider_id) constraint backs this up under concurrent requests.
    """
    ids = ",".join(str(i) for i in sorted(set(version_ids))) or "nil"
    return hashlib.sha256(f"{professional_id}|{on.isoformat()}|{ids}".encode()).hexdigest()[:40]


def new_reference() -> str:
    """A declaration reference like "DEC-7K3M-Q9TX" (27^8 possibilities, unique in the database)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"DEC-{chars[:4]}-{chars[4:]}"


@dataclass(frozen=True)
class SendOutcome:
    submission_key: str
    created: int  # 0 when everything had been sent already (a replay)


def send_declaration(
    professional: Professional,
    *,
    actor: Account,
    provider_ids: Sequence[int],
    shown_version_ids: Sequence[int] | None,
    nil_return: bool,
    on: date,
) -> SendOutcome:
    """Send and commit (see `_send`). A concurrent identical send is not an error: the
    unique (submission_key, provider_id) constraint stops the second, and its sender is shown
    what the first one sent."""
    try:
        return _transaction(_send)(
            professional,
            actor=actor,
            provider_ids=provider_ids,
            shown_version_ids=shown_version_ids,
            nil_return=nil_return,
            on=on,
        )
    except IntegrityError:
        versions = [] if nil_return else covered_versions(professional, on)
        key = submission_key(professional.id, on, (v.id for v in versions))
        if declarations_sent(professional, key):
            return SendOutcome(submission_key=key, created=0)
        raise DeclarationProblem("Your declaration could not be sent: try again") from None


def _send(
    professional: Professional,
    *,
    actor: Account,
    provider_ids: Sequence[int],
    shown_version_ids: Sequence[int] | None,
    nil_return: bool,
    on: date,
) -> SendOutcome:
    """One dated declaration per chosen workplace: the covered interests, or a nil return.

    `shown_version_ids` are the versions the professional saw on the check page: if their
    interests have changed since, nothing is sent and they are asked to check again.
    """
    places = {w.provider.id: w.provider for w in workplaces(professional, on)}
    chosen = [places[pid] for pid in dict.fromkeys(provider_ids) if pid in places]
    if not chosen or len(chosen) != len(set(provider_ids)):
        raise DeclarationProblem("Select where to send your declaration")
    versions = covered_versions(professional, on)
    if nil_return and versions:
        raise DeclarationProblem(
            "You have interests to declare, so you cannot send a nil return: check and send them instead"
        )
    if not nil_return:
        if not versions:
            raise DeclarationProblem("You have no interests to declare: send a nil return instead")
        if shown_version_ids is None or set(shown_version_ids) != {v.id for v in versions}:
            raise DeclarationProblem(
                "Your interests have changed since you opened this page: check them again"
            )

    key = submission_key(professional.id, on, (v.id for v in versions))
    already = set(
        db.session.scalars(
            select(Declaration.provider_id).where(
                Declaration.professional_id == professional.id, Declaration.submission_key == key
            )
        )
    )
    to_send = [p for p in chosen if p.id not in already]
    actions = _latest_actions((p.id for p in to_send), (v.id for v in versions))
    asked, follows = _withholding_to_follow({v.interest_id for v in versions})
    now = utcnow()
    statement = NIL_RETURN_STATEMENT if nil_return else DECLARATION_STATEMENT
    for provider in to_send:
        declaration = Declaration(
            reference=new_reference(),
            professional=professional,
            provider=provider,
            nil_return=nil_return,
            declared_on=on,
            signed_at=now,
            signed_by_account_id=actor.id,
            statement=statement,
            submission_key=key,
        )
        db.session.add(declaration)
        for version in versions:
            item = DeclarationItem(declaration=declaration, interest_version=version)
            earlier = actions.get((provider.id, version.id))
            if earlier is not None:
                # The same version declared again: the provider's decision on it still stands.
                item.management_action = earlier.management_action
                item.action_recorded_at = earlier.action_recorded_at
                item.action_recorded_by_account_id = earlier.action_recorded_by_account_id
            db.session.add(item)
            source = follows.get(version.interest_id)
            if source is not None and (version.interest_id, provider.id) not in asked:
                _follow_withholding(source, provider, actor=actor)
                asked.add((version.interest_id, provider.id))
        db.session.flush()
        provider.register_updated_at = now
        what = "a nil return" if nil_return else f"a declaration of {len(versions)} interest(s)"
        audit.record(
            "declaration.sent",
            declaration,
            actor=actor,
            provider_id=provider.id,
            professional_id=professional.id,
            summary=f"Sent {what} to {provider.name} ({declaration.reference})",
            data={
                "reference": declaration.reference,
                "nil_return": nil_return,
                "interest_version_ids": [v.id for v in versions],
            },
        )
    if to_send:
        search_index.schedule(professional_id=professional.id)
    return SendOutcome(submission_key=key, created=len(to_send))
