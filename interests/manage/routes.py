"""A provider admin's area: the registers of the providers they run."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from interests.security import roles_required

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.get("")
@roles_required("provider_admin")
def home() -> Any:
    return render_template("manage/home.html", providers=current_user.providers)
