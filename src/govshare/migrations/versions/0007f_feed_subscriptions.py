"""exchange: push subscriptions to feeds and their delivery state (issue 6, item 4)

Revision ID: 0007f
Revises: 0006
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db

revision = "0007f"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = govshare.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchange_subscription",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("purpose_category", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=256), nullable=False),
        sa.Column("endpoint_url", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("page_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("pending_until", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("delivered_pages", sa.BigInteger(), nullable=False),
        sa.Column("delivered_rows", sa.BigInteger(), nullable=False),
        sa.Column("last_delivered_at", UTC, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_exchange_subscription_org_id_organization")
        ),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"], name=op.f("fk_exchange_subscription_system_id_system")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_subscription")),
    )
    with op.batch_alter_table("exchange_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_subscription_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exchange_subscription_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exchange_subscription_resource_code"), ["resource_code"], unique=False)
        batch_op.create_index("ix_exchange_subscription_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_subscription_due")
        batch_op.drop_index(batch_op.f("ix_exchange_subscription_resource_code"))
        batch_op.drop_index(batch_op.f("ix_exchange_subscription_system_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_subscription_org_id"))
    op.drop_table("exchange_subscription")
