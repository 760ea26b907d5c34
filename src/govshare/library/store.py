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
  ingest already wrote is a duplicate (quarantined); same content hash → only the narrow verification row
  (``library_record_verified``) is written, the record is not touched (re-ingesting a file is idempotent and
  cheap); different hash → the current version is closed (``superseded = id``, ``valid_to``) and a new one
  inserted with ``prev_id``; unknown key, or a key whose current version is a tombstone → inserted.

Deletions (:func:`delete_current`) close the current version and write a tombstone (``TOMBSTONE``) as the new
current version; every read here skips tombstones except history and changes, which mark them ``deleted``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from psycopg.errors import UniqueViolation
from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from govshare.db import UTCDateTime
from govshare.library.compiler import ProcessedChunk
from govshare.library.models import LibraryRecord, LibraryRecordVerified

_TS = UTCDateTime()


def _sql(statement: str) -> text:
    return text(statement).bindparams(bindparam("ts", type_=_TS))


# ---- SQLite ----------------------------------------------------------------------------------------------
# A payload member is "<content hash><key>": <data array> (see build_payload; the hash has HASH_HEX = 32
# characters): json_each hands out the label and the data as they are, where an array per record cost three
# json_extract parses of it (a quarter of the insert). The members come in key order and json_each keeps document
# order, so the rows are inserted in key order without SQLite sorting them again (a sixth of the insert).
_SQLITE_FAST = _sql(
    "INSERT INTO library_record (table_id, key, superseded, prev_id, data, content_hash, valid_from, valid_to, "
    "ingest_id, verified_ingest_id, verified_at) "
    "SELECT :t, substr(j.key, 33), 0, NULL, j.value, substr(j.key, 1, 32), :ts, NULL, "
    ":i, :i, :ts FROM json_each(CAST(:batch AS TEXT)) AS j WHERE true "
    "ON CONFLICT (table_id, key, superseded) DO NOTHING"
)
_SQLITE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS library_stage (n INTEGER PRIMARY KEY, key TEXT NOT NULL, data TEXT NOT NULL, "
    "content_hash TEXT NOT NULL, prev_id INTEGER, old_hash TEXT, old_verified INTEGER)"
)
_SQLITE_FILL = text(
    "INSERT INTO library_stage (key, data, content_hash) SELECT substr(j.key, 33), j.value, substr(j.key, 1, 32) "
    "FROM json_each(CAST(:batch AS TEXT)) AS j"
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
#: ``content_hash`` of a tombstone (a deleted key's current version): not hex, so no content hash equals it.
TOMBSTONE = "deleted"
#: The current version of each staged key, looked up once into a narrow table (rewriting the staged rows with
#: the result, as before, copied their data again: a third of a PostgreSQL re-ingest).
_PG_MATCH = (
    "CREATE TEMP TABLE library_match (n BIGINT PRIMARY KEY, prev_id BIGINT NOT NULL, old_hash TEXT NOT NULL, "
    "old_verified BIGINT NOT NULL, new_hash TEXT NOT NULL) ON COMMIT DROP"
)
_SQLITE_MATCH = (
    "CREATE TEMP TABLE IF NOT EXISTS library_match (n INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL, "
    "old_hash TEXT NOT NULL, old_verified INTEGER NOT NULL, new_hash TEXT NOT NULL)"
)
_LOOKUP = text(
    "INSERT INTO library_match (n, prev_id, old_hash, old_verified, new_hash) "
    "SELECT s.n, r.id, r.content_hash, coalesce(v.ingest_id, r.verified_ingest_id), s.content_hash "
    "FROM library_stage AS s JOIN library_record AS r ON r.table_id = :t AND r.key = s.key AND r.superseded = 0 "
    "LEFT JOIN library_record_verified AS v ON v.record_id = r.id"
)
#: PostgreSQL: the same, one key-index probe per staged key (LIMIT 1 keeps the subquery a nested loop). Left to
#: itself the planner hashed the whole table for every batch (0.6 s a batch at 1M rows, growing with the table).
_PG_LOOKUP = text(
    "INSERT INTO library_match (n, prev_id, old_hash, old_verified, new_hash) "
    "SELECT s.n, c.id, c.content_hash, c.verified, s.content_hash FROM library_stage AS s CROSS JOIN LATERAL ("
    "SELECT r.id, r.content_hash, coalesce(v.ingest_id, r.verified_ingest_id) AS verified FROM library_record AS r "
    "LEFT JOIN library_record_verified AS v ON v.record_id = r.id "
    "WHERE r.table_id = :t AND r.key = s.key AND r.superseded = 0 LIMIT 1) AS c"
)
_DUPLICATES = text(
    "SELECT s.key FROM library_match AS m JOIN library_stage AS s ON s.n = m.n WHERE m.old_verified = :i ORDER BY m.n"
)
_DROP_DUPLICATES = (
    text("DELETE FROM library_stage WHERE n IN (SELECT n FROM library_match WHERE old_verified = :i)"),
    text("DELETE FROM library_match WHERE old_verified = :i"),
)
#: Unchanged: only the narrow verification row is written (inserted, or updated in place).
_VERIFY = _sql(
    "INSERT INTO library_record_verified (record_id, table_id, ingest_id, verified_at) "
    "SELECT prev_id, :t, :i, :ts FROM library_match WHERE old_hash = new_hash "
    "ON CONFLICT (record_id) DO UPDATE SET ingest_id = excluded.ingest_id, verified_at = excluded.verified_at"
)
_REVIVED = text("SELECT count(*) FROM library_match WHERE old_hash = :tomb")
_CLOSE = _sql(
    "UPDATE library_record SET superseded = id, valid_to = :ts "
    "WHERE id IN (SELECT prev_id FROM library_match WHERE old_hash <> new_hash)"
)
_INSERT_CHANGED = _sql(
    "INSERT INTO library_record (table_id, key, superseded, prev_id, data, content_hash, valid_from, valid_to, "
    "ingest_id, verified_ingest_id, verified_at) "
    "SELECT :t, s.key, 0, m.prev_id, s.data, s.content_hash, :ts, NULL, :i, :i, :ts "
    "FROM library_stage AS s LEFT JOIN library_match AS m ON m.n = s.n "
    "WHERE m.n IS NULL OR m.old_hash <> m.new_hash ORDER BY s.n"
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
    so that the writer thread holds the GIL as little as possible. Records are in key order: the key index is
    then filled in order (fewer pages touched, no sort in the store), and the change sequence inside one batch
    follows key order, not file order.

    - SQLite: a JSON object of ``"<hash><key>": <data>`` members (the hash has a fixed width), unpacked by
      ``json_each`` (bound as a BLOB of UTF-8 and cast to text inside SQLite, which spares a 15 MB str ↔ UTF-8
      round trip per batch);
    - PostgreSQL: COPY text lines in the record's layout (``key, data, hash, table, 0, at, ingest, ingest, at``).
    """
    records = sorted(zip(chunk.keys, chunk.datas, chunk.hashes, strict=True))  # keys are unique in a chunk
    keys, datas, hashes = zip(*records, strict=True) if records else ((), (), ())
    return frame_payload("".join(payload_items(keys, datas, hashes, dialect, stamp)).encode(), dialect)


def payload_items(
    keys: Sequence[str], datas: Sequence[str], hashes: Sequence[str], dialect: str, stamp: Stamp
) -> list[str]:
    """One payload item per record: a JSON member and a comma (SQLite), a COPY line (PostgreSQL)."""
    if dialect == "postgresql":
        escape, suffix = _COPY_ESCAPE, stamp.copy_suffix()
        return [
            f"{k.translate(escape)}\t{d.replace(chr(92), chr(92) * 2) if chr(92) in d else d}\t{h}{suffix}"
            for k, d, h in zip(keys, datas, hashes, strict=True)
        ]
    plain = _JSON_PLAIN
    escaped = [k if plain(k) else orjson.dumps(k).decode()[1:-1] for k in keys]
    return list(map('"{}{}":{},'.format, hashes, escaped, datas))


def frame_payload(items: bytes | memoryview, dialect: str) -> bytes:
    """The payload from its items back to back (UTF-8): SQLite's object takes braces instead of the last comma."""
    if dialect == "postgresql":
        return bytes(items)
    return b"".join((b"{", items[:-1], b"}")) if len(items) else b"{}"


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
    if postgres:
        session.execute(text(_PG_MATCH))
    else:
        session.execute(text(_SQLITE_MATCH))
        session.execute(text("DELETE FROM library_match"))
    session.execute(_PG_LOOKUP if postgres else _LOOKUP, params)
    dup_keys = list(session.scalars(_DUPLICATES, params))
    if dup_keys:
        row_of = dict(zip(chunk.keys, chunk.row_numbers, strict=True))  # a chunk's keys are unique
        out.duplicates = [row_of[k] for k in dup_keys]
        for statement in _DROP_DUPLICATES:
            session.execute(statement, params)
    out.unchanged = session.execute(_VERIFY, params).rowcount
    revived = session.scalar(_REVIVED, {"tomb": TOMBSTONE})  # deleted keys coming back: new, not updated
    out.updated = session.execute(_CLOSE, params).rowcount - revived
    written = session.execute(_INSERT_CHANGED, params).rowcount
    out.inserted = written - out.updated
    out.last_seq = _last_seq(session, stamp.table_id) if written else 0  # 0: this batch changed nothing
    return out


def delete_current(session: Session, stamp: Stamp, keys: list[str]) -> tuple[list[str], int]:
    """Tombstone the current versions of ``keys`` (inside the caller's transaction, under the table lock):
    each is closed (``superseded``, ``valid_to``) and a tombstone becomes current, with its own change sequence.
    Keys that have no current version (unknown or already deleted) are skipped. Returns (deleted keys in key
    order, last change sequence or 0)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        rows = session.execute(
            select(LibraryRecord.key, LibraryRecord.id).where(
                LibraryRecord.table_id == stamp.table_id,
                LibraryRecord.superseded == 0,
                LibraryRecord.content_hash != TOMBSTONE,
                LibraryRecord.key.in_(part),
            )
        )
        found.update((k, i) for k, i in rows)
    if not found:
        return [], 0
    deleted = sorted(found)
    ids = [found[k] for k in deleted]
    for start in range(0, len(ids), 500):
        session.execute(
            update(LibraryRecord)
            .where(LibraryRecord.id.in_(ids[start : start + 500]))
            .values(superseded=LibraryRecord.id, valid_to=stamp.at)
        )
    session.execute(
        insert(LibraryRecord),
        [
            {
                "table_id": stamp.table_id,
                "key": k,
                "superseded": 0,
                "prev_id": found[k],
                "data": [],
                "content_hash": TOMBSTONE,
                "valid_from": stamp.at,
                "valid_to": None,
                "ingest_id": stamp.ingest_id,
                "verified_ingest_id": stamp.ingest_id,
                "verified_at": stamp.at,
            }
            for k in deleted
        ],
    )
    return deleted, _last_seq(session, stamp.table_id) if deleted else 0


def unseen_current_keys(session: Session, table_id: int, ingest_id: int) -> list[str]:
    """Current (not deleted) keys that ingest ``ingest_id`` neither wrote nor confirmed (snapshot mode)."""
    v = LibraryRecordVerified
    stmt = (
        select(LibraryRecord.key)
        .outerjoin(v, v.record_id == LibraryRecord.id)
        .where(
            LibraryRecord.table_id == table_id,
            LibraryRecord.superseded == 0,
            LibraryRecord.content_hash != TOMBSTONE,
            LibraryRecord.verified_ingest_id != ingest_id,
            or_(v.ingest_id.is_(None), v.ingest_id != ingest_id),
        )
        .order_by(LibraryRecord.key)
    )
    return list(session.scalars(stmt))


def checkpoint(db) -> None:  # noqa: ANN001 (a govshare.db.Database)
    """SQLite: copy the WAL into the database file now (PASSIVE: never blocks readers or writers)."""
    if not db.is_sqlite:
        return
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()


#: The table's newest version, read backwards along the primary key from the newest row. Only asked right after
#: this transaction wrote a row of the table, so the walk stops at once: other writers wait for the table's lock.
#: The unary plus keeps the planners off the key index, whose use for ``table_id = :t`` (as ``max(id)`` did)
#: reads every key of the table: a second per 1M-row ingest on SQLite.
_LAST_SEQ = text("SELECT id FROM library_record WHERE +table_id = :t ORDER BY id DESC LIMIT 1")


def _last_seq(session: Session, table_id: int) -> int:
    return session.scalar(_LAST_SEQ, {"t": table_id}) or 0


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
    #: A tombstone: the key was deleted by this version (``values`` is empty).
    deleted: bool = False


_V = LibraryRecordVerified
#: A version with its verification (the side row when an ingest confirmed it after writing it).
_SELECT = select(
    LibraryRecord,
    func.coalesce(_V.ingest_id, LibraryRecord.verified_ingest_id),
    func.coalesce(_V.verified_at, LibraryRecord.verified_at),
).outerjoin(_V, _V.record_id == LibraryRecord.id)


def _record(row) -> StoredRecord:  # noqa: ANN001 (a (LibraryRecord, verified ingest, verified at) row)
    rec, verified_ingest_id, verified_at = row
    data = rec.data
    return StoredRecord(
        seq=rec.id,
        key=rec.key,
        current=rec.superseded == 0,
        prev_seq=rec.prev_id,
        values=orjson.loads(data) if isinstance(data, str | bytes) else list(data),
        content_hash=rec.content_hash,
        valid_from=rec.valid_from,
        valid_to=rec.valid_to,
        ingest_id=rec.ingest_id,
        verified_ingest_id=verified_ingest_id,
        verified_at=verified_at,
        deleted=rec.content_hash == TOMBSTONE,
    )


def current_record(session: Session, table_id: int, key: str) -> StoredRecord | None:
    """The current version of ``key``; None when the key is unknown or deleted."""
    row = session.execute(
        _SELECT.where(
            LibraryRecord.table_id == table_id,
            LibraryRecord.key == key,
            LibraryRecord.superseded == 0,
            LibraryRecord.content_hash != TOMBSTONE,
        )
    ).first()
    return _record(row) if row else None


def record_as_of(session: Session, table_id: int, key: str, when: dt.datetime) -> StoredRecord | None:
    """The version that was current at ``when`` (valid_from ≤ when < valid_to); None if the key did not exist
    or was deleted then."""
    row = session.execute(
        _SELECT.where(
            LibraryRecord.table_id == table_id,
            LibraryRecord.key == key,
            LibraryRecord.valid_from <= when,
            or_(LibraryRecord.valid_to.is_(None), LibraryRecord.valid_to > when),
        )
        .order_by(LibraryRecord.id.desc())
        .limit(1)
    ).first()
    return _record(row) if row and row[0].content_hash != TOMBSTONE else None


def record_history(session: Session, table_id: int, key: str) -> list[StoredRecord]:
    """Every version of ``key``, tombstones included (``deleted``)."""
    rows = session.execute(
        _SELECT.where(LibraryRecord.table_id == table_id, LibraryRecord.key == key).order_by(LibraryRecord.id)
    )
    return [_record(r) for r in rows]


def changes_since(session: Session, table_id: int, since: int, limit: int) -> list[StoredRecord]:
    """Versions written after change sequence ``since``, oldest first (a feed pages on the last seq it saw);
    a deletion is a version too (``deleted``)."""
    rows = session.execute(
        _SELECT.where(LibraryRecord.table_id == table_id, LibraryRecord.id > since)
        .order_by(LibraryRecord.id)
        .limit(limit)
    )
    return [_record(r) for r in rows]


def current_count(session: Session, table_id: int) -> int:
    return session.scalar(
        select(func.count()).where(
            LibraryRecord.table_id == table_id,
            LibraryRecord.superseded == 0,
            LibraryRecord.content_hash != TOMBSTONE,
        )
    )
