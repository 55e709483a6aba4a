"""payment answers: "this is me" beside "this is not me"; a payment's confirmation and whether it
was declared, kept with the writes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COPIED = (
    "professional_id, account_id, industry_payment_id, year, line, full_name, company, company_key, "
    "total_pence, match, match_reason"
)


def upgrade():
    op.create_table(
        "payment_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("industry_payment_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("company_key", sa.String(length=200), nullable=False),
        sa.Column("total_pence", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=20), nullable=False),
        sa.Column("match_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("answer IN ('me', 'not_me')", name="ck_payment_answer_known_answer"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name="fk_payment_answer_account_id_account"),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["professional.id"], name="fk_payment_answer_professional_id_professional"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_answer"),
    )
    with op.batch_alter_table("payment_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_answer_professional_year", ["professional_id", "year"], unique=False
        )
    op.execute(
        f"INSERT INTO payment_answer (answer, answered_at, {_COPIED}) "  # noqa: S608 - constant text
        f"SELECT 'not_me', rejected_at, {_COPIED} FROM payment_rejection ORDER BY id"
    )
    with op.batch_alter_table("payment_rejection", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_rejection_professional_year")
    op.drop_table("payment_rejection")

    with op.batch_alter_table("industry_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("declared", sa.Boolean(), nullable=True))
        batch_op.create_index("ix_industry_payment_undeclared", ["declared", "professional_id"], unique=False)
    # Payments already imported are reconciled again by the next import of their year (or
    # `flask disclosure reconcile`); until then they count as neither declared nor not.


def downgrade():
    with op.batch_alter_table("industry_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_industry_payment_undeclared")
        batch_op.drop_column("declared")
        batch_op.drop_column("confirmed_at")
    op.create_table(
        "payment_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("industry_payment_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("company_key", sa.String(length=200), nullable=False),
        sa.Column("total_pence", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=20), nullable=False),
        sa.Column("match_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_payment_rejection_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["professional.id"], name="fk_payment_rejection_professional_id_professional"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_rejection"),
    )
    with op.batch_alter_table("payment_rejection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_rejection_professional_year", ["professional_id", "year"], unique=False
        )
    op.execute(
        f"INSERT INTO payment_rejection (rejected_at, {_COPIED}) "  # noqa: S608 - constant text
        f"SELECT answered_at, {_COPIED} FROM payment_answer WHERE answer = 'not_me' ORDER BY id"
    )
    op.drop_index("ix_payment_answer_professional_year", table_name="payment_answer")
    op.drop_table("payment_answer")
