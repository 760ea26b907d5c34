"""exchange: provider bindings (where each resource's data lives)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db  # noqa: F401  (custom column types)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_binding",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_exchange_binding_provider_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_binding")),
        sa.UniqueConstraint("resource_code", name=op.f("uq_exchange_binding_resource_code")),
    )
    with op.batch_alter_table("exchange_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_binding_provider_org_id"), ["provider_org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_binding_provider_org_id"))
    op.drop_table("exchange_binding")
