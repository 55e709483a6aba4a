"""Pages for patients and carers: no sign-in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def start() -> Any:
    return render_template("public/start.html")


@bp.get("/search")
def search() -> Any:
    return render_template("public/search_unavailable.html"), 503


@bp.get("/about")
def about() -> Any:
    return render_template("public/about.html")


@bp.get("/accessibility")
def accessibility() -> Any:
    return render_template("public/accessibility.html")


@bp.get("/privacy")
def privacy() -> Any:
    return render_template("public/privacy.html")
