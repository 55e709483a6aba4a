"""Public: "Ask about this register" - a patient's question reaches the provider's inbox at /manage."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField

from interests.extensions import db, limiter
from interests.formfields import CleanText
from interests.manage.forms import EmailCheck
from interests.models.manage import QUESTION_MAX_LENGTH
from interests.services import questions

bp = Blueprint("questions", __name__)


class AskForm(FlaskForm):
    question = TextAreaField(
        "Your question",
        validators=[
            CleanText(
                QUESTION_MAX_LENGTH,
                required_message="Enter your question",
                multiline=True,
                subject="Question",
            )
        ],
    )
    name = StringField("Your name (optional)", validators=[CleanText(200, subject="Name")])
    email = EmailField("Your email address (optional)", validators=[EmailCheck()])


def _ask_limit() -> str:
    return str(current_app.config.get("QUESTION_RATE_LIMIT", "5 per minute;30 per day"))


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _only_posts() -> bool:
    return request.method != "POST"


@bp.route("/providers/<slug>/ask", methods=["GET", "POST"])
@limiter.limit(_ask_limit, exempt_when=_only_posts, key_func=_client_address)
def ask(slug: str) -> Any:
    provider = questions.public_provider(slug)
    if provider is None:
        abort(404)
    form = AskForm()
    if form.validate_on_submit():
        questions.ask(provider, form.question.data, form.name.data or None, form.email.data or None)
        db.session.commit()
        return redirect(url_for("questions.asked", slug=slug))
    return render_template("questions/ask.html", provider=provider, form=form)


@bp.get("/providers/<slug>/ask/sent")
def asked(slug: str) -> Any:
    provider = questions.public_provider(slug)
    if provider is None:
        abort(404)
    return render_template("questions/sent.html", provider=provider)
