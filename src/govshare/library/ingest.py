"""Ingesting a file into a library table: stream, clean, validate, write in atomic batches.

The shape of one ingest (导入批次):

1. Open the file and read its header (a missing required column fails here, before anything is written).
2. One transaction creates the ``library_ingest`` row and its audit record.
3. The main thread reads and processes batch k+1 (clean, validate, serialize: Arrow kernels for the rows the
   vectorized fast path accepts, the row processor for the others) while a writer thread writes batch k (one
   set-based statement per step, in C without the GIL), so both cores the ingest gets can work. Each batch is
   one transaction: its records, its quarantine entries, the ingest's counters and an audit record commit
   together or not at all. A crash or ``kill -9`` therefore leaves the library as it was after the last
   committed batch; running the same file again completes it (re-ingesting is idempotent: unchanged rows only
   get their verification time moved).
4. A last transaction marks the ingest completed (or failed, with the error) and audits it.

A process killed mid-ingest leaves its ingest "running"; the next ingest of the table marks it "interrupted"
once its heartbeat (moved by every batch) is older than :data:`STALE_AFTER`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from govshare.db import Database, utcnow
from govshare.errors import Problem
from govshare.identity.principal import Principal
from govshare.library import store
from govshare.library.compiler import ProcessedChunk, RowProcessor
from govshare.library.models import LibraryIngest, LibraryQuarantine, LibraryTable
from govshare.library.readers import RawChunk, open_source
from govshare.library.store import Stamp, WriteOutcome, build_payload, checkpoint, lock_table, write_batch
from govshare.library.vectorized import VectorProcessor, supports
from govshare.runtime import audit_of

log = structlog.get_logger("govshare.library.ingest")

DEFAULT_BATCH = 50_000
MAX_BATCH = 200_000
STALE_AFTER = timedelta(minutes=15)

INGEST_ROWS = Counter("govshare_library_ingest_rows_total", "Rows read by library ingests", ["outcome"])
INGEST_BATCH_SECONDS = Histogram(
    "govshare_library_ingest_batch_seconds",
    "Time to write one ingest batch",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


@dataclass(slots=True)
class IngestOptions:
    format: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    sheet: str | None = None
    batch_size: int = DEFAULT_BATCH
    #: The name to record for the file (an upload's original name); defaults to the path's name.
    file_name: str | None = None
    #: Use the vectorized fast path where it applies (UTF-8 CSV, schema kinds it covers). Off: row by row only.
    vectorized: bool = True
    #: ``upsert``: the file's records are added or updated, other keys stay. ``snapshot``: the file is the whole
    #: table (全量替换): once every batch is in, current keys the file did not contain are deleted (tombstones).
    #: Keys of rows the file had but that were rejected are kept; nothing is deleted when the ingest fails.
    mode: str = "upsert"


MODES = ("upsert", "snapshot")


@dataclass(slots=True)
class _Context:
    ingest_id: int
    table_id: int
    resource_code: str
    provider_org_id: str
    key_field: str
    file_name: str
    actor: Principal


def run_ingest(
    db: Database,
    *,
    actor: Principal,
    table: LibraryTable,
    schema,  # noqa: ANN001  (TableSchema; kept loose to avoid an import cycle with service)
    path: Path,
    options: IngestOptions,
    source_system_id: str | None,
    source_system: str,
) -> int:
    """Ingest ``path`` into ``table`` (permission already checked by the caller); returns the ingest id."""
    batch_size = max(1, min(options.batch_size, MAX_BATCH))
    if options.mode not in MODES:
        raise Problem(
            422,
            "ingest_mode_invalid",
            "导入方式只能是 upsert 或 snapshot",
            "mode must be upsert or snapshot",
            field="mode",
        )
    source = open_source(
        path, schema, fmt=options.format, encoding=options.encoding, delimiter=options.delimiter, sheet=options.sheet
    )
    processor = RowProcessor(schema)
    vector = VectorProcessor(processor) if options.vectorized and source.arrow_capable() and supports(schema) else None
    chunks = source.arrow_chunks(batch_size) if vector else source.chunks(batch_size)
    first = next(chunks, None)  # reads the header: a wrong file fails here, before any write
    started = time.perf_counter()
    file_name = (options.file_name or path.name)[:255]

    with db.write() as session:
        _mark_stale(session, table.id)
        ingest = LibraryIngest(
            table_id=table.id,
            resource_code=table.resource_code,
            provider_org_id=table.provider_org_id,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_org_id=actor.org_id,
            source_system_id=source_system_id,
            source_system=source_system[:128],
            file_name=file_name,
            file_size=path.stat().st_size,
            file_format=source.format,
            encoding=source.encoding,
            schema_version=table.schema_version,
            status="running",
            batch_size=batch_size,
            counts={"rules": {}, "fields": {}, "mode": options.mode},
        )
        session.add(ingest)
        session.flush()
        fresh = (
            session.scalar(select(LibraryTable.current_rows).where(LibraryTable.id == table.id)) == 0
            and session.scalar(select(LibraryTable.last_change_seq).where(LibraryTable.id == table.id)) == 0
        )
        audit_of(session).record(
            session,
            actor=actor,
            action="library.ingest.start",
            object_type="library_table",
            object_id=table.resource_code,
            object_org_id=table.provider_org_id,
            detail={"ingest_id": ingest.id, "file": file_name, "format": source.format, "size": ingest.file_size},
        )
        ctx = _Context(
            ingest_id=ingest.id,
            table_id=table.id,
            resource_code=table.resource_code,
            provider_org_id=table.provider_org_id,
            key_field=schema.primary_key[0],
            file_name=file_name,
            actor=actor,
        )
    log.info("ingest_started", ingest_id=ctx.ingest_id, table=ctx.resource_code, file=file_name)

    pending: Future[WriteOutcome] | None = None
    batch_no = 0
    stamp: Stamp | None = None
    dialect = db.engine.dialect.name
    raw_chunks: Iterator[RawChunk] = _prepend(first, chunks)
    first = None  # noqa: F841  (no reference may keep a whole chunk alive)
    snapshot = options.mode == "snapshot"
    #: Snapshot mode: keys of rejected rows (as the file spells them), which must not be deleted.
    kept: set[str] | None = set() if snapshot else None
    key_position = schema.position(ctx.key_field) if len(schema.primary_key) == 1 else None
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="library-writer") as writer:
            for raw in raw_chunks:
                stamp = Stamp(ctx.table_id, ctx.ingest_id, _later_than(stamp))
                if vector is not None:
                    processed, payload = vector.process(raw, dialect, stamp)
                else:
                    processed = processor.process(raw.rows, ProcessedChunk())
                    processed.issues.extend(raw.issues)
                    processed.rows_rejected += len(raw.issues)
                    processed.rows_read = raw.rows_read
                    payload = build_payload(processed, dialect, stamp) if processed.keys else None
                rows = (raw.first_row, raw.last_row)
                if kept is not None and processed.issues:
                    kept.update(_rejected_keys(raw, processed.issues, key_position))
                raw = None  # the raw rows are done with; free them before reading the next chunk
                if pending is not None:
                    fresh = fresh and not pending.result().fresh_conflict
                batch_no += 1
                pending = writer.submit(_write, db, ctx, processed, payload, stamp, batch_no, rows, fresh)
                processed = payload = None
            if pending is not None:
                pending.result()
        if kept is not None:
            _delete_unseen(db, ctx, kept, key_position is not None)
    except BaseException as exc:
        if pending is not None and not pending.done():
            try:
                pending.result()
            except BaseException:  # noqa: S110 (the first error is the one reported)
                pass
        _finish(db, ctx, started, source, error=exc)
        if isinstance(exc, Problem):
            exc.extra.setdefault("ingest_id", ctx.ingest_id)
        raise
    _finish(db, ctx, started, source, error=None)
    return ctx.ingest_id


def _rejected_keys(raw, issues: list, key_position: int | None) -> set[str]:  # noqa: ANN001 (RawChunk | ArrowChunk)
    """The key values of the rows of ``raw`` that were rejected, raw and upper-cased (cleaning upper-cases the
    X of an ID number), so that a snapshot does not delete a record because this file's copy of it was bad."""
    bad = {row for row, *_ in issues}
    if key_position is None:
        return {"*"} if bad else set()  # composite key: the rejected rows' keys are unknown
    if hasattr(raw, "columns"):  # an Arrow chunk
        column = raw.columns[key_position]
        if column is None:
            return set()
        picked = [i for i, n in enumerate(raw.numbers.to_pylist()) if n in bad]
        values = column.take(picked).to_pylist()
    else:
        values = [v[key_position] for n, v in raw.rows if n in bad]
    out = set()
    for v in values:
        if v is not None and (text_value := str(v).strip()):
            out.update((text_value, text_value.upper()))
    return out


#: Keys tombstoned per transaction in snapshot mode.
DELETE_BATCH = 50_000


def _delete_unseen(db: Database, ctx: _Context, kept: set[str], single_key: bool) -> None:
    """Snapshot mode, after every batch committed: delete current keys this ingest neither wrote nor confirmed,
    in atomic batches (tombstones with their own change sequence, audited)."""
    if not single_key and kept:
        log.warning("snapshot_delete_skipped", ingest_id=ctx.ingest_id, reason="rejected rows, composite key")
        with db.write() as session:
            ingest = session.get(LibraryIngest, ctx.ingest_id)
            ingest.counts = {**ingest.counts, "snapshot_skipped": "rejected_rows_composite_key"}
        return
    with db.read() as session:
        unseen = [k for k in store.unseen_current_keys(session, ctx.table_id, ctx.ingest_id) if k not in kept]
    for start in range(0, len(unseen), DELETE_BATCH):
        with db.write() as session:
            deleted, table = delete_keys(session, ctx.table_id, ctx.ingest_id, unseen[start : start + DELETE_BATCH])
            ingest = session.get(LibraryIngest, ctx.ingest_id)
            ingest.counts = {**ingest.counts, "deleted": ingest.counts.get("deleted", 0) + len(deleted)}
            ingest.heartbeat_at = utcnow()
            audit_of(session).record(
                session,
                actor=ctx.actor,
                action="library.record.delete",
                object_type="library_table",
                object_id=ctx.resource_code,
                object_org_id=ctx.provider_org_id,
                detail={"ingest_id": ctx.ingest_id, "mode": "snapshot", "deleted": len(deleted),
                        "last_seq": table.last_change_seq},
            )  # fmt: skip


def delete_keys(session: Session, table_id: int, ingest_id: int, keys: list[str]) -> tuple[list[str], LibraryTable]:
    """Tombstone the current versions of ``keys`` in the caller's transaction, under the table lock, at a time
    later than every version of the table; keeps the table's counters. Returns the deleted keys and the table."""
    lock_table(session, table_id)
    table = session.get(LibraryTable, table_id)
    now = utcnow()
    if table.last_change_at is not None and now <= table.last_change_at:
        now = table.last_change_at + timedelta(microseconds=1)
    deleted, last_seq = store.delete_current(session, Stamp(table_id, ingest_id, now), keys)
    if deleted:
        table.current_rows -= len(deleted)
        table.last_change_seq = last_seq
        table.last_change_at = now
    return deleted, table


def _later_than(previous: Stamp | None) -> datetime:
    """A batch's time: now, but never earlier than the ingest's previous batch (clocks can step back)."""
    now = utcnow()
    if previous is not None and now <= previous.at:
        now = previous.at + timedelta(microseconds=1)
    return now


def _prepend(first: RawChunk | None, rest: Iterator[RawChunk]) -> Iterator[RawChunk]:
    if first is not None:
        yield first
        first = None
    yield from rest


def _write(
    db: Database,
    ctx: _Context,
    chunk: ProcessedChunk,
    payload: bytes | None,
    stamp: Stamp,
    batch_no: int,
    rows: tuple[int, int],
    fresh: bool,
) -> WriteOutcome:
    """One batch, one transaction (runs on the writer thread)."""
    t0 = time.perf_counter()
    with db.write() as session:
        lock_table(session, ctx.table_id)
        table = session.get(LibraryTable, ctx.table_id)
        if table.last_change_at is not None and stamp.at <= table.last_change_at:
            # Another ingest of this table committed a later time meanwhile: versions of a key never start in the
            # past, so this batch takes a later time (and, on PostgreSQL, the staged path: the payload's is stale).
            stamp = Stamp(stamp.table_id, stamp.ingest_id, table.last_change_at + timedelta(microseconds=1))
            if session.get_bind().dialect.name == "postgresql":
                fresh = False  # the staged path takes its time from the statement, not from the COPY lines
        now = stamp.at
        outcome = write_batch(session, chunk, payload, stamp, fresh=fresh) if payload is not None else WriteOutcome()
        issues = chunk.issues
        if outcome.duplicates:
            by_row = dict(zip(chunk.row_numbers, chunk.keys, strict=True))
            issues = issues + [(r, ctx.key_field, "key_duplicate", by_row[r]) for r in outcome.duplicates]
        if issues:
            session.execute(
                insert(LibraryQuarantine.__table__),  # Core executemany: no per-row ORM bookkeeping (GIL time)
                [
                    {
                        "ingest_id": ctx.ingest_id,
                        "table_id": ctx.table_id,
                        "file_name": ctx.file_name,
                        "row_number": row,
                        "field": field,
                        "rule": rule,
                        "value": value,
                    }
                    for row, field, rule, value in issues
                ],
            )
        changed = outcome.inserted + outcome.updated
        table.current_rows += outcome.inserted
        table.last_verified_at = now
        if changed:
            table.last_change_seq = outcome.last_seq
            table.last_change_at = now
        accepted = changed + outcome.unchanged
        rejected = chunk.rows_rejected + len(outcome.duplicates)
        ingest = session.get(LibraryIngest, ctx.ingest_id)
        rules = dict(ingest.counts.get("rules", {}))
        fields = {k: dict(v) for k, v in ingest.counts.get("fields", {}).items()}
        for code, n in chunk.fired.items():
            rules[code] = rules.get(code, 0) + n
        for _row, field, rule, _value in issues:
            rules[rule] = rules.get(rule, 0) + 1
            per_field = fields.setdefault(field or "_row", {})
            per_field[rule] = per_field.get(rule, 0) + 1
        ingest.counts = {**ingest.counts, "rules": rules, "fields": fields}
        ingest.batches += 1
        ingest.rows_read += chunk.rows_read
        ingest.rows_accepted += accepted
        ingest.rows_rejected += rejected
        ingest.inserted += outcome.inserted
        ingest.updated += outcome.updated
        ingest.unchanged += outcome.unchanged
        ingest.heartbeat_at = now
        audit_of(session).record(
            session,
            actor=ctx.actor,
            action="library.ingest.batch",
            object_type="library_table",
            object_id=ctx.resource_code,
            object_org_id=ctx.provider_org_id,
            detail={
                "ingest_id": ctx.ingest_id,
                "batch": batch_no,
                "rows": list(rows),
                "inserted": outcome.inserted,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "rejected": rejected,
                "last_seq": table.last_change_seq,
            },
        )
    INGEST_ROWS.labels("accepted").inc(accepted)
    INGEST_ROWS.labels("rejected").inc(rejected)
    INGEST_BATCH_SECONDS.observe(time.perf_counter() - t0)
    return outcome


def _finish(db: Database, ctx: _Context, started: float, source, *, error: BaseException | None) -> None:  # noqa: ANN001
    seconds = time.perf_counter() - started
    if error is None:
        status, code, message = "completed", None, None
    elif isinstance(error, Problem):
        status, code, message = "failed", error.code, f"{error.message_zh} / {error.message_en}"
    elif isinstance(error, KeyboardInterrupt | SystemExit):
        status, code, message = "interrupted", "interrupted", error.__class__.__name__
    else:
        status, code, message = "failed", "internal_error", f"{error.__class__.__name__}: {error}"[:2000]
    try:
        with db.write() as session:
            ingest = session.get(LibraryIngest, ctx.ingest_id)
            counts = dict(ingest.counts)
            counts["ignored_columns"] = source.ignored_columns
            counts["missing_columns"] = source.missing_columns
            ingest.counts = counts
            ingest.status = status
            ingest.error_code = code
            ingest.error_message = message
            ingest.file_sha256 = source.sha256
            ingest.finished_at = utcnow()
            ingest.seconds = round(seconds, 3)
            audit_of(session).record(
                session,
                actor=ctx.actor,
                action="library.ingest.finish",
                outcome="ok" if error is None else "failed",
                object_type="library_table",
                object_id=ctx.resource_code,
                object_org_id=ctx.provider_org_id,
                detail={
                    "ingest_id": ctx.ingest_id,
                    "status": status,
                    "rows_read": ingest.rows_read,
                    "accepted": ingest.rows_accepted,
                    "rejected": ingest.rows_rejected,
                    "inserted": ingest.inserted,
                    "updated": ingest.updated,
                    "unchanged": ingest.unchanged,
                    "error": code,
                },
            )
    except Exception:  # the store may be what failed; the ingest then stays "running" until marked stale
        log.exception("ingest_finish_failed", ingest_id=ctx.ingest_id)
    log.info("ingest_finished", ingest_id=ctx.ingest_id, status=status, seconds=round(seconds, 3), error=code)
    if error is None:
        _refresh_statistics(db, ctx)
    try:
        checkpoint(db)
    except Exception:  # a later commit checkpoints anyway
        log.exception("ingest_checkpoint_failed", ingest_id=ctx.ingest_id)


#: Refresh planner statistics after an ingest that wrote at least this many versions (and 10 % of the table).
ANALYZE_AFTER = 1000


def _refresh_statistics(db: Database, ctx: _Context) -> None:
    """After a bulk load the planner's row estimates are stale (PostgreSQL's autovacuum comes later): without
    fresh statistics the consistency rules' joins pick nested loops over the whole table (seconds instead of
    milliseconds). SQLite's ``PRAGMA optimize`` does the same job cheaply."""
    try:
        with db.write() as session:
            ingest = session.get(LibraryIngest, ctx.ingest_id)
            table = session.get(LibraryTable, ctx.table_id)
            written = ingest.inserted + ingest.updated
            if written < ANALYZE_AFTER or written * 10 < table.current_rows:
                return
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("ANALYZE library_record"))
            else:
                session.execute(text("PRAGMA analysis_limit=1000"))  # sampled, so it stays cheap on big tables
                session.execute(text("PRAGMA optimize"))
    except Exception:  # statistics are an optimization; the ingest itself is complete
        log.exception("ingest_analyze_failed", ingest_id=ctx.ingest_id)


def _mark_stale(session: Session, table_id: int, now: datetime | None = None) -> int:
    """Running ingests of ``table_id`` whose heartbeat stopped long ago died with their process."""
    cutoff = (now or utcnow()) - STALE_AFTER
    result = session.execute(
        update(LibraryIngest)
        .where(
            LibraryIngest.table_id == table_id,
            LibraryIngest.status == "running",
            LibraryIngest.heartbeat_at < cutoff,
        )
        .values(status="interrupted", error_code="interrupted", error_message="进程中断 / process died")
    )
    return result.rowcount
