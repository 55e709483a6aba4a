"""The daily pruning: what is kept only for a while, and deleted or forgotten after it.

The worker's "prune-security-events" job and `flask --app interests security-events prune` both
call `prune_daily(...)`, so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from interests.services import questions, security_log


@dataclass(frozen=True)
class Pruned:
    keep_days: int  # the security log's retention (SECURITY_LOG_KEEP_DAYS)
    events_deleted: int  # security events older than keep_days
    client_keys_forgotten: int  # patients' questions whose client key was cleared


def prune_daily(keep_days: int) -> Pruned:
    """Delete security events older than `keep_days` and forget the client key of patients'
    questions older than two days. The caller commits (one transaction for both)."""
    deleted = security_log.prune(keep_days)
    forgotten = questions.forget_client_keys()
    return Pruned(keep_days=keep_days, events_deleted=deleted, client_keys_forgotten=forgotten)
