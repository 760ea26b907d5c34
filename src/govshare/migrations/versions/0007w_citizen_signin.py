"""web: the citizen page's one-time codes, sessions and rate-limit counters in the database (issue 7)

Revision ID: 0007w
Revises: 0006
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db

revision = "0007w"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = govshare.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "citizen_signin",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_citizen_signin")),
    )
    with op.batch_alter_table("citizen_signin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_signin_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "citizen_signin_attempt",
        sa.Column("id", BigId, nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_signin_attempt")),
    )
    with op.batch_alter_table("citizen_signin_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_citizen_signin_attempt_key", ["scope", "key_hash", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("citizen_signin_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_signin_attempt_key")
    op.drop_table("citizen_signin_attempt")
    with op.batch_alter_table("citizen_signin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_signin_expires_at"))
    op.drop_table("citizen_signin")
