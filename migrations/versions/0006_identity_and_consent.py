"""identity and consent across providers: each engagement keeps its provider's contact address and
the professional's confirmation; invitations link one engagement; identity claims; no shared email

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:40:00

Existing data: a professional's one shared address moves to their first engagement (the provider
that added them first recorded it); an engagement the professional has already sent a declaration
to counts as confirmed; an engagement whose professional was invited there counts as asked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engagement_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_invitation_engagement_id"), ["engagement_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_engagement_id_engagement"), "engagement", ["engagement_id"], ["id"]
        )
    op.create_table(
        "identity_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("account_email", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_account_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_identity_claim_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_account_id"],
            ["account.id"],
            name=op.f("fk_identity_claim_decided_by_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagement.id"], name=op.f("fk_identity_claim_engagement_id_engagement")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitation.id"], name=op.f("fk_identity_claim_invitation_id_invitation")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professional.id"],
            name=op.f("fk_identity_claim_professional_id_professional"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_identity_claim_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_claim")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_identity_claim_invitation_id")),
    )
    with op.batch_alter_table("identity_claim", schema=None) as batch_op:
        batch_op.create_index("ix_identity_claim_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_identity_claim_professional_id"), ["professional_id"], unique=False
        )

    # The shared address becomes the first engagement's (its provider recorded it first).
    op.execute(
        """
        UPDATE engagement SET email = (
            SELECT professional.email FROM professional WHERE professional.id = engagement.professional_id
        )
        WHERE engagement.id = (
            SELECT MIN(e2.id) FROM engagement e2 WHERE e2.professional_id = engagement.professional_id
        )
        """
    )
    op.execute(
        """
        UPDATE engagement SET confirmed_at = created_at
        WHERE EXISTS (
            SELECT 1 FROM declaration
            WHERE declaration.professional_id = engagement.professional_id
              AND declaration.provider_id = engagement.provider_id
        )
        """
    )
    op.execute(
        """
        UPDATE engagement SET asked_at = created_at
        WHERE EXISTS (
            SELECT 1 FROM invitation
            WHERE invitation.professional_id = engagement.professional_id
              AND invitation.provider_id = engagement.provider_id
        )
        """
    )
    op.execute(
        """
        UPDATE invitation SET engagement_id = (
            SELECT MIN(engagement.id) FROM engagement
            WHERE engagement.professional_id = invitation.professional_id
              AND engagement.provider_id = invitation.provider_id
        )
        """
    )
    with op.batch_alter_table("professional", schema=None) as batch_op:
        batch_op.drop_column("email")


def downgrade():
    with op.batch_alter_table("professional", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
    op.execute(
        """
        UPDATE professional SET email = (
            SELECT engagement.email FROM engagement
            WHERE engagement.professional_id = professional.id AND engagement.email IS NOT NULL
            ORDER BY engagement.id LIMIT 1
        )
        """
    )
    with op.batch_alter_table("identity_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_claim_professional_id"))
        batch_op.drop_index("ix_identity_claim_status_created")
    op.drop_table("identity_claim")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitation_engagement_id_engagement"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invitation_engagement_id"))
        batch_op.drop_column("engagement_id")
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_column("asked_at")
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("email")
