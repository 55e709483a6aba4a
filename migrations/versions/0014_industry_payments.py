"""industry payments: a Disclosure UK year's import and its payments, each matched (or not) to a
professional

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "disclosure_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("certain", sa.Integer(), nullable=False),
        sa.Column("probable", sa.Integer(), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Integer(), nullable=False),
        sa.Column("nobody", sa.Integer(), nullable=False),
        sa.Column("aggregate_rows", sa.Integer(), nullable=False),
        sa.Column("not_understood", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_disclosure_import_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_import"),
        sa.UniqueConstraint("year", name="uq_disclosure_import_year"),
    )
    op.create_table(
        "industry_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disclosure_import_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("identifier", sa.String(length=40), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("company_key", sa.String(length=200), nullable=False),
        sa.Column("registration_fees_pence", sa.Integer(), nullable=False),
        sa.Column("travel_pence", sa.Integer(), nullable=False),
        sa.Column("fees_pence", sa.Integer(), nullable=False),
        sa.Column("related_expenses_pence", sa.Integer(), nullable=False),
        sa.Column("total_pence", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=True),
        sa.Column("match", sa.String(length=20), nullable=False),
        sa.Column("match_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "registration_fees_pence >= 0 AND travel_pence >= 0 AND fees_pence >= 0 "
            "AND related_expenses_pence >= 0 AND total_pence >= 0",
            name="ck_industry_payment_amounts_not_negative",
        ),
        sa.CheckConstraint(
            "match IN ('certain', 'probable', 'possible', 'ambiguous', 'nobody')",
            name="ck_industry_payment_known_match",
        ),
        sa.CheckConstraint(
            "(professional_id IS NULL) = (match IN ('ambiguous', 'nobody'))",
            name="ck_industry_payment_matched_has_professional",
        ),
        sa.ForeignKeyConstraint(
            ["disclosure_import_id"],
            ["disclosure_import.id"],
            name="fk_industry_payment_disclosure_import_id_disclosure_import",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["professional.id"], name="fk_industry_payment_professional_id_professional"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_industry_payment"),
    )
    with op.batch_alter_table("industry_payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_industry_payment_disclosure_import_id", ["disclosure_import_id"], unique=False
        )
        batch_op.create_index(
            "ix_industry_payment_professional_year", ["professional_id", "year"], unique=False
        )


def downgrade():
    with op.batch_alter_table("industry_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_industry_payment_professional_year")
        batch_op.drop_index("ix_industry_payment_disclosure_import_id")
    op.drop_table("industry_payment")
    op.drop_table("disclosure_import")
