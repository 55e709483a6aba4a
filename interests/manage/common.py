"""What every page of a provider admin's area shares: the blueprint, who may come, and the
provider named in the URL (a provider the account does not run is a 404)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
)
from flask_login import current_user

from interests.models import Account, Provider
from interests.rules.vocabulary import (
    ENGAGEMENT_TYPES,
)
from interests.services import (
    staff,
)

bp = Blueprint("manage", __name__, url_prefix="/manage")

MANAGERS = ("provider_admin",)
TYPE_HINTS = {term.code: term.explanation for term in ENGAGEMENT_TYPES}


def current_account() -> Account:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def provider_or_404(slug: str) -> Provider:
    provider = staff.managed_provider(current_account(), slug)
    if provider is None:
        abort(404)
    return provider


def per_page() -> int:
    return int(current_app.config["PAGE_SIZE"])


def found_or_404(thing: Any) -> Any:
    if thing is None:
        abort(404)
    return thing
