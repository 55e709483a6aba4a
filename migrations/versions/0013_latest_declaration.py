"""latest declaration per professional per provider: the staff page's and inspectors' statuses
read one indexed row instead of searching every declaration

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "latest_declaration",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name="fk_latest_declaration_declaration_id_declaration",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professional.id"],
            name="fk_latest_declaration_professional_id_professional",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name="fk_latest_declaration_provider_id_provider"
        ),
        sa.PrimaryKeyConstraint("provider_id", "professional_id", name="pk_latest_declaration"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("latest_declaration", schema=None) as batch_op:
        batch_op.create_index("ix_latest_declaration_provider_date", ["provider_id", "declared_on"])
        batch_op.create_index(
            "ix_latest_declaration_provider_professional_date",
            ["provider_id", "professional_id", "declared_on"],
        )
        batch_op.create_index("ix_latest_declaration_declared_on", ["declared_on"])
        batch_op.create_index("ix_latest_declaration_declaration_id", ["declaration_id"])
    # Backfill: each (provider, professional)'s latest declaration, the latest date then the
    # highest id (as interests.models.declarations.rebuild_latest works it out).
    op.execute(
        "INSERT INTO latest_declaration (provider_id, professional_id, declaration_id, declared_on) "
        "SELECT provider_id, professional_id, id, declared_on FROM ("
        "  SELECT provider_id, professional_id, id, declared_on, row_number() OVER ("
        "    PARTITION BY provider_id, professional_id ORDER BY declared_on DESC, id DESC"
        "  ) AS position FROM declaration"
        ") AS ranked WHERE position = 1"
    )


def downgrade():
    with op.batch_alter_table("latest_declaration", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_declaration_declaration_id")
        batch_op.drop_index("ix_latest_declaration_declared_on")
        batch_op.drop_index("ix_latest_declaration_provider_professional_date")
        batch_op.drop_index("ix_latest_declaration_provider_date")
    op.drop_table("latest_declaration")
