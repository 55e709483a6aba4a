"""question email confirmation and daily limits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:05:00.000000

Questions asked before this revision keep their address but have no confirmation: their replies
are recorded and not emailed, as the address was never shown to belong to the asker.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("email_token_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_patient_question_email_token_hash"), ["email_token_hash"]
        )
        batch_op.create_index("ix_patient_question_client_asked", ["client_key", "asked_at"], unique=False)
        batch_op.create_index("ix_patient_question_asked_at", ["asked_at"], unique=False)


def downgrade():
    with op.batch_alter_table("patient_question", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_question_asked_at")
        batch_op.drop_index("ix_patient_question_client_asked")
        batch_op.drop_constraint(batch_op.f("uq_patient_question_email_token_hash"), type_="unique")
        batch_op.drop_column("client_key")
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("email_token_expires_at")
        batch_op.drop_column("email_token_hash")
