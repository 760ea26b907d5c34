"""library: per-record verification side table (cheap unchanged re-ingest); tombstones need no schema (issue 4)

Revision ID: 0007l
Revises: 0006
Create Date: 2026-11-25 23:40:00

``library_record_verified`` holds, for a version an ingest confirmed unchanged, the last ingest that confirmed it
and when. A narrow row (no data), so re-verifying a million records writes a million ~60-byte rows instead of
rewriting a million records with their JSON. On PostgreSQL the table keeps free space per page (fillfactor 50):
a re-verification changes no indexed column, so the update is HOT (no index write).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db

revision = "0007l"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = govshare.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "library_record_verified",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("table_id", sa.BigInteger(), nullable=False),
        sa.Column("ingest_id", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_library_record_verified")),
        postgresql_with={"fillfactor": 50},
    )


def downgrade() -> None:
    op.drop_table("library_record_verified")
