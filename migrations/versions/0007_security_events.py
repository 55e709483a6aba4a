"""security events: the security log (sign-ins, refusals, sensitive reads)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:20:00

A new, empty table: nothing that happened before this revision was logged.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_security_event_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_event_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index("ix_security_event_kind_occurred", ["kind", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_security_event_account_occurred", ["account_id", "occurred_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index("ix_security_event_account_occurred")
        batch_op.drop_index("ix_security_event_kind_occurred")
        batch_op.drop_index(batch_op.f("ix_security_event_occurred_at"))
    op.drop_table("security_event")
