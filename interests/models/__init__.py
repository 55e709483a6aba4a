"""The domain model of the register (product card: "The people and things in it")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from interests.models.accounts import Account, PasswordReset, RecoveryCode, account_provider
from interests.models.alerts import ALERT_KINDS, AlertSubscription
from interests.models.asking import IdentityClaim, Invitation, Reminder
from interests.models.audit import AuditEvent
from interests.models.base import Base, InvalidRecord, utcnow
from interests.models.compliance import ComplianceSnapshot, ComplianceSnapshotRun
from interests.models.counted_engagements import (
    CountedEngagement,
    changed_pairs,
    keep_counted,
    rebuild_counted,
    refresh_declared,
)
from interests.models.declarations import (
    Declaration,
    DeclarationItem,
    Interest,
    InterestVersion,
    LatestDeclaration,
    WithholdingRequest,
    keep_latest,
    rebuild_latest,
)
from interests.models.industry_payments import DisclosureImport, IndustryPayment, PaymentAnswer
from interests.models.organisations import Provider
from interests.models.outboxes import OutboxEmail, SearchTask
from interests.models.people import Engagement, Professional, ProfessionalName
from interests.models.questions import PatientQuestion
from interests.models.security import SecurityEvent
from interests.models.staff_imports import StaffImport, StaffImportJob

__all__ = [
    "ALERT_KINDS",
    "Account",
    "AlertSubscription",
    "AuditEvent",
    "Base",
    "ComplianceSnapshot",
    "ComplianceSnapshotRun",
    "CountedEngagement",
    "Declaration",
    "DisclosureImport",
    "DeclarationItem",
    "Engagement",
    "Interest",
    "InterestVersion",
    "IdentityClaim",
    "IndustryPayment",
    "InvalidRecord",
    "Invitation",
    "LatestDeclaration",
    "OutboxEmail",
    "PasswordReset",
    "PatientQuestion",
    "PaymentAnswer",
    "Professional",
    "ProfessionalName",
    "Provider",
    "RecoveryCode",
    "Reminder",
    "SearchTask",
    "SecurityEvent",
    "StaffImport",
    "StaffImportJob",
    "WithholdingRequest",
    "account_provider",
    "keep_counted",
    "rebuild_counted",
    "rebuild_latest",
    "utcnow",
]

# Records the session never changes or deletes. Old security events leave only through the
# retention command's Core DELETE (interests/services/security_log.py `prune`).
APPEND_ONLY: dict[type, str] = {AuditEvent: "Audit events", SecurityEvent: "Security events"}


@event.listens_for(Session, "before_flush")
def _check_records(session: Session, flush_context: Any, instances: Any) -> None:
    """Every rule a record must keep is checked here, whichever code path wrote it."""
    for obj in session.deleted:
        if isinstance(obj, tuple(APPEND_ONLY)):
            raise InvalidRecord(f"{APPEND_ONLY[type(obj)]} are append-only and cannot be deleted")
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, tuple(APPEND_ONLY)) and obj not in session.new and session.is_modified(obj):
            raise InvalidRecord(f"{APPEND_ONLY[type(obj)]} are append-only and cannot be changed")
        check = getattr(obj, "check", None)
        if check is not None:
            check()
        check_with = getattr(obj, "check_with", None)
        if check_with is not None and obj in session.new:
            check_with(session)


@event.listens_for(Session, "after_flush")
def _keep_latest_declarations(session: Session, flush_context: Any) -> None:
    """The latest declaration of each professional to each provider follows every flush of
    declarations, and the engagement that counts every flush of engagements, in its transaction
    (`LatestDeclaration`, `CountedEngagement`)."""
    declared = keep_latest(session)
    engaged = changed_pairs(session)
    if engaged:
        keep_counted(session.connection(), engaged)
    if declared - engaged:
        refresh_declared(session.connection(), declared - engaged)
