"""A professional's own area: their interests and their declarations to every provider where they work.

Every page is for the signed-in professional's own records: an interest id that is not theirs
is a 404, whether it is someone else's or does not exist.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from interests import clock
from interests.declare.forms import EndInterestForm, InterestForm, NilReturnForm, SendForm, WithholdForm
from interests.frontend import money
from interests.models import Account, IndustryPayment, Interest, InterestVersion, Professional
from interests.rules.payments import OUTCOME_LABELS, PART_LABELS, parts_to_declare
from interests.rules.vocabulary import (
    CATEGORIES,
    CATEGORY_BY_CODE,
    ENGAGEMENT_TYPE_BY_CODE,
    TYPE_BY_CODE,
    TYPES,
    TYPES_WITH_VALUE,
    WITHDRAWABLE_WITHHOLDING_STATUSES,
    WITHHOLDING_STATUS_BY_CODE,
)
from interests.security import roles_required
from interests.services import declaring as service
from interests.services import identity
from interests.services.declaring import DeclarationProblem, InterestDetails
from interests.services.disclosure import own as own_payments
from interests.services.disclosure.reconciling import AMOUNT_COLUMNS, reconciled
from interests.unit_of_work import discard

bp = Blueprint("declare", __name__, url_prefix="/declare")

_SUBMISSION_KEY = re.compile(r"[0-9a-f]{40}")


@bp.before_request
@roles_required("professional")
def _professionals_only() -> None:
    """Every page here needs a professional's sign-in (others: sign in, or 403)."""


@bp.context_processor
def _words() -> dict[str, Any]:
    return {"CATEGORY_BY_CODE": CATEGORY_BY_CODE, "TYPE_BY_CODE": TYPE_BY_CODE}


def _me() -> Professional:
    professional = current_user.professional
    if professional is None:  # pragma: no cover - accounts with this role always have one
        abort(403)
    return professional  # type: ignore[no-any-return]


def _account() -> Account:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _my_interest(interest_id: int) -> Interest:
    interest = service.interest_of(_me(), interest_id)
    if interest is None:
        abort(404)
    return interest


def _vocabulary() -> dict[str, Any]:
    return {
        "category_hints": {term.code: term.explanation for term in CATEGORIES},
        "type_hints": {term.code: term.explanation for term in TYPES},
        "value_type_labels": [term.label.lower() for term in TYPES if term.code in TYPES_WITH_VALUE],
    }


def _answers(version: InterestVersion) -> dict[str, Any]:
    """The form's answers for an existing version, to change it."""
    return {
        "category": version.category,
        "interest_type": version.interest_type,
        "relationship": version.relationship_to_professional or "",
        "other_party": version.other_party,
        "description": version.description,
        "value": version.value_pence,
        "date_from": version.date_from,
        "ongoing": "yes" if version.date_to is None else "no",
        "date_to": version.date_to,
    }


def _details(form: InterestForm) -> InterestDetails:
    """The answers of a form that has passed validation (so every required one is there)."""
    assert form.category.data and form.interest_type.data and form.date_from.data  # noqa: S101
    return InterestDetails(
        category=form.category.data,
        interest_type=form.interest_type.data,
        other_party=form.other_party.data or "",
        description=form.description.data or "",
        date_from=form.date_from.data,
        date_to=form.ends_on,
        value_pence=form.value.data,
        relationship_to_professional=form.relationship.data or None,
    )


def _my_payment(payment_id: str | int | None) -> IndustryPayment:
    """A payment matched to the signed-in professional; anything else (another person's, none,
    not a number) is a 404 that says nothing of it."""
    if isinstance(payment_id, str):
        payment_id = int(payment_id) if re.fullmatch(r"[0-9]{1,11}", payment_id) else None
    payment = own_payments.payment_of(_me(), payment_id) if payment_id else None
    if payment is None:
        abort(404)
    return payment


def _amounts(payment: IndustryPayment) -> dict[str, int]:
    return {part: getattr(payment, column) for part, column in AMOUNT_COLUMNS.items()}


def payment_parts(payment: IndustryPayment) -> list[tuple[str, int]]:
    """Each part of a payment with money in it, in plain words: ("Fees for service...", pence)."""
    return [(PART_LABELS[part].capitalize(), pence) for part, pence in _amounts(payment).items() if pence > 0]


def _payment_answers(payment: IndustryPayment, missing: tuple[str, ...]) -> dict[str, Any]:
    """The add-interest form's answers for a reported payment, for the professional to check: the
    parts not yet declared (`rules.payments.parts_to_declare`), with the type that covers them."""
    amounts = _amounts(payment)
    interest_type, parts = parts_to_declare(amounts, missing)
    pence = sum(amounts[part] for part in parts)
    described = "; ".join(f"{PART_LABELS[part]} {money(amounts[part])}" for part in parts)
    description = (
        f"Reported by {payment.company} in Disclosure UK for {payment.year}: "
        f"{described or 'no amounts'} (total reported {money(payment.total_pence)})"
    )
    return {
        "category": "financial",
        "interest_type": interest_type,
        "other_party": payment.company,
        "description": description,
        # Only some types keep a value (the rest would drop it): the amounts are in the description.
        "value": pence if interest_type in TYPES_WITH_VALUE else None,
        "date_from": date(payment.year, 1, 1),
        "ongoing": "no",
        "date_to": date(payment.year, 12, 31),
    }


@bp.get("")
def home() -> Any:
    professional = _me()
    today = clock.today()
    interests = service.interests_of(professional)
    awaiting = identity.awaiting_confirmation(professional.id, today)
    last_sent = service.last_sent(professional)
    return render_template(
        "declare/home.html",
        professional=professional,
        awaiting=awaiting,
        needs_link={e.id for e in awaiting if not identity.can_confirm_from_account(e, _account())},
        answer_form=FlaskForm(),
        ENGAGEMENT_TYPE_BY_CODE=ENGAGEMENT_TYPE_BY_CODE,
        workplaces=service.workplaces(professional, today),
        interests=interests,
        covered_ids={v.interest_id for v in service.covered_versions(professional, today)},
        withholding=service.withholding_requests_of(professional),
        statuses=WITHHOLDING_STATUS_BY_CODE,
        last_sent=last_sent,
        sent_unchanged={i for i, sent in last_sent.items() if not sent.changed_since},
        payments=own_payments.payments_of(professional),
        payment_parts=payment_parts,
        can_confirm=own_payments.can_confirm,
        OUTCOME_LABELS=OUTCOME_LABELS,
    )


@bp.post("/engagements/<int:engagement_id>")
def answer_engagement(engagement_id: int) -> Any:
    """The professional confirms that they work where a provider says, or says they do not."""
    engagement = identity.engagement_of(_me().id, engagement_id)
    if engagement is None:
        abort(404)
    form = FlaskForm()
    answer = request.form.get("answer")
    if not form.validate_on_submit() or answer not in ("confirm", "reject"):
        abort(400)
    try:
        if answer == "confirm":
            identity.confirm_from_account(engagement, _account())
            message = f"Thank you: your declarations can now go to {engagement.provider.name}"
        else:
            identity.reject_from_account(engagement, _account())
            message = f"We have told {engagement.provider.name} that you do not work there"
    except identity.IdentityProblem as problem:
        discard()
        flash(str(problem), "error")
    else:
        flash(message, "success")
    return redirect(url_for("declare.home"))


@bp.route("/interests/new", methods=["GET", "POST"])
def add_interest() -> Any:
    payment = _my_payment(request.args["payment"]) if "payment" in request.args else None
    prefill = None
    if payment is not None and request.method == "GET":
        found = reconciled([payment]).get(payment.id)
        prefill = _payment_answers(payment, found.missing if found is not None else ())
    form = InterestForm(data=prefill)
    if form.validate_on_submit():
        service.add_interest(_me(), _details(form), actor=_account())
        flash(f"Interest added: {form.other_party.data}", "success")
        return redirect(url_for("declare.check"))
    return render_template(
        "declare/interest_form.html", form=form, heading="Add an interest", payment=payment, **_vocabulary()
    )


@bp.post("/payments/<int:payment_id>/me")
def this_is_me(payment_id: int) -> Any:
    """The professional confirms a probable or possible match: it may now be shown on their page."""
    payment = _my_payment(payment_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if own_payments.can_confirm(payment):
        own_payments.confirm(payment, _me(), actor=_account())
        flash(
            f"Thank you: the payment {payment.company} reported for {payment.year} is confirmed as yours. "
            "It is shown on your public page as the company's report.",
            "success",
        )
    return redirect(url_for("declare.home", _anchor=f"payment-{payment.id}"))


@bp.post("/payments/<int:payment_id>/not-me")
def not_me(payment_id: int) -> Any:
    """The professional says a reported payment is not about them: recorded, and the match dropped."""
    payment = _my_payment(payment_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    own_payments.reject(payment, _me(), actor=_account())
    flash(
        f"Thank you: the payment {payment.company} reported for {payment.year} is no longer matched to you",
        "success",
    )
    return redirect(url_for("declare.home", _anchor="payments"))


@bp.get("/interests/<int:interest_id>")
def show_interest(interest_id: int) -> Any:
    interest = _my_interest(interest_id)
    return render_template(
        "declare/interest.html",
        interest=interest,
        requests=service.withholding_requests_of(_me()).get(interest.id, []),
        withdrawable=WITHDRAWABLE_WITHHOLDING_STATUSES,
        statuses=WITHHOLDING_STATUS_BY_CODE,
        covered=service.is_covered(interest.current, clock.today()),
    )


@bp.route("/interests/<int:interest_id>/change", methods=["GET", "POST"])
def change_interest(interest_id: int) -> Any:
    interest = _my_interest(interest_id)
    current = interest.current
    form = InterestForm(data=_answers(current) if request.method == "GET" else None)
    if form.validate_on_submit():
        version = service.change_interest(interest, _details(form), actor=_account())
        if version is None:
            flash("You did not change anything", "info")
        else:
            flash(f"Interest changed: {form.other_party.data}", "success")
        return redirect(url_for("declare.check"))
    return render_template(
        "declare/interest_form.html",
        form=form,
        heading="Change an interest",
        interest=interest,
        **_vocabulary(),
    )


@bp.route("/interests/<int:interest_id>/end", methods=["GET", "POST"])
def end_interest(interest_id: int) -> Any:
    interest = _my_interest(interest_id)
    form = EndInterestForm(starts_on=interest.current.date_from)
    if form.validate_on_submit():
        assert form.date_to.data is not None  # noqa: S101 - required, so validated
        service.end_interest(interest, form.date_to.data, actor=_account())
        flash(f"Interest ended: {interest.current.other_party}", "success")
        return redirect(url_for("declare.check"))
    return render_template("declare/end.html", form=form, interest=interest)


@bp.route("/interests/<int:interest_id>/withhold", methods=["GET", "POST"])
def withhold(interest_id: int) -> Any:
    interest = _my_interest(interest_id)
    places = service.workplaces(_me(), clock.today())
    form = WithholdForm()
    form.providers.choices = [SelectChoice(str(w.provider.id), w.provider.name) for w in places]
    if request.method == "GET":
        form.providers.data = [str(w.provider.id) for w in places]
    if form.validate_on_submit():
        try:
            service.request_withholding(
                interest,
                form.providers.provider_ids,
                form.reason.data,
                actor=_account(),
                on=clock.today(),
            )
        except DeclarationProblem as problem:
            discard()
            form.providers.errors.append(str(problem))
        else:
            flash("Request sent: the entry is not published while your provider decides", "success")
            return redirect(url_for("declare.show_interest", interest_id=interest.id))
    return render_template("declare/withhold.html", form=form, interest=interest, workplaces=places)


@bp.route("/interests/<int:interest_id>/withholding/<int:request_id>/withdraw", methods=["GET", "POST"])
def withdraw_withholding(interest_id: int, request_id: int) -> Any:
    """Withdraw a request to withhold: asked on a page of its own, since the entry is then published."""
    interest = _my_interest(interest_id)
    found = service.withholding_request_of(_me(), interest.id, request_id)
    if found is None or found.status not in WITHDRAWABLE_WITHHOLDING_STATUSES:
        abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        service.withdraw_withholding(found, actor=_account())
        flash(
            f"Request withdrawn: the entry is now published on {found.provider.name}'s register",
            "success",
        )
        return redirect(url_for("declare.show_interest", interest_id=interest.id))
    return render_template("declare/withdraw.html", form=form, interest=interest, request=found)


@bp.route("/check", methods=["GET", "POST"])
def check() -> Any:
    professional = _me()
    today = clock.today()
    places = service.workplaces(professional, today)
    versions = service.covered_versions(professional, today)
    form = SendForm()
    form.providers.choices = [SelectChoice(str(w.provider.id), w.provider.name) for w in places]
    if request.method == "GET":
        form.providers.data = [str(w.provider.id) for w in places]
        form.shown.data = ",".join(str(v.id) for v in versions)
    if versions and form.validate_on_submit():
        try:
            outcome = service.send_declaration(
                professional,
                actor=_account(),
                provider_ids=form.providers.provider_ids,
                shown_version_ids=form.shown_version_ids,
                nil_return=False,
                on=today,
            )
        except DeclarationProblem as problem:
            discard()
            form.providers.errors.append(str(problem))
            form.shown.data = ",".join(str(v.id) for v in versions)
        else:
            return redirect(url_for("declare.sent", key=outcome.submission_key))
    return render_template(
        "declare/check.html",
        form=form,
        versions=versions,
        workplaces=places,
        cutoff=service.covered_after(today),
        statement=service.DECLARATION_STATEMENT,
        withholding=service.withholding_requests_of(professional),
        awaiting=identity.awaiting_confirmation(professional.id, today),
    )


@bp.get("/preview")
def preview() -> Any:
    professional = _me()
    return render_template(
        "declare/preview.html",
        professional=professional,
        previews=service.preview(professional, clock.today()),
    )


@bp.route("/nil-return", methods=["GET", "POST"])
def nil_return() -> Any:
    professional = _me()
    today = clock.today()
    places = service.workplaces(professional, today)
    versions = service.covered_versions(professional, today)
    form = NilReturnForm()
    form.providers.choices = [SelectChoice(str(w.provider.id), w.provider.name) for w in places]
    if request.method == "GET":
        form.providers.data = [str(w.provider.id) for w in places]
    if not versions and form.validate_on_submit():
        try:
            outcome = service.send_declaration(
                professional,
                actor=_account(),
                provider_ids=form.providers.provider_ids,
                shown_version_ids=None,
                nil_return=True,
                on=today,
            )
        except DeclarationProblem as problem:
            discard()
            form.providers.errors.append(str(problem))
        else:
            return redirect(url_for("declare.sent", key=outcome.submission_key))
    return render_template(
        "declare/nil_return.html",
        form=form,
        versions=versions,
        workplaces=places,
        statement=service.NIL_RETURN_STATEMENT,
    )


@bp.get("/sent/<key>")
def sent(key: str) -> Any:
    if not _SUBMISSION_KEY.fullmatch(key):
        abort(404)
    sent_declarations = service.declarations_sent(_me(), key)
    if not sent_declarations:
        abort(404)
    return render_template("declare/sent.html", declarations=sent_declarations)
