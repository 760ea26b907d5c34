"""Catalog tables: resources, data items, published versions, reviews, and the search projection.

A resource row holds its *current content*: for a resource that was never published, the draft; for a listed
(published) one, the published version — the content every other department and the exchange rely on. A change
to a listed resource is kept aside in ``revision`` until a reviewer approves it, so the published entry never
shows unreviewed metadata. ``catalog_version`` keeps a snapshot of every published version.

The search projection (``catalog_search_doc`` + ``catalog_search_token`` + ``catalog_search_facet``) is derived
from the current content and rebuilt on every change; it is the only thing search reads, so search never touches
the wide tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govshare.db import Base, UTCDateTime, new_id, utcnow

#: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
_BIGID = BigInteger().with_variant(Integer(), "sqlite")


class Resource(Base):
    """A catalog entry (政务信息资源目录条目)."""

    __tablename__ = "catalog_resource"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # 资源代码: 分类码/顺序码
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    # ---- current content (GB/T 21063 metadata) ----
    classification_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    classification_code: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    formats: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    share_type: Mapped[str | None] = mapped_column(String(16))
    share_condition: Mapped[str] = mapped_column(Text, nullable=False, default="")
    share_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    share_reason: Mapped[str | None] = mapped_column(String(16))
    share_modes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    open_type: Mapped[str | None] = mapped_column(String(16))
    open_condition: Mapped[str] = mapped_column(Text, nullable=False, default="")
    update_cycle: Mapped[str | None] = mapped_column(String(16))
    network: Mapped[str | None] = mapped_column(String(24))
    related_codes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    is_data_source: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 数源部门
    # ---- how the data is served (set by later issues) ----
    served_by: Mapped[str | None] = mapped_column(String(24))
    served_by_ref: Mapped[str | None] = mapped_column(String(500))
    # ---- lifecycle ----
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    is_listed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # in the published catalog
    published_version: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # pending change to a listed resource
    completeness: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 发布日期 (first publication)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest published version
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    items: Mapped[list[Item]] = relationship(
        back_populates="resource", order_by="Item.position", cascade="all, delete-orphan", lazy="selectin"
    )


class Item(Base):
    """A data item (信息项) of a resource's current content."""

    __tablename__ = "catalog_item"
    __table_args__ = (
        UniqueConstraint("resource_id", "machine_name", name="uq_catalog_item_resource_machine_name"),
        Index("ix_catalog_item_machine_name", "machine_name"),
        Index("ix_catalog_item_name", "name"),
        # covering: the item names shown on a page of search hits are read from this index alone (0007c)
        Index("ix_catalog_item_resource_position", "resource_id", "position", "name"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)  # 中文名称
    machine_name: Mapped[str] = mapped_column(String(64), nullable=False)  # 字段名
    data_type: Mapped[str | None] = mapped_column(String(16))
    length: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_key: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # queries may use it
    share_type: Mapped[str | None] = mapped_column(String(16))  # None: as the resource
    is_secret: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 涉密
    is_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 敏感
    sensitivity: Mapped[str | None] = mapped_column(String(2))  # L1..L4
    masking: Mapped[str | None] = mapped_column(String(64))  # masking pattern, see catalog.validation

    resource: Mapped[Resource] = relationship(back_populates="items")


class Version(Base):
    """A snapshot of one published version (已发布版本)."""

    __tablename__ = "catalog_version"
    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_catalog_version_resource_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    approved_by: Mapped[str] = mapped_column(String(64), nullable=False)
    review_id: Mapped[str | None] = mapped_column(String(32))


class Review(Base):
    """One request for review (publication or revocation) and its decision, with the checks shown to the reviewer."""

    __tablename__ = "catalog_review"
    __table_args__ = (Index("ix_catalog_review_resource", "resource_id", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # publish | revoke
    target_version: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(64), nullable=False)
    submitted_by_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    checks: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    decision: Mapped[str | None] = mapped_column(String(16), index=True)  # approved | rejected | None (pending)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_by_name: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Counter(Base):
    """Named counters: the sequence part of resource codes, one per classification code."""

    __tablename__ = "catalog_counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class SearchProvider(Base):
    """A compact number per providing department, so that postings carry a 4-byte provider instead of a 32-char id."""

    __tablename__ = "catalog_search_provider"

    no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, unique=True)


class SearchDoc(Base):
    """Search projection of a resource: visibility, facet and sort columns, keyed by a compact integer.

    ``vis``: bit 1 listed (published catalog), bit 2 open catalog. ``fkey`` packs the enumerated facets
    (see :mod:`govshare.catalog.search`). The same columns are copied into every posting of the resource.
    """

    __tablename__ = "catalog_search_doc"
    __table_args__ = (
        Index("ix_catalog_search_doc_vis_sort", "vis", "sort_us"),
        Index("ix_catalog_search_doc_prov", "prov"),
        # newest first, with the visibility and filter columns: a page of a search without words, for staff (who
        # see several visibility values) too, is the head of this index read backwards, without a sort (0009);
        # likewise ix_catalog_search_doc_name and _code, which 0009 creates with name COLLATE "C" on PostgreSQL
        Index("ix_catalog_search_doc_newest", "sort_us", "doc_id", "vis", "prov", "class3", "fkey"),
    )

    doc_id: Mapped[int] = mapped_column(_BIGID, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_resource.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    vis: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    prov: Mapped[int] = mapped_column(Integer, nullable=False)
    class3: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 类+项 as a number, e.g. 101
    fkey: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    sort_us: Mapped[int] = mapped_column(BigInteger, nullable=False)  # modified time, µs since epoch
    tokens: Mapped[str] = mapped_column(Text, nullable=False, default="")  # indexed tokens, to delete postings


class SearchToken(Base):
    """Postings: one row per (jieba token, resource) with the fields it occurs in as weight bits, and the
    resource's visibility and facet columns, so that a one-word search is a single index range scan.

    SQLite: a WITHOUT ROWID table (the rows are the primary-key B-tree). PostgreSQL: the migration makes the
    primary key cover the other columns (``INCLUDE``), so searches are index-only scans."""

    __tablename__ = "catalog_search_token"
    __table_args__ = (
        PrimaryKeyConstraint("token", "doc_id", name="pk_catalog_search_token"),
        {"sqlite_with_rowid": False},
    )

    token: Mapped[str] = mapped_column(String(64), nullable=False)
    doc_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    weight: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    vis: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    prov: Mapped[int] = mapped_column(Integer, nullable=False)
    class3: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    fkey: Mapped[int] = mapped_column(Integer, nullable=False)


#: Postings in rank order (weight descending, then doc id), carrying the filter columns: the first page of a
#: one-word search by relevance is the head of one index range, read without a sort (migration 0007c).
Index(
    "ix_catalog_search_token_rank",
    SearchToken.token,
    SearchToken.weight.desc(),
    SearchToken.doc_id,
    SearchToken.vis,
    SearchToken.prov,
    SearchToken.class3,
    SearchToken.fkey,
)


class SearchFacet(Base):
    """Per-token facet counts (按词预计的分面计数), maintained on write: how many resources containing ``token``
    have the visibility ``vis``, provider ``prov``, classification ``class3`` and packed facets ``fkey``.

    A one-word search reads its facets from here — a few hundred to a few thousand rows, whatever the number of
    matches — instead of counting every matching posting. ``sync_doc``/``drop_doc`` keep it equal to
    ``SELECT token, vis, prov, class3, fkey, count(*) FROM catalog_search_token GROUP BY 1, 2, 3, 4, 5`` in the
    writing transaction (rows reaching zero are deleted); a test checks that identity after every lifecycle step.
    """

    __tablename__ = "catalog_search_facet"
    __table_args__ = (
        PrimaryKeyConstraint("token", "vis", "prov", "class3", "fkey", name="pk_catalog_search_facet"),
        {"sqlite_with_rowid": False},
    )

    token: Mapped[str] = mapped_column(String(64), nullable=False)
    vis: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    prov: Mapped[int] = mapped_column(Integer, nullable=False)
    class3: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    fkey: Mapped[int] = mapped_column(Integer, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
