"""Tables of the unified resource library (统一资源库).

- ``library_table``: one library table (a base or thematic library), linked to its catalog resource by
  ``resource_code`` (no foreign key: the catalog is another domain), with its schema as JSON.
- ``library_record``: every version of every record of every table. The primary key ``id`` is the change
  sequence (变更序号): it only grows, and writers of one table are serialized (a row lock on the table's
  ``library_table`` row), so "changed since N" never misses a version committed later with a smaller number.
  Inside one batch the order is key order (the batch's payload is sorted, which keeps the key index warm).
  ``superseded`` is 0 for the current version and the row's own id once a newer version replaced it, so one
  unique index (table, key, superseded) both forbids two current versions of a key and serves history look-ups.
  ``data`` is the JSON array of the values in schema field order.
  A **tombstone** (删除标记) is a version with ``content_hash`` = ``store.TOMBSTONE`` and ``data`` = ``[]``: a
  deletion closes the current version and makes the tombstone current, with its own change sequence, so feeds
  deliver the deletion, "as of" before it still finds the old version and current reads skip the key.
- ``library_record_verified``: the last ingest that confirmed a version unchanged (a narrow side row).
- ``library_ingest``: one load of one file (导入批次): who, what file, counts per rule, progress per batch.
- ``library_quarantine``: rejected values (file, row number, field, rule, value).
- ``library_quality_run``: quality reports, kept as history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from govshare.db import Base, UTCDateTime, utcnow

#: A growing integer key: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")
#: Record data: JSONB on PostgreSQL (queryable, ->> in quality rules), JSON text on SQLite.
RecordData = JSON().with_variant(JSONB(), "postgresql")
#: Record keys are codes (ID numbers, USCCs, licence identifiers): byte order is their natural order, and the
#: "C" collation lets PostgreSQL compare them with memcmp instead of the database locale's strcoll (the key
#: index is compared on every insert). SQLite compares bytes (BINARY) already.
RecordKey = String(255).with_variant(String(255, collation="C"), "postgresql")


class LibraryTable(Base):
    __tablename__ = "library_table"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The catalog resource code (资源代码) this table serves; unique.
    resource_code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # base | thematic
    base: Mapped[str | None] = mapped_column(String(32))  # person | legal_entity | licence | place | credit
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The data-source department (数源部门) responsible for the data (谁提供、谁负责).
    provider_org_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    #: 更新周期, as the catalog spells it: realtime, daily, weekly, monthly, quarterly, semiannual, annual,
    #: irregular, other.
    update_cycle: Mapped[str] = mapped_column(String(16), nullable=False)
    schema_json: Mapped[str] = mapped_column(Text, nullable=False)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Current versions (one per key), kept by every batch transaction.
    current_rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    #: The change sequence of the newest version and when data last changed / was last confirmed by an ingest.
    last_change_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class LibraryRecord(Base):
    __tablename__ = "library_record"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # the change sequence
    table_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    key: Mapped[str] = mapped_column(RecordKey, nullable=False)
    superseded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    #: The version this one replaced (NULL for a key's first version).
    prev_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[list] = mapped_column(RecordData, nullable=False)
    #: First 128 bits of SHA-256 over ``data`` as stored, in hex: unchanged rows are recognized by it.
    content_hash: Mapped[str] = mapped_column(String(32), nullable=False)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The ingest that wrote this version, and the last ingest that confirmed it unchanged (with its time).
    ingest_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    verified_ingest_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    # No (table_id, id) index for feeds: it cost a third of the insert time in the 1M-row benchmark; a feed
    # reads "id > N" along the primary key and filters the table, and polls with nothing new stop at
    # library_table.last_change_seq without touching this table.
    __table_args__ = (Index("uq_library_record_version", "table_id", "key", "superseded", unique=True),)


class LibraryRecordVerified(Base):
    """The last ingest that confirmed a version unchanged (核验), when it is not the one that wrote it.

    Kept beside the record so that re-verifying a version writes a narrow row instead of rewriting the record
    with its data (PostgreSQL: a HOT update on a fillfactor-50 page). The version's verification is
    ``coalesce(verified.ingest_id, record.verified_ingest_id)`` (likewise ``verified_at``).
    """

    __tablename__ = "library_record_verified"

    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    table_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ingest_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)


class LibraryIngest(Base):
    __tablename__ = "library_ingest"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    table_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    resource_code: Mapped[str] = mapped_column(String(64), nullable=False)
    provider_org_id: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_org_id: Mapped[str | None] = mapped_column(String(32))
    #: The business system the data came from (来源系统): the calling system, or one named by a staff user.
    source_system_id: Mapped[str | None] = mapped_column(String(32))
    source_system: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16), nullable=False)
    encoding: Mapped[str | None] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: running → completed | failed | interrupted (a running ingest whose process died)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    batch_size: Mapped[int] = mapped_column(Integer, nullable=False)
    batches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_read: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rows_accepted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    inserted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    #: {"rules": {code: n}, "fields": {field: {code: n}}, "ignored_columns": [...], "missing_columns": [...]}
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[float | None] = mapped_column(Float)


class LibraryQuarantine(Base):
    __tablename__ = "library_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ingest_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    table_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    #: CSV: record number, the header being 1 (blank lines do not count); Excel: spreadsheet row; JSON Lines:
    #: line number; Parquet: 1-based record number.
    row_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    field: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    value: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (
        Index("ix_library_quarantine_ingest_row", "ingest_id", "row_number"),
        Index("ix_library_quarantine_table_rule", "table_id", "rule"),
    )


class LibraryQualityRun(Base):
    __tablename__ = "library_quality_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    table_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: 0–100, the mean of the dimension scores.
    score: Mapped[float] = mapped_column(Float, nullable=False)
    report: Mapped[dict] = mapped_column(JSON, nullable=False)

    __table_args__ = (Index("ix_library_quality_run_table_time", "table_id", "run_at"),)
