"""catalog search: browse counts, indexes in each browse order, token statistics for searches (issue 3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:00:00

The catalog's landing page is a search without words: its facets counted every projection row (≈ 80 ms at 100k
resources on either store). ``catalog_search_facet`` now also holds the counts of the pseudo-token ``''``
(``govshare.catalog.search.ALL_DOCS``), one per (visibility, provider, classification, packed facet key) of all
resources; backfilled here from ``catalog_search_doc``, kept in step by ``sync_doc``/``drop_doc`` from now on.
``ix_catalog_search_doc_newest``, ``_name`` and ``_code`` give the page of such a search in each of its orders
without sorting every visible resource (staff see two visibility values, which ``ix_catalog_search_doc_vis_sort``
cannot read in order).

PostgreSQL: ANALYZE keeps the frequencies of the 1,000 most common tokens (default 100), from which search orders
the words of a query rarest first (``govshare.catalog.search._token_frequencies``), and statistics of the packed
facet key's parts on ``catalog_search_doc`` (``govshare.catalog.search._fkey_part``), so that filters on them
are estimated from the data rather than guessed.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: statistics name -> a part of the packed facet key, written as search's filters write it
FKEY_PARTS = {
    "st_catalog_search_doc_share": "fkey & 3",
    "st_catalog_search_doc_open": "(fkey >> 2) & 3",
    "st_catalog_search_doc_cycle": "(fkey >> 4) & 15",
    "st_catalog_search_doc_level": "(fkey >> 8) & 7",
}


def upgrade() -> None:
    op.execute(
        "INSERT INTO catalog_search_facet (token, vis, prov, class3, fkey, n) "
        "SELECT '', vis, prov, class3, fkey, count(*) FROM catalog_search_doc GROUP BY vis, prov, class3, fkey"
    )
    dialect = op.get_bind().dialect
    # name order is byte order on both stores (search sorts names COLLATE "C" on PostgreSQL, SQLite's default)
    name = 'name COLLATE "C"' if dialect.name == "postgresql" else "name"
    for index, first in (("newest", "sort_us"), ("name", name), ("code", "code")):
        op.execute(
            f"CREATE INDEX ix_catalog_search_doc_{index} ON catalog_search_doc "
            f"({first}, doc_id, vis, prov, class3, fkey)"
        )
    if dialect.name == "postgresql":
        op.execute("ALTER TABLE catalog_search_token ALTER COLUMN token SET STATISTICS 1000")
        if dialect.server_version_info >= (14,):  # statistics of expressions are new in PostgreSQL 14
            for name, expression in FKEY_PARTS.items():
                op.execute(f"CREATE STATISTICS {name} ON ({expression}) FROM catalog_search_doc")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in FKEY_PARTS:
            op.execute(f"DROP STATISTICS IF EXISTS {name}")
        op.execute("ALTER TABLE catalog_search_token ALTER COLUMN token SET STATISTICS -1")
    for index in ("newest", "name", "code"):
        op.execute(f"DROP INDEX ix_catalog_search_doc_{index}")
    op.execute("DELETE FROM catalog_search_facet WHERE token = ''")
