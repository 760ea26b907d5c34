"""catalog search: counts of every resource and a newest-first index, for searches without words (issue 3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:00:00

The catalog's landing page is a search without words: its facets counted every projection row (≈ 80 ms at 100k
resources on either store). ``catalog_search_facet`` now also holds the counts of the pseudo-token ``''``
(``govshare.catalog.search.ALL_DOCS``), one per (visibility, provider, classification, packed facet key) of all
resources; backfilled here from ``catalog_search_doc``, kept in step by ``sync_doc``/``drop_doc`` from now on.
``ix_catalog_search_doc_newest`` gives the page of such a search, newest first, without sorting every visible
resource (staff see two visibility values, which ``ix_catalog_search_doc_vis_sort`` cannot read in order).
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO catalog_search_facet (token, vis, prov, class3, fkey, n) "
        "SELECT '', vis, prov, class3, fkey, count(*) FROM catalog_search_doc GROUP BY vis, prov, class3, fkey"
    )
    op.create_index(
        "ix_catalog_search_doc_newest", "catalog_search_doc", ["sort_us", "doc_id", "vis", "prov", "class3", "fkey"]
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_search_doc_newest", table_name="catalog_search_doc")
    op.execute("DELETE FROM catalog_search_facet WHERE token = ''")
