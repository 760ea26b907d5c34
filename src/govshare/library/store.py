"""Record storage: one set-based write per batch, versions, "as of" and "changed since" reads.

A batch reaches the store as a whole and is written by a few statements, never a statement per row:

* SQLite: the batch travels as one JSON document and ``json_each`` unpacks it inside SQLite;
* PostgreSQL: ``COPY`` into a temporary staging table.

Either way the heavy work runs in C with the GIL released, so the ingest's writer thread overlaps with the
cleaning and validation of the next batch in the main thread (see ingest.py).

Two paths:

* **fresh** — the table had no rows when the ingest began: ``INSERT … ON CONFLICT DO NOTHING`` straight into
  ``library_record``; if any row conflicted (a key repeated across batches), the batch is rolled back to a
  savepoint and redone on the general path;
* **general** — stage the batch, look up each key's current version once (set-based join), then: a key this
  ingest already wrote is a duplicate (quarantined); same content hash → only ``verified_*`` moves (nothing
  else changes, so re-ingesting a file is idempotent); different hash → the current version is closed
  (``superseded = id``, ``valid_to``) and a new one inserted with ``prev_id``; unknown key → inserted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import orjson
from psycopg.errors import UniqueViolation
from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from govshare.db import UTCDateTime
from govshare.library.compiler import ProcessedChunk
from govshare.library.models import LibraryRecord

_TS = UTCDateTime()


def _sql(statement: str) -> text:
    return text(statement).bindparams(bindparam("ts", type_=_TS))


# ---- SQLite ----------------------------------------------------------------------------------------------
# A payload element is ["<content hash>", <data array>, "<key>"] (see build_payload).
_SQLITE_FAST = _sql(
    "INSERT INTO library_record (table_id, key, superseded, prev_id, data, content_hash, valid_from, valid_to, "
    "ingest_id, verified_ingest_id, verified_at) "
    "SELECT :t, json_extract(j.value, '$[2]') AS k, 0, NULL, json_extract(j.value, '$[1]'), "
    "json_extract(j.value, '$[0]'), :ts, NULL, :i, :i, :ts FROM json_each(CAST(:batch AS TEXT)) AS j WHERE true "
    "ORDER BY k "
    "ON CONFLICT (table_id, key, superseded) DO NOTHING"
)
_SQLITE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS library_stage (n INTEGER PRIMARY KEY, key TEXT NOT NULL, data TEXT NOT NULL, "
    "content_hash TEXT NOT NULL, prev_id INTEGER, old_hash TEXT, old_verified INTEGER)"
)
_SQLITE_FILL = text(
    "INSERT INTO library_stage (n, key, data, content_hash) SELECT j.key, json_extract(j.value, '$[2]'), "
    "json_extract(j.value, '$[1]'), json_extract(j.value, '$[0]') FROM json_each(CAST(:batch AS TEXT)) AS j"
)
#: Page cache of a connection while it writes an ingest batch: the key index of a few million records then stays
#: in memory instead of being re-read for every random insert (2 MB, SQLite's default, thrashes at 1M keys).
SQLITE_INGEST_CACHE_KB = 65_536
#: WAL pages after which the ingest's connection checkpoints (SQLite's default: 1000). Consecutive batches keep
#: rewriting the same key-index pages; checkpointing every ~4 MB copied each of those versions into the database
#: file, while every ~80 MB copies the last one only (−30 % write time at 1M rows). The ingest checkpoints once
#: at its end, so the WAL does not stay large.
SQLITE_INGEST_CHECKPOINT_PAGES = 20_000
# ---- PostgreSQL ------------------------------------------------------------------------------------------
#: The COPY payload has the record's own layout, so a fresh table takes it straight into library_record (half the
#: time of staging, sorting and INSERT … SELECT); the staging table has the same columns, plus its position n.
_PG_COLUMNS = "key, data, content_hash, table_id, superseded, valid_from, ingest_id, verified_ingest_id, verified_at"
_PG_COPY_RECORDS = f"COPY library_record ({_PG_COLUMNS}) FROM STDIN"
_PG_STAGE = (
    "CREATE TEMP TABLE library_stage (n BIGINT GENERATED ALWAYS AS IDENTITY (START WITH 0 MINVALUE 0) PRIMARY KEY, "
    'key TEXT COLLATE "C" NOT NULL, data JSONB NOT NULL, content_hash TEXT NOT NULL, table_id BIGINT, '
    "superseded BIGINT, valid_from TIMESTAMPTZ, ingest_id BIGINT, verified_ingest_id BIGINT, "
    "verified_at TIMESTAMPTZ, prev_id BIGINT, old_hash TEXT, old_verified BIGINT) ON COMMIT DROP"
)
_PG_COPY_STAGE = f"COPY library_stage ({_PG_COLUMNS}) FROM STDIN"
# ---- both ------------------------------------------------------------------------------------------------
_LOOKUP = text(
    "UPDATE library_stage SET prev_id = r.id, old_hash = r.content_hash, old_verified = r.verified_ingest_id "
    "FROM library_record AS r WHERE r.table_id = :t AND r.key = library_stage.key AND r.superseded = 0"
)
_DUPLICATES = text("SELECT n FROM library_stage WHERE old_verified = :i ORDER BY n")
_DROP_DUPLICATES = text("DELETE FROM library_stage WHERE old_verified = :i")
_VERIFY = _sql(
    "UPDATE library_record SET verified_ingest_id = :i, verified_at = :ts "
    "WHERE id IN (SELECT prev_id FROM library_stage WHERE old_hash = content_hash)"
)
_CLOSE = _sql(
    "UPDATE library_record SET superseded = id, valid_to = :ts "
    "WHERE id IN (SELECT prev_id FROM library_stage WHERE prev_id IS NOT NULL AND old_hash <> content_hash)"
)
_INSERT_CHANGED = _sql(
    "INSERT INTO library_record (table_id, key, superseded, prev_id, data, content_hash, valid_from, valid_to, "
    "ingest_id, verified_ingest_id, verified_at) "
    "SELECT :t, key, 0, prev_id, data, content_hash, :ts, NULL, :i, :i, :ts FROM library_stage "
    "WHERE prev_id IS NULL OR old_hash <> content_hash ORDER BY key"
)

#: COPY text format: backslash, tab, newline and carriage return must be escaped inside a value.
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: A key that can go into JSON (SQLite payload) between quotes as it is.
_JSON_PLAIN = re.compile(r'[^"\\\x00-\x1f]*').fullmatch


@dataclass(frozen=True, slots=True)
class Stamp:
    """What every record of a batch shares: its table, its ingest and its time (valid_from = verified_at)."""

    table_id: int
    ingest_id: int
    at: dt.datetime

    def copy_suffix(self) -> str:
        """The constant tail of a COPY line (PostgreSQL text format)."""
        at = self.at.astimezone(dt.UTC).isoformat(sep=" ")
        return f"\t{self.table_id:d}\t0\t{at}\t{self.ingest_id:d}\t{self.ingest_id:d}\t{at}\n"


def build_payload(chunk: ProcessedChunk, dialect: str, stamp: Stamp) -> bytes:
    """The batch as the store takes it in one statement; built by the ingest's main thread (pure Python work),
    so that the writer thread holds the GIL as little as possible.

    - SQLite: a JSON array of ``["<hash>", <data>, "<key>"]``, unpacked by ``json_each`` (bound as a BLOB of
      UTF-8 and cast to text inside SQLite, which spares a 15 MB str ↔ UTF-8 round trip per batch); records
      are inserted in key order, so the key index is filled in order (fewer pages touched) and the change
      sequence inside one batch follows key order, not file order;
    - PostgreSQL: COPY text lines in the record's layout (``key, data, hash, table, 0, at, ingest, ingest, at``).
    """
    items = payload_items(chunk.keys, chunk.datas, chunk.hashes, dialect, stamp).encode()
    return items if dialect == "postgresql" else b"[" + items + b"]"


def payload_items(keys: list[str], datas: list[str], hashes: list[str], dialect: str, stamp: Stamp) -> str:
    """The records as payload text without the enclosing brackets (SQLite) or as COPY lines (PostgreSQL)."""
    if dialect == "postgresql":
        escape, suffix = _COPY_ESCAPE, stamp.copy_suffix()
        return "".join(
            f"{k.translate(escape)}\t{d.replace(chr(92), chr(92) * 2) if chr(92) in d else d}\t{h}{suffix}"
            for k, d, h in zip(keys, datas, hashes, strict=True)
        )
    plain = _JSON_PLAIN
    quoted = [f'"{k}"' if plain(k) else orjson.dumps(k).decode() for k in keys]
    return ",".join(map('["{}",{},{}]'.format, hashes, datas, quoted))


@dataclass(slots=True)
class WriteOutcome:
    inserted: int = 0  # keys new to the table
    updated: int = 0  # keys whose content changed: a new version
    unchanged: int = 0  # keys confirmed with the same content
    #: Row numbers of records whose key this ingest had already written in an earlier batch.
    duplicates: list[int] = field(default_factory=list)
    last_seq: int = 0
    fresh_conflict: bool = False


def lock_table(session: Session, table_id: int) -> None:
    """Serialize writers of one table (SQLite write transactions are serialized already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT id FROM library_table WHERE id = :t FOR UPDATE"), {"t": table_id})


def write_batch(session: Session, chunk: ProcessedChunk, payload: bytes, stamp: Stamp, *, fresh: bool) -> WriteOutcome:
    """Write the accepted records of ``chunk`` inside the caller's transaction (``payload``: see build_payload).

    ``stamp.at`` must be later than every version of the table (the caller checks it under the table lock).
    """
    out = WriteOutcome()
    n = len(chunk.keys)
    if n == 0:
        return out
    params = {"t": stamp.table_id, "i": stamp.ingest_id, "ts": stamp.at}
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        raw = session.connection().connection.driver_connection
        if fresh:
            # Explicit savepoint: the COPY runs on the driver connection, which SQLAlchemy's begin_nested() would
            # only set up at the session's next statement.
            session.execute(text("SAVEPOINT library_fresh"))
            try:
                with raw.cursor() as cur, cur.copy(_PG_COPY_RECORDS) as copy:
                    copy.write(payload)
            except UniqueViolation:  # a key repeated across batches, or another ingest got there first
                session.execute(text("ROLLBACK TO SAVEPOINT library_fresh"))
                out.fresh_conflict = True
            else:
                session.execute(text("RELEASE SAVEPOINT library_fresh"))
                out.inserted = n
                out.last_seq = _last_seq(session, stamp.table_id)
                return out
        session.execute(text(_PG_STAGE))
        with raw.cursor() as cur, cur.copy(_PG_COPY_STAGE) as copy:
            copy.write(payload)
    else:
        session.execute(text(f"PRAGMA cache_size=-{SQLITE_INGEST_CACHE_KB:d}"))
        session.execute(text(f"PRAGMA wal_autocheckpoint={SQLITE_INGEST_CHECKPOINT_PAGES:d}"))
        if fresh:
            session.execute(text("SAVEPOINT library_fresh"))
            inserted = session.execute(_SQLITE_FAST, {**params, "batch": payload}).rowcount
            if inserted == n:
                session.execute(text("RELEASE SAVEPOINT library_fresh"))
                out.inserted = n
                out.last_seq = _last_seq(session, stamp.table_id)
                return out
            # a key repeated across batches, or another ingest got there first
            session.execute(text("ROLLBACK TO SAVEPOINT library_fresh"))
            out.fresh_conflict = True
        session.execute(text(_SQLITE_STAGE))
        session.execute(text("DELETE FROM library_stage"))
        session.execute(_SQLITE_FILL, {"batch": payload})
    session.execute(_LOOKUP, params)
    dup_positions = list(session.scalars(_DUPLICATES, params))
    if dup_positions:
        out.duplicates = [chunk.row_numbers[p] for p in dup_positions]
        session.execute(_DROP_DUPLICATES, params)
    out.unchanged = session.execute(_VERIFY, params).rowcount
    out.updated = session.execute(_CLOSE, params).rowcount
    written = session.execute(_INSERT_CHANGED, params).rowcount
    out.inserted = written - out.updated
    out.last_seq = _last_seq(session, stamp.table_id)
    return out


def checkpoint(db) -> None:  # noqa: ANN001 (a govshare.db.Database)
    """SQLite: copy the WAL into the database file now (PASSIVE: never blocks readers or writers)."""
    if not db.is_sqlite:
        return
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()


def _last_seq(session: Session, table_id: int) -> int:
    return session.scalar(text("SELECT max(id) FROM library_record WHERE table_id = :t"), {"t": table_id}) or 0


# ---- reads -----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class StoredRecord:
    seq: int
    key: str
    current: bool
    prev_seq: int | None
    values: list
    content_hash: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    ingest_id: int
    verified_ingest_id: int
    verified_at: dt.datetime


def _record(row: LibraryRecord) -> StoredRecord:
    data = row.data
    return StoredRecord(
        seq=row.id,
        key=row.key,
        current=row.superseded == 0,
        prev_seq=row.prev_id,
        values=orjson.loads(data) if isinstance(data, str | bytes) else list(data),
        content_hash=row.content_hash,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        ingest_id=row.ingest_id,
        verified_ingest_id=row.verified_ingest_id,
        verified_at=row.verified_at,
    )


def current_record(session: Session, table_id: int, key: str) -> StoredRecord | None:
    row = session.scalar(
        select(LibraryRecord).where(
            LibraryRecord.table_id == table_id, LibraryRecord.key == key, LibraryRecord.superseded == 0
        )
    )
    return _record(row) if row else None


def record_as_of(session: Session, table_id: int, key: str, when: dt.datetime) -> StoredRecord | None:
    """The version that was current at ``when`` (valid_from ≤ when < valid_to)."""
    row = session.scalar(
        select(LibraryRecord)
        .where(
            LibraryRecord.table_id == table_id,
            LibraryRecord.key == key,
            LibraryRecord.valid_from <= when,
            or_(LibraryRecord.valid_to.is_(None), LibraryRecord.valid_to > when),
        )
        .order_by(LibraryRecord.id.desc())
        .limit(1)
    )
    return _record(row) if row else None


def record_history(session: Session, table_id: int, key: str) -> list[StoredRecord]:
    rows = session.scalars(
        select(LibraryRecord)
        .where(LibraryRecord.table_id == table_id, LibraryRecord.key == key)
        .order_by(LibraryRecord.id)
    )
    return [_record(r) for r in rows]


def changes_since(session: Session, table_id: int, since: int, limit: int) -> list[StoredRecord]:
    """Versions written after change sequence ``since``, oldest first (a feed pages on the last seq it saw)."""
    rows = session.scalars(
        select(LibraryRecord)
        .where(LibraryRecord.table_id == table_id, LibraryRecord.id > since)
        .order_by(LibraryRecord.id)
        .limit(limit)
    )
    return [_record(r) for r in rows]


def current_count(session: Session, table_id: int) -> int:
    return session.scalar(select(func.count()).where(LibraryRecord.table_id == table_id, LibraryRecord.superseded == 0))
