"""A professional's own area: their declarations to every provider where they work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from interests.security import roles_required

bp = Blueprint("declare", __name__, url_prefix="/declare")


@bp.get("")
@roles_required("professional")
def home() -> Any:
    professional = current_user.professional
    return render_template("declare/home.html", professional=professional)
