"""System admins' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from interests.services.identity import DECISION_REASON_MAX_LENGTH


class ClaimDecisionForm(FlaskForm):
    decision = RadioField(
        "What have you decided?",
        choices=[
            SelectChoice("reject", "Keep the account with its address and refuse the claim"),
            SelectChoice("transfer", "Move the account to the claimant's address"),
        ],
        validators=[DataRequired("Select what you have decided")],
    )
    reason = TextAreaField(
        "Your reason",
        validators=[
            DataRequired("Enter the reason for your decision"),
            Length(
                max=DECISION_REASON_MAX_LENGTH,
                message=f"The reason must be {DECISION_REASON_MAX_LENGTH:,} characters or fewer",
            ),
        ],
    )
