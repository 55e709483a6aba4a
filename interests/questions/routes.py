"""Public: "Ask about this register" - a patient's question reaches the provider's inbox at /manage.

An email address given for the reply is confirmed by a link before any reply is emailed to it
(/providers/<slug>/ask/confirm/<token>). The link's page asks for a button press rather than
confirming on sight, because mail scanners open links in the emails they check: a stranger's
scanner must not confirm an address its owner never gave.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField

from interests.extensions import limiter
from interests.formfields import CleanText
from interests.manage.forms import EmailCheck
from interests.models import InvalidRecord, Provider
from interests.models.questions import QUESTION_MAX_LENGTH
from interests.services import questions
from interests.unit_of_work import discard

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


class ConfirmForm(FlaskForm):
    """Just the button (and its CSRF token)."""


def _ask_limit() -> str:
    return str(current_app.config.get("QUESTION_RATE_LIMIT", "5 per minute;30 per day"))


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _only_posts() -> bool:
    return request.method != "POST"


def _limit_message(provider: Provider, over: questions.OverLimit) -> str:
    contact = provider.contact_email or provider.contact_phone or provider.website_url
    directly = f", or contact {provider.name} directly: {contact}" if contact else ""
    return f"You have asked {over.asked} questions today. You can ask more tomorrow{directly}"


@bp.route("/providers/<slug>/ask", methods=["GET", "POST"])
@limiter.limit(_ask_limit, exempt_when=_only_posts, key_func=_client_address)
def ask(slug: str) -> Any:
    provider = questions.public_provider(slug)
    if provider is None:
        abort(404)
    form = AskForm()
    if form.validate_on_submit():
        email = form.email.data or None
        client = _client_address()
        over = questions.over_limit(email, client)
        if over is None:
            questions.ask(provider, form.question.data, form.name.data or None, email, ip_address=client)
            return redirect(url_for("questions.asked", slug=slug))
        form.form_errors.append(_limit_message(provider, over))
    return render_template("questions/ask.html", provider=provider, form=form)


@bp.get("/providers/<slug>/ask/sent")
def asked(slug: str) -> Any:
    provider = questions.public_provider(slug)
    if provider is None:
        abort(404)
    return render_template("questions/sent.html", provider=provider, valid_days=questions.CONFIRM_VALID_DAYS)


@bp.route("/providers/<slug>/ask/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str) -> Any:
    """The link in the confirmation email: a button to confirm, then what happened."""
    provider = questions.public_provider(slug)
    found = questions.confirmable(provider, token) if provider is not None else None
    if found is None:
        return _link_not_working()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            emailed = questions.confirm(found)
        except InvalidRecord:  # used by another request a moment ago
            discard()
            return _link_not_working()
        return render_template("questions/confirmed.html", provider=provider, emailed=emailed)
    return render_template("questions/confirm.html", provider=provider, form=form)


def _link_not_working() -> Any:
    return render_template("questions/confirm_invalid.html", valid_days=questions.CONFIRM_VALID_DAYS), 404


@bp.after_request
def _never_cache_secret_addresses(response: Response) -> Response:
    # A confirmation page's address holds its token: no cache may keep it, whatever the outcome
    # (this runs for error pages too, such as a refused CSRF token).
    if request.endpoint == "questions.confirm":
        response.headers["Cache-Control"] = "no-store"
    return response
