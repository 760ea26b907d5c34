"""library: unified resource library tables, records with versions, ingests, quarantine, quality (issue 4)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import govshare.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = govshare.db.UTCDateTime(timezone=True)
RecordData = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
RecordKey = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "library_table",
        sa.Column("id", BigId, nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("base", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("update_cycle", sa.String(length=16), nullable=False),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_rows", sa.BigInteger(), nullable=False),
        sa.Column("last_change_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_change_at", UTC, nullable=True),
        sa.Column("last_verified_at", UTC, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_table")),
        sa.UniqueConstraint("resource_code", name=op.f("uq_library_table_resource_code")),
    )
    with op.batch_alter_table("library_table", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_table_provider_org_id"), ["provider_org_id"], unique=False)

    op.create_table(
        "library_record",
        sa.Column("id", BigId, nullable=False),
        sa.Column("table_id", sa.BigInteger(), nullable=False),
        sa.Column("key", RecordKey, nullable=False),
        sa.Column("superseded", sa.BigInteger(), nullable=False),
        sa.Column("prev_id", sa.BigInteger(), nullable=True),
        sa.Column("data", RecordData, nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("valid_from", UTC, nullable=False),
        sa.Column("valid_to", UTC, nullable=True),
        sa.Column("ingest_id", sa.BigInteger(), nullable=False),
        sa.Column("verified_ingest_id", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_record")),
    )
    with op.batch_alter_table("library_record", schema=None) as batch_op:
        batch_op.create_index("uq_library_record_version", ["table_id", "key", "superseded"], unique=True)

    op.create_table(
        "library_ingest",
        sa.Column("id", BigId, nullable=False),
        sa.Column("table_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_org_id", sa.String(length=32), nullable=True),
        sa.Column("source_system_id", sa.String(length=32), nullable=True),
        sa.Column("source_system", sa.String(length=128), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_accepted", sa.BigInteger(), nullable=False),
        sa.Column("rows_rejected", sa.BigInteger(), nullable=False),
        sa.Column("inserted", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("heartbeat_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_ingest")),
    )
    with op.batch_alter_table("library_ingest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_ingest_table_id"), ["table_id"], unique=False)

    op.create_table(
        "library_quarantine",
        sa.Column("id", BigId, nullable=False),
        sa.Column("ingest_id", sa.BigInteger(), nullable=False),
        sa.Column("table_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_quarantine")),
    )
    with op.batch_alter_table("library_quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_library_quarantine_ingest_row", ["ingest_id", "row_number"], unique=False)
        batch_op.create_index("ix_library_quarantine_table_rule", ["table_id", "rule"], unique=False)

    op.create_table(
        "library_quality_run",
        sa.Column("id", BigId, nullable=False),
        sa.Column("table_id", sa.BigInteger(), nullable=False),
        sa.Column("run_at", UTC, nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_quality_run")),
    )
    with op.batch_alter_table("library_quality_run", schema=None) as batch_op:
        batch_op.create_index("ix_library_quality_run_table_time", ["table_id", "run_at"], unique=False)


def downgrade() -> None:
    for table in ("library_quality_run", "library_quarantine", "library_ingest", "library_record", "library_table"):
        op.drop_table(table)
