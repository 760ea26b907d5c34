"""catalog: resources, data items, versions, reviews and the search projection (issue 3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:55:24.903872
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import govshare.db  # noqa: F401  (custom column types)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_counter",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_catalog_counter")),
    )
    op.create_table(
        "catalog_search_token",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("doc_id", sa.BigInteger(), nullable=False),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.Column("vis", sa.SmallInteger(), nullable=False),
        sa.Column("prov", sa.Integer(), nullable=False),
        sa.Column("class3", sa.SmallInteger(), nullable=False),
        sa.Column("fkey", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", "doc_id", name="pk_catalog_search_token"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # A covering primary key: a search reads postings by index-only scans, never the heap (on SQLite the
        # WITHOUT ROWID table is itself the index).
        op.execute("ALTER TABLE catalog_search_token DROP CONSTRAINT pk_catalog_search_token")
        op.execute(
            "ALTER TABLE catalog_search_token ADD CONSTRAINT pk_catalog_search_token "
            "PRIMARY KEY (token, doc_id) INCLUDE (weight, vis, prov, class3, fkey)"
        )
    op.create_table(
        "catalog_search_provider",
        sa.Column("no", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_catalog_search_provider_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("no", name=op.f("pk_catalog_search_provider")),
        sa.UniqueConstraint("org_id", name=op.f("uq_catalog_search_provider_org_id")),
    )
    op.create_table(
        "catalog_resource",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("provider_org_id", sa.String(length=32), nullable=False),
        sa.Column("classification_kind", sa.String(length=16), nullable=False),
        sa.Column("classification_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=True),
        sa.Column("share_condition", sa.Text(), nullable=False),
        sa.Column("share_basis", sa.Text(), nullable=False),
        sa.Column("share_reason", sa.String(length=16), nullable=True),
        sa.Column("share_modes", sa.JSON(), nullable=False),
        sa.Column("open_type", sa.String(length=16), nullable=True),
        sa.Column("open_condition", sa.Text(), nullable=False),
        sa.Column("update_cycle", sa.String(length=16), nullable=True),
        sa.Column("network", sa.String(length=24), nullable=True),
        sa.Column("related_codes", sa.JSON(), nullable=False),
        sa.Column("is_data_source", sa.Boolean(), nullable=False),
        sa.Column("served_by", sa.String(length=24), nullable=True),
        sa.Column("served_by_ref", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_listed", sa.Boolean(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("revision", sa.JSON(), nullable=True),
        sa.Column("completeness", sa.Float(), nullable=False),
        sa.Column("published_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("modified_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_org_id"], ["organization.id"], name=op.f("fk_catalog_resource_provider_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resource")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_resource_code")),
    )
    with op.batch_alter_table("catalog_resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_resource_provider_org_id"), ["provider_org_id"], unique=False)

    op.create_table(
        "catalog_item",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("machine_name", sa.String(length=64), nullable=False),
        sa.Column("data_type", sa.String(length=16), nullable=True),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=True),
        sa.Column("is_secret", sa.Boolean(), nullable=False),
        sa.Column("is_sensitive", sa.Boolean(), nullable=False),
        sa.Column("sensitivity", sa.String(length=2), nullable=True),
        sa.Column("masking", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resource.id"],
            name=op.f("fk_catalog_item_resource_id_catalog_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_item")),
        sa.UniqueConstraint("resource_id", "machine_name", name="uq_catalog_item_resource_machine_name"),
    )
    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_item_machine_name", ["machine_name"], unique=False)
        batch_op.create_index("ix_catalog_item_name", ["name"], unique=False)

    op.create_table(
        "catalog_review",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_by_name", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by_name", sa.String(length=128), nullable=True),
        sa.Column("decided_at", govshare.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resource.id"],
            name=op.f("fk_catalog_review_resource_id_catalog_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_review")),
    )
    with op.batch_alter_table("catalog_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_review_decision"), ["decision"], unique=False)
        batch_op.create_index("ix_catalog_review_resource", ["resource_id", "submitted_at"], unique=False)

    op.create_table(
        "catalog_search_doc",
        sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("vis", sa.SmallInteger(), nullable=False),
        sa.Column("prov", sa.Integer(), nullable=False),
        sa.Column("class3", sa.SmallInteger(), nullable=False),
        sa.Column("fkey", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("sort_us", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resource.id"],
            name=op.f("fk_catalog_search_doc_resource_id_catalog_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_catalog_search_doc")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_catalog_search_doc_resource_id")),
    )
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_search_doc_prov", ["prov"], unique=False)
        batch_op.create_index("ix_catalog_search_doc_vis_sort", ["vis", "sort_us"], unique=False)

    op.create_table(
        "catalog_version",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("published_at", govshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("review_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resource.id"],
            name=op.f("fk_catalog_version_resource_id_catalog_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
        sa.UniqueConstraint("resource_id", "version", name="uq_catalog_version_resource_version"),
    )


def downgrade() -> None:
    op.drop_table("catalog_version")
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_search_doc_vis_sort")
        batch_op.drop_index("ix_catalog_search_doc_prov")

    op.drop_table("catalog_search_doc")
    with op.batch_alter_table("catalog_review", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_review_resource")
        batch_op.drop_index(batch_op.f("ix_catalog_review_decision"))

    op.drop_table("catalog_review")
    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_item_name")
        batch_op.drop_index("ix_catalog_item_machine_name")

    op.drop_table("catalog_item")
    with op.batch_alter_table("catalog_resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resource_provider_org_id"))

    op.drop_table("catalog_resource")
    op.drop_table("catalog_search_provider")
    op.drop_table("catalog_search_token")
    op.drop_table("catalog_counter")
