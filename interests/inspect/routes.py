"""The inspectors' compliance view."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from interests.security import roles_required

bp = Blueprint("inspect", __name__, url_prefix="/inspect")


@bp.get("")
@roles_required("inspector", "system_admin")
def overview() -> Any:
    return render_template("inspect/overview.html")
