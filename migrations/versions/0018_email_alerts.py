"""email alerts: subscriptions, and extra headers on an outbox email (List-Unsubscribe)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told_up_to", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscription")),
        sa.UniqueConstraint("email", "kind", "target", name=op.f("uq_alert_subscription_email_kind_target")),
    )
    with op.batch_alter_table("alert_subscription", schema=None) as batch_op:
        batch_op.create_index("ix_alert_subscription_confirmed", ["confirmed_at", "id"], unique=False)
        batch_op.create_index("ix_alert_subscription_created", ["created_at"], unique=False)
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_column("headers")
    with op.batch_alter_table("alert_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_subscription_created")
        batch_op.drop_index("ix_alert_subscription_confirmed")
    op.drop_table("alert_subscription")
