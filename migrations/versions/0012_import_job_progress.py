"""staff import jobs: progress any web server can read, a heartbeat, attempts and a message

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 04:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("done", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("total", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("message", sa.String(length=255), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("staff_import_job", schema=None) as batch_op:
        batch_op.drop_column("message")
        batch_op.drop_column("attempts")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("total")
        batch_op.drop_column("done")
        batch_op.drop_column("step")
