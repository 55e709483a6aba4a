"""A professional's interests and declarations: the only place they are written.

Rooms: `common`, `reading`, `preview`, `writing`, `sending`.

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

from interests.services.declaring.common import (
    DECLARATION_STATEMENT,
    NIL_RETURN_STATEMENT,
    DeclarationProblem,
    InterestDetails,
    covered_after,
    new_reference,
    submission_key,
)
from interests.services.declaring.preview import PreviewEntry, ProviderPreview, preview
from interests.services.declaring.reading import (
    LastSent,
    SentTo,
    Workplace,
    covered_versions,
    declarations_sent,
    interest_of,
    interests_of,
    is_covered,
    last_sent,
    withholding_request_of,
    withholding_requests_of,
    workplaces,
)
from interests.services.declaring.sending import SendOutcome, send_declaration
from interests.services.declaring.writing import (
    add_interest,
    change_interest,
    end_interest,
    request_withholding,
    withdraw_withholding,
)

__all__ = [
    "DECLARATION_STATEMENT",
    "DeclarationProblem",
    "InterestDetails",
    "LastSent",
    "NIL_RETURN_STATEMENT",
    "PreviewEntry",
    "ProviderPreview",
    "SendOutcome",
    "SentTo",
    "Workplace",
    "add_interest",
    "change_interest",
    "covered_after",
    "covered_versions",
    "declarations_sent",
    "end_interest",
    "interest_of",
    "interests_of",
    "is_covered",
    "last_sent",
    "new_reference",
    "preview",
    "request_withholding",
    "send_declaration",
    "submission_key",
    "withdraw_withholding",
    "withholding_request_of",
    "withholding_requests_of",
    "workplaces",
]
