"""Public: /alerts, a daily email about changes at a provider, for a professional or for a search.

Asking gets the same page whatever happened (services.alerts says when an email goes). The links
in the emails ask for a button press rather than acting on sight, because mail scanners open
links: a stranger's scanner must neither confirm an address nor unsubscribe it. The one exception
is the one-click unsubscribe POST (RFC 8058), which a mail client sends with no cookie and no CSRF
token: that endpoint alone is exempt from CSRF, and its signed token is its only key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import StopValidation

from interests.extensions import csrf, limiter
from interests.manage.forms import EmailCheck
from interests.services import alerts

bp = Blueprint("alerts", __name__)


class RequiredEmail(EmailCheck):
    def __call__(self, form: Any, field: Any) -> None:
        if not (field.data or "").strip():
            raise StopValidation("Enter your email address")
        super().__call__(form, field)


class SubscribeForm(FlaskForm):
    email = EmailField("Your email address", validators=[RequiredEmail()])


class ConfirmForm(FlaskForm):
    """Just the button (and its CSRF token)."""


def _limit() -> str:
    return str(current_app.config.get("ALERT_RATE_LIMIT", "5 per minute;20 per day"))


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _only_posts() -> bool:
    return request.method != "POST"


def _target_args() -> dict[str, str]:
    return {name: request.args[name] for name in ("provider", "professional", "q") if name in request.args}


@bp.route("/alerts", methods=["GET", "POST"])
@limiter.limit(_limit, exempt_when=_only_posts, key_func=_client_address)
def start() -> Any:
    args = _target_args()
    if not args:
        return render_template("alerts/start.html", target=None, form=None)
    target = alerts.find_target(args.get("provider"), args.get("professional"), args.get("q"))
    if target is None:
        return render_template("alerts/not_found.html"), 404
    form = SubscribeForm()
    if form.validate_on_submit():
        alerts.subscribe(form.email.data, target)
        return redirect(url_for("alerts.check_email"))
    return render_template(
        "alerts/start.html", target=target, form=form, args=args, max_per_address=alerts.MAX_PER_ADDRESS
    )


@bp.get("/alerts/check-your-email")
def check_email() -> Any:
    return render_template("alerts/check_email.html", valid_days=alerts.CONFIRM_VALID_DAYS)


@bp.route("/alerts/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    subscription = alerts.confirmable(token)
    if subscription is None:
        return _link_not_working()
    form = ConfirmForm()
    if form.validate_on_submit():
        alerts.confirm(subscription)
        return render_template("alerts/confirmed.html", label=subscription.label)
    return render_template("alerts/confirm.html", label=subscription.label, form=form)


@bp.route("/alerts/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058): a mail client's POST has no cookie and no token
def unsubscribe(token: str) -> Any:
    subscription = alerts.subscribed(token)
    if subscription is None:
        # Already unsubscribed, or a link that is not ours: either way, no email will come from it.
        return render_template("alerts/unsubscribe_invalid.html"), 404
    label = subscription.label
    if request.method == "POST":
        alerts.unsubscribe(subscription)
        return render_template("alerts/unsubscribed.html", label=label)
    return render_template("alerts/unsubscribe.html", label=label)


@bp.route("/alerts/unsubscribe-all/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058) of a digest covering several alerts, as above
def unsubscribe_all(token: str) -> Any:
    found = alerts.all_subscribed(token)
    if found is None:
        return render_template("alerts/unsubscribe_invalid.html"), 404
    if request.method == "POST":
        alerts.unsubscribe_all(found)
        return render_template("alerts/unsubscribed.html", label=None)
    return render_template("alerts/unsubscribe.html", label=None)


def _link_not_working() -> Any:
    return render_template("alerts/link_invalid.html", valid_days=alerts.CONFIRM_VALID_DAYS), 404


@bp.after_request
def _never_cache_secret_addresses(response: Response) -> Response:
    # A link's address holds its token: no cache may keep the page, whatever the outcome.
    if request.endpoint in ("alerts.confirm", "alerts.unsubscribe", "alerts.unsubscribe_all"):
        response.headers["Cache-Control"] = "no-store"
    return response
