"""counted engagement: which engagement counts for each professional at each provider, over which
days, with their latest declaration's date, so the inspectors' figures read one table

Filled from `engagement` and `latest_declaration`: a professional with one engagement at a provider
has one row, that engagement from its start to its end (one INSERT ... SELECT); the others are
worked out here in Python, as interests.rules.compliance.counted_spans does (copied, so this
revision does not change with the app's code; tests/db/test_migrations.py holds the two equal).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 18:00:00
"""

from datetime import date, timedelta
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_COLUMNS = (
    "provider_id",
    "professional_id",
    "counts_from",
    "counts_until",
    "engagement_id",
    "engagement_type",
    "start_date",
    "declared_on",
)


def _spans(engagements):
    """(counts_from, counts_until, engagement) for one pair's engagements (id, type, start, end)."""
    turns = sorted(
        {e[2] for e in engagements}
        | {e[3] + timedelta(days=1) for e in engagements if e[3] is not None and e[3] < date.max}
    )
    spans = []
    for index, day in enumerate(turns):
        in_scope = [e for e in engagements if e[2] <= day and (e[3] is None or e[3] >= day)]
        if not in_scope:
            continue
        counted = min(in_scope, key=lambda e: (e[2], e[0]))
        until = turns[index + 1] - timedelta(days=1) if index + 1 < len(turns) else None
        if spans and spans[-1][2] == counted and spans[-1][1] == day - timedelta(days=1):
            spans[-1] = (spans[-1][0], until, counted)
        else:
            spans.append((day, until, counted))
    return spans


def upgrade():
    op.create_table(
        "counted_engagement",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("counts_from", sa.Date(), nullable=False),
        sa.Column("counts_until", sa.Date(), nullable=True),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("engagement_type", sa.String(length=30), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name="fk_counted_engagement_engagement_id_engagement",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "provider_id", "professional_id", "counts_from", name="pk_counted_engagement"
        ),
    )
    with op.batch_alter_table("counted_engagement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counted_engagement_provider_type_start",
            [
                "provider_id",
                "engagement_type",
                "start_date",
                "professional_id",
                "counts_from",
                "counts_until",
                "declared_on",
                "engagement_id",
            ],
        )
        batch_op.create_index("ix_counted_engagement_engagement_id", ["engagement_id"])
    latest = (
        "LEFT OUTER JOIN latest_declaration AS l "
        "ON l.provider_id = e.provider_id AND l.professional_id = e.professional_id "
    )
    other = (
        "EXISTS (SELECT 1 FROM engagement AS o WHERE o.provider_id = e.provider_id "
        "AND o.professional_id = e.professional_id AND o.id <> e.id)"
    )
    op.execute(
        f"INSERT INTO counted_engagement ({', '.join(_COLUMNS)}) "  # noqa: S608  # nosec B608
        "SELECT e.provider_id, e.professional_id, e.start_date, e.end_date, e.id, e.engagement_type, "
        f"e.start_date, l.declared_on FROM engagement AS e {latest}WHERE NOT {other}"
    )
    connection = op.get_bind()
    records = connection.execute(
        sa.text(
            "SELECT e.provider_id, e.professional_id, e.id, e.engagement_type, e.start_date, "  # noqa: S608
            f"e.end_date, l.declared_on FROM engagement AS e {latest}WHERE {other} "  # nosec B608
            "ORDER BY e.provider_id, e.professional_id, e.id"
        ).columns(
            # Typed, so SQLite's text dates come back as dates.
            sa.column("provider_id", sa.Integer()),
            sa.column("professional_id", sa.Integer()),
            sa.column("id", sa.Integer()),
            sa.column("engagement_type", sa.String()),
            sa.column("start_date", sa.Date()),
            sa.column("end_date", sa.Date()),
            sa.column("declared_on", sa.Date()),
        )
    ).all()
    dates = {"counts_from", "counts_until", "start_date", "declared_on"}
    table = sa.table(
        "counted_engagement",
        *(sa.column(name, sa.Date() if name in dates else sa.Integer()) for name in _COLUMNS[:5]),
        sa.column("engagement_type", sa.String()),
        *(sa.column(name, sa.Date()) for name in _COLUMNS[6:]),
    )
    batch = []
    for (provider_id, professional_id), group in groupby(records, key=lambda r: (r[0], r[1])):
        mine = [tuple(r) for r in group]
        declared_on = mine[0][6]
        for counts_from, counts_until, counted in _spans([r[2:6] for r in mine]):
            batch.append(
                dict(
                    zip(
                        _COLUMNS,
                        (
                            provider_id,
                            professional_id,
                            counts_from,
                            counts_until,
                            counted[0],
                            counted[1],
                            counted[2],
                            declared_on,
                        ),
                        strict=True,
                    )
                )
            )
        if len(batch) >= 10_000:
            op.bulk_insert(table, batch)
            batch = []
    if batch:
        op.bulk_insert(table, batch)


def downgrade():
    with op.batch_alter_table("counted_engagement", schema=None) as batch_op:
        batch_op.drop_index("ix_counted_engagement_engagement_id")
        batch_op.drop_index("ix_counted_engagement_provider_type_start")
    op.drop_table("counted_engagement")
