"""payment rejections: a professional says a reported industry payment is not about them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
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


def downgrade():
    with op.batch_alter_table("payment_rejection", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_rejection_professional_year")
    op.drop_table("payment_rejection")
