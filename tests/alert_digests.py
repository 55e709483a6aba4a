"""For the never-public scans: follow every provider, professional and search with email alerts,
send the digests of everything published, and hand back each digest email's text. Each is followed
by an address of its own, and every provider and professional also by one address following them
all (its one email has a part for each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from interests.extensions import db
from interests.models import AlertSubscription, OutboxEmail, Professional, Provider, utcnow
from interests.services import alerts


def every_digest(queries: list[str]) -> list[tuple[str, str]]:
    """(subject and body, the search it follows or "") of a digest for every provider, every
    professional and every query in `queries`, telling every change since 2000. In an app context."""
    follows = [("provider", slug, "") for slug in db.session.scalars(select(Provider.slug))]
    follows += [("professional", str(pid), "") for pid in db.session.scalars(select(Professional.id))]
    follows += [("search", query, query) for query in queries if query.strip()]
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    echoed: dict[str, str] = {}
    addresses = [(f"digest{n}@example.org", follow) for n, follow in enumerate(follows)]
    addresses += [("everything@example.org", follow) for follow in follows if follow[0] != "search"]
    for n, (address, (kind, target, query)) in enumerate(addresses):
        echoed[address] = query if address != "everything@example.org" else ""
        db.session.add(
            AlertSubscription(
                email=address,
                kind=kind,
                target=target[:200],
                label=f"a search for ‘{target}’" if kind == "search" else target,
                nonce=f"nonce{n}",
                confirmed_at=long_ago,
                told_up_to=long_ago,
            )
        )
    db.session.commit()
    # Run as the digest would once every change is settled (it tells changes up to DIGEST_SETTLE
    # before it runs, and the register here was written moments ago).
    done = alerts.send_digests(now=utcnow() + alerts.DIGEST_SETTLE + timedelta(minutes=1))
    assert done.sent > 0
    sent = list(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.kind == "alert_digest")))
    assert len(sent) == len(set(sent))  # one email per address
    return [
        (f"{email.subject}\n{email.body}", echoed[email.to_address])
        for email in db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "alert_digest"))
    ]
