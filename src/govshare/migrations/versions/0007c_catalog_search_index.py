"""catalog search: per-token facet counts and a rank index on postings (issue 3, search latency)

Revision ID: 0007c
Revises: 0006
Create Date: 2026-11-25 23:30:00

``catalog_search_facet`` holds, per token, the number of resources for each (visibility, provider,
classification, packed facet key); it is backfilled here from the postings, and kept in step on every write by
``govshare.catalog.search.sync_doc``. ``ix_catalog_search_token_rank`` orders each token's postings by weight,
so that the first page of a one-word search is read without sorting all its matches;
``ix_catalog_item_resource_position`` lets the hit list read the matching item names from an index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007c"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_search_facet",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("vis", sa.SmallInteger(), nullable=False),
        sa.Column("prov", sa.Integer(), nullable=False),
        sa.Column("class3", sa.SmallInteger(), nullable=False),
        sa.Column("fkey", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", "vis", "prov", "class3", "fkey", name="pk_catalog_search_facet"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Covering primary key: the facet counts of a word are an index-only range scan.
        op.execute("ALTER TABLE catalog_search_facet DROP CONSTRAINT pk_catalog_search_facet")
        op.execute(
            "ALTER TABLE catalog_search_facet ADD CONSTRAINT pk_catalog_search_facet "
            "PRIMARY KEY (token, vis, prov, class3, fkey) INCLUDE (n)"
        )
    # Backfill from the postings: the same numbers sync_doc maintains from now on.
    op.execute(
        "INSERT INTO catalog_search_facet (token, vis, prov, class3, fkey, n) "
        "SELECT token, vis, prov, class3, fkey, count(*) FROM catalog_search_token "
        "GROUP BY token, vis, prov, class3, fkey"
    )
    op.execute(
        "CREATE INDEX ix_catalog_search_token_rank ON catalog_search_token "
        "(token, weight DESC, doc_id, vis, prov, class3, fkey)"
    )
    op.create_index("ix_catalog_item_resource_position", "catalog_item", ["resource_id", "position", "name"])


def downgrade() -> None:
    op.drop_index("ix_catalog_item_resource_position", table_name="catalog_item")
    op.execute("DROP INDEX ix_catalog_search_token_rank")
    op.drop_table("catalog_search_facet")
