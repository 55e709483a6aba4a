"""sealed second-factor secrets: each account's TOTP secret kept encrypted (Fernet), not as it is

The column is widened for the token (140 characters for a 32-character secret) and every secret
already set is sealed with the first of SECOND_FACTOR_KEYS (the app's setting: unset, the key derived
from SECRET_KEY, so run the upgrade with the deployment's own settings). The downgrade opens them
again and narrows the column back; it stops, changing nothing, if a secret opens with none of the
keys.

The keys are read here from the app's config (Flask-Migrate runs this inside the app), and the
sealing is done with cryptography directly, so this revision does not change with the app's code.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 14:30:00
"""

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

account = sa.table("account", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _keys() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in current_app.config["SECOND_FACTOR_KEYS"]])


def _secrets(connection):
    return connection.execute(
        sa.select(account.c.id, account.c.totp_secret).where(account.c.totp_secret.is_not(None))
    ).all()


def _write(connection, changes):
    if changes:
        connection.execute(
            account.update()
            .where(account.c.id == sa.bindparam("row_id"))
            .values(totp_secret=sa.bindparam("secret")),
            changes,
        )


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    connection = op.get_bind()
    keys = _keys()
    changes = []
    for row_id, value in _secrets(connection):
        try:
            keys.decrypt(value.encode("ascii"))
            continue  # already sealed (a base32 secret is never a valid token)
        except (InvalidToken, UnicodeError):
            pass
        changes.append({"row_id": row_id, "secret": keys.encrypt(value.encode("utf-8")).decode("ascii")})
    _write(connection, changes)


def downgrade():
    connection = op.get_bind()
    keys = _keys()
    changes, unreadable = [], []
    for row_id, value in _secrets(connection):
        try:
            changes.append({"row_id": row_id, "secret": keys.decrypt(value.encode("ascii")).decode("utf-8")})
        except (InvalidToken, UnicodeError):
            unreadable.append(row_id)
    if unreadable:
        raise RuntimeError(
            f"The second-factor secrets of accounts {', '.join(map(str, unreadable[:20]))} open with none "
            "of SECOND_FACTOR_KEYS: list the key they were sealed with, then downgrade again"
        )
    _write(connection, changes)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
