"""compliance snapshot: industry payments not declared, per provider

Snapshots taken before this revision did not count them: they read 0 (industry payments arrived
with 0014, in the same release, so no deployed snapshot had any to count). Taking a date's
snapshot again (`flask --app interests compliance snapshot --as-of YYYY-MM-DD`) counts them for that date.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undeclared_payments", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    # The default was only for the rows already there: the snapshot writes every figure.
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.alter_column("undeclared_payments", server_default=None)


def downgrade():
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.drop_column("undeclared_payments")
