"""Search behind one seam. The database is the truth; the index is rebuilt from it at any time.

Callers that change what is published call ``schedule(...)`` inside their transaction; the
pending work is applied after the commit and by ``flask --app interests search reindex``.
"""

from __future__ import annotations

from interests.extensions import db
from interests.models import SearchTask


def schedule(*, professional_id: int | None = None, provider_id: int | None = None) -> None:
    """Record, in the caller's transaction, that these search documents must be rebuilt."""
    if professional_id is None and provider_id is None:
        raise ValueError("schedule() needs a professional or a provider")
    db.session.add(SearchTask(professional_id=professional_id, provider_id=provider_id))
