"""The one door into the audit log.

Two ways in, one chain:

* :meth:`AuditLog.record` appends inside the caller's write transaction, so a state change and its audit
  record commit together or not at all (used for every privileged act).
* :meth:`AuditLog.append` hands the record to the group-commit writer and returns once the batch holding it
  is committed (used on the data path, where many concurrent answers share one commit). A data answer
  is not sent before this returns; if the log cannot be written it raises :class:`AuditUnavailable` and
  the request fails (X-Road's safety stop).

Both take the chain lock in the appending transaction (PostgreSQL: a transaction-scoped advisory lock;
SQLite: write transactions begin IMMEDIATE), read the head from the table and extend it, so several API
processes can share one chain.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from govshare.audit.chain import (
    FIELDS,
    GENESIS,
    VERIFY_COLUMNS,
    ChainCheck,
    ChainFault,
    clean_text,
    hasher,
    record_hash,
    sql_canonical,
)
from govshare.audit.models import AuditCheckpoint, AuditRecord
from govshare.context import request_id_var
from govshare.crypto.signer import KeyStore, b64url, b64url_decode, verify_jwk
from govshare.db import HeldConnections
from govshare.errors import forbidden
from govshare.identity.principal import Principal, Role

log = structlog.get_logger("govshare.audit")

#: Key of the PostgreSQL advisory lock that serializes appends to the chain (any constant will do).
CHAIN_LOCK_KEY = 0x60A5_A0D1

AUDIT_RECORDS = Counter("govshare_audit_records_total", "Audit records appended", ["path"])
AUDIT_BATCH = Histogram(
    "govshare_audit_batch_size", "Records per group commit", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
)
AUDIT_WAIT = Histogram(
    "govshare_audit_append_seconds",
    "Time from submitting a record to its batch being durable",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0),
)


_INSERT = AuditRecord.__table__.insert()


class _BatchSql:
    """The group-commit writer's statements, compiled once for the store, and the connection it keeps."""

    def __init__(self, db) -> None:  # noqa: ANN001
        engine = db.engine
        dialect = engine.dialect
        self.connections = HeldConnections(engine)
        self.error = dialect.loaded_dbapi.Error
        if dialect.name == "postgresql":  # one appender at a time across processes: the transaction's lock
            self.begin: tuple[str, ...] = ("BEGIN", f"SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY:d})")
        else:  # SQLite: take the write lock up front, as db.write() does
            self.begin = ("BEGIN IMMEDIATE",)
        head = select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
        self.head = str(head.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        columns = [c.key for c in AuditRecord.__table__.columns]
        insert = _INSERT.compile(dialect=dialect, column_keys=columns)
        self.insert = insert.string
        self._order = insert.positiontup if insert.positional else None

    def params(self, rows: list[dict[str, Any]]) -> list:
        order = self._order
        return rows if order is None else [tuple(row[name] for name in order) for row in rows]


class AuditUnavailable(RuntimeError):
    """The audit log could not be written; whatever needed the record must not proceed."""


@dataclass(frozen=True, slots=True)
class AuditReceipt:
    seq: int
    hash: str
    ts_us: int


@dataclass(slots=True)
class AuditEntry:
    actor_kind: str
    actor_id: str
    actor_org_id: str | None
    action: str
    outcome: str = "ok"
    on_behalf_of: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    object_org_id: str | None = None
    subject_ref: str | None = None
    purpose: str | None = None
    request_id: str | None = None
    detail: str | None = None
    ts_us: int = 0


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(slots=True)
class _Pending:
    entry: AuditEntry
    future: Future | _LoopGroup
    submitted: float = field(default_factory=time.perf_counter)


class _LoopGroup:
    """The records of one :meth:`AuditLog.submit_async` call: the writer fills in their receipts (in queue order,
    possibly over several batches) and resolves the caller's asyncio future with one wake-up of its loop."""

    __slots__ = ("loop", "future", "receipts", "size")

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.future = loop.create_future()
        self.receipts: list[AuditReceipt] = []
        self.size = size

    def set_result(self, receipt: AuditReceipt) -> None:  # writer thread
        self.receipts.append(receipt)
        if len(self.receipts) == self.size:
            self._settle(self.receipts, None)

    def set_exception(self, error: BaseException) -> None:  # writer thread; the first failure settles
        if self.size:
            self.size = 0
            self._settle(None, error)

    def _settle(self, receipts: list[AuditReceipt] | None, error: BaseException | None) -> None:
        try:
            self.loop.call_soon_threadsafe(_settle_future, self.future, receipts, error)
        except RuntimeError:  # the caller's loop has closed: no one is waiting
            pass


def _settle_future(future: asyncio.Future, receipts: list[AuditReceipt] | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(receipts)


class AuditLog:
    def __init__(
        self,
        db,
        keys: KeyStore,
        *,
        hash_alg: str = "sha256",
        checkpoint_every: int = 10_000,
        checkpoint_seconds: float = 60.0,
        batch_max: int = 512,
        batch_wait_ms: float = 0.0,
    ) -> None:  # noqa: ANN001
        self.db = db
        self.keys = keys
        self.hash_alg = hash_alg
        self.digest = hasher(hash_alg)
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.batch_max = batch_max
        self.batch_wait = batch_wait_ms / 1000.0
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_checkpoint_seq: int | None = None
        self._last_checkpoint_at = time.monotonic()
        self._batch_sql: _BatchSql | None = None

    # ---- building entries -------------------------------------------------------------------------
    def subject_ref(self, subject: str) -> str:
        """Keyed hash of a person's or entity's identifier (ID number, USCC) as stored in the log."""
        normalized = subject.strip().upper()
        return hmac.new(self.keys.subject_pepper, normalized.encode(), hashlib.sha256).hexdigest()

    def entry(
        self,
        *,
        actor: Principal,
        action: str,
        outcome: str = "ok",
        object_type: str | None = None,
        object_id: str | None = None,
        object_org_id: str | None = None,
        subject: str | None = None,
        purpose: str | None = None,
        on_behalf_of: str | None = None,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> AuditEntry:
        c = clean_text
        return AuditEntry(
            actor_kind=c(actor.kind),
            actor_id=c(actor.id),
            actor_org_id=c(actor.org_id),
            on_behalf_of=c(on_behalf_of if on_behalf_of is not None else actor.on_behalf_of),
            action=c(action),
            outcome=c(outcome),
            object_type=c(object_type),
            object_id=c(object_id),
            object_org_id=c(object_org_id),
            subject_ref=self.subject_ref(subject) if subject else None,
            purpose=c(purpose),
            request_id=c(request_id or request_id_var.get()),
            detail=orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode() if detail else None,
        )

    # ---- appending --------------------------------------------------------------------------------
    def _lock_and_head(self, session: Session) -> tuple[int, str]:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
        elif not session.info.get("writable"):
            raise RuntimeError("audit records must be appended in a write session (db.write())")
        row = session.execute(
            select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
        ).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def _link(self, seq: int, prev: str, entries: Sequence[AuditEntry]) -> tuple[list[dict], list[AuditReceipt]]:
        """Rows for ``entries`` chained after the record (``seq``, ``prev``), and their receipts."""
        digest = self.digest
        rows: list[dict[str, Any]] = []
        receipts: list[AuditReceipt] = []
        for e in entries:
            seq += 1
            if not e.ts_us:
                e.ts_us = _now_us()
            values = {"seq": seq, **{name: getattr(e, name) for name in FIELDS[1:]}}
            h = record_hash(digest, prev, (values[name] for name in FIELDS))
            values["prev_hash"] = prev
            values["hash"] = h
            rows.append(values)
            receipts.append(AuditReceipt(seq, h, e.ts_us))
            prev = h
        return rows, receipts

    def _chain(self, session: Session, entries: Sequence[AuditEntry]) -> list[AuditReceipt]:
        rows, receipts = self._link(*self._lock_and_head(session), entries)
        session.execute(_INSERT, rows)  # Core executemany: no ORM bookkeeping on the hot path
        return receipts

    def _append_batch(self, entries: Sequence[AuditEntry]) -> list[AuditReceipt]:
        """The group-commit writer's transaction: what ``db.write()`` + :meth:`_chain` do, on a DBAPI connection
        the writer thread keeps (no Session, no pool checkout, statements compiled once). It runs several times a
        millisecond under load, and the session machinery was most of its cost."""
        sql = self._batch_sql
        if sql is None:
            sql = self._batch_sql = _BatchSql(self.db)
        cursor = sql.connections.get().cursor()
        try:
            for statement in sql.begin:
                cursor.execute(statement)
            cursor.execute(sql.head)
            head = cursor.fetchone()
            rows, receipts = self._link(*(head if head else (0, GENESIS)), entries)
            cursor.executemany(sql.insert, sql.params(rows))
            cursor.execute("COMMIT")
        except BaseException as exc:
            try:
                cursor.execute("ROLLBACK")
            except Exception:  # the connection may be gone; the transaction is gone with it
                pass
            if isinstance(exc, sql.error):
                sql.connections.replace_if_dropped(exc)
            raise
        finally:
            cursor.close()
        return receipts

    def record(self, session: Session, **kwargs: Any) -> AuditReceipt:
        """Append one record inside ``session``'s write transaction (commits with the caller's change)."""
        receipt = self._chain(session, [self.entry(**kwargs)])[0]
        AUDIT_RECORDS.labels("transaction").inc()
        return receipt

    def append(self, *, timeout: float = 30.0, **kwargs: Any) -> AuditReceipt:
        """Append one record through group commit; returns once it is durable."""
        return self.submit(self.entry(**kwargs)).result(timeout)

    async def append_async(self, **kwargs: Any) -> AuditReceipt:
        return await asyncio.wrap_future(self.submit(self.entry(**kwargs)))

    def submit(self, entry: AuditEntry) -> Future:
        self._ensure_writer()
        fut: Future = Future()
        self._queue.put(_Pending(entry, fut))
        return fut

    def submit_async(self, entries: Sequence[AuditEntry]) -> asyncio.Future[list[AuditReceipt]]:
        """Queue ``entries`` (in order) for group commit; the future resolves, on the running loop, to their
        receipts once all are durable, or to :class:`AuditUnavailable`."""
        group = _LoopGroup(asyncio.get_running_loop(), len(entries))
        if not entries:
            group.future.set_result([])
            return group.future
        self._ensure_writer()
        now = time.perf_counter()
        for entry in entries:
            self._queue.put(_Pending(entry, group, now))
        return group.future

    # ---- the group-commit writer ------------------------------------------------------------------
    def _ensure_writer(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the writer after it has written everything already submitted."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)
        self._thread = None
        if self._batch_sql is not None:
            self._batch_sql.connections.close()
            self._batch_sql = None

    def _collect(self, first: _Pending) -> tuple[list[_Pending], bool]:
        batch = [first]
        stop = False
        deadline = time.perf_counter() + self.batch_wait
        while len(batch) < self.batch_max:
            try:
                if self.batch_wait > 0:
                    remaining = deadline - time.perf_counter()
                    item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=max(self.checkpoint_seconds, 0.05))
            except queue.Empty:
                self._maybe_checkpoint(force_time=True)
                continue
            if first is None:
                self._maybe_checkpoint(force_time=True)
                return
            batch, stop = self._collect(first)
            try:
                receipts = self._append_batch([p.entry for p in batch])
            except Exception as exc:  # the safety stop: every waiter learns its record is not durable
                log.error("audit_write_failed", error=str(exc), batch=len(batch))
                err = AuditUnavailable(str(exc))
                for p in batch:
                    p.future.set_exception(err)
            else:
                now = time.perf_counter()
                for p, r in zip(batch, receipts, strict=True):
                    p.future.set_result(r)
                    AUDIT_WAIT.observe(now - p.submitted)
                AUDIT_BATCH.observe(len(batch))
                AUDIT_RECORDS.labels("group_commit").inc(len(batch))
                self._maybe_checkpoint(head_seq=receipts[-1].seq)
            if stop:
                self._maybe_checkpoint(force_time=True)
                return

    # ---- checkpoints ------------------------------------------------------------------------------
    def _maybe_checkpoint(self, head_seq: int | None = None, force_time: bool = False) -> None:
        try:
            if self._last_checkpoint_seq is None:
                with self.db.read() as s:
                    self._last_checkpoint_seq = s.scalar(select(func.max(AuditCheckpoint.seq))) or 0
            due_count = head_seq is not None and head_seq - self._last_checkpoint_seq >= self.checkpoint_every
            due_time = time.monotonic() - self._last_checkpoint_at >= self.checkpoint_seconds
            if due_count or due_time or (force_time and self.checkpoint_seconds <= 0):
                self.checkpoint()
        except Exception as exc:  # a missed checkpoint is retried next time; it never blocks appends
            log.warning("audit_checkpoint_failed", error=str(exc))

    @staticmethod
    def checkpoint_message(seq: int, head_hash: str, ts_us: int, hash_alg: str) -> bytes:
        return f"govshare-audit-checkpoint\x1f{seq}\x1f{head_hash}\x1f{ts_us}\x1f{hash_alg}".encode()

    def checkpoint(self) -> AuditCheckpoint | None:
        """Sign the current chain head (if it moved since the last checkpoint)."""
        with self.db.write() as session:
            seq, head = self._lock_and_head(session)
            last = session.scalar(select(func.max(AuditCheckpoint.seq))) or 0
            self._last_checkpoint_at = time.monotonic()
            if seq == 0 or seq <= last:
                self._last_checkpoint_seq = max(last, seq)
                return None
            ts = _now_us()
            signer = self.keys.signer
            sig = signer.sign(self.checkpoint_message(seq, head, ts, self.hash_alg))
            cp = AuditCheckpoint(
                seq=seq, hash=head, ts_us=ts, hash_alg=self.hash_alg, key_id=signer.key_id, signature=b64url(sig)
            )
            session.add(cp)
        self._last_checkpoint_seq = seq
        return cp


# ---- verification ---------------------------------------------------------------------------------
@dataclass(slots=True)
class VerifyReport:
    ok: bool
    records: int
    checkpoints: int
    seconds: float
    fault: ChainFault | None = None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.rate),
        }
        if self.fault:
            out["fault"] = {"seq": self.fault.seq, "kind": self.fault.kind, "message": self.fault.message}
        return out


def _scan_python(db, hash_alg: str, fetch: int, after: int = 0, after_hash: str = GENESIS):  # noqa: ANN001
    """Recompute every hash after record ``after`` in Python, streaming rows through the raw DB-API cursor
    (server-side on PostgreSQL) so memory stays flat and the per-row cost is the hash, not the ORM."""
    check = ChainCheck(hasher(hash_alg), expected_seq=after + 1, prev_hash=after_hash)
    cols = ", ".join(VERIFY_COLUMNS)
    query = f"SELECT {cols} FROM audit_record WHERE seq > {int(after)} ORDER BY seq"  # noqa: S608 - int
    raw = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        if db.engine.dialect.name == "postgresql":
            with driver.transaction(), driver.cursor(name="govshare_audit_verify") as cur:
                cur.itersize = fetch
                cur.execute(query)
                while (rows := cur.fetchmany(fetch)) and check.feed(rows):
                    pass
        else:
            cur = driver.cursor()
            cur.execute(query)
            while (rows := cur.fetchmany(fetch)) and check.feed(rows):
                pass
            cur.close()
    finally:
        raw.close()
    return check.count, check.fault


_PG_RECOMPUTED = f"encode(sha256(convert_to(prev_hash || chr(30) || {sql_canonical('chr')}, 'UTF8')), 'hex')"


def _scan_postgres_sha256(db, after: int = 0, after_hash: str = GENESIS):  # noqa: ANN001
    """Let PostgreSQL recompute the SHA-256 chain itself (C code, parallel workers), in two scans:
    the first row whose hash does not match its content, and the first row that breaks the sequence or the
    link to its predecessor. Same answers as :func:`_scan_python`, several times faster."""
    with db.read() as s:
        changed = s.execute(
            text(f"SELECT min(seq) FROM audit_record WHERE seq > :after AND {_PG_RECOMPUTED} <> hash"),  # noqa: S608
            {"after": after},
        ).scalar()
        link = s.execute(
            text(
                "SELECT seq, prev_seq, prev_hash = COALESCE(prev_actual, :genesis) FROM ("
                " SELECT seq, prev_hash, lag(seq) OVER w AS prev_seq, lag(hash) OVER w AS prev_actual"
                " FROM audit_record WHERE seq > :after WINDOW w AS (ORDER BY seq)) t"
                " WHERE seq <> COALESCE(prev_seq, :after) + 1 OR prev_hash <> COALESCE(prev_actual, :genesis)"
                " ORDER BY seq LIMIT 1"
            ),
            {"genesis": after_hash, "after": after},
        ).first()
        fault: ChainFault | None = None
        # Whichever row comes first in the chain is the fault; on the same row the link is reported,
        # as the sequential scan does.
        if link is not None and (changed is None or link[0] <= changed):
            seq, prev_seq, _ = link
            expected = (prev_seq or after) + 1
            if seq > expected:
                fault = ChainFault(expected, "removed", f"record {expected} is missing")
            else:
                fault = ChainFault(seq, "inserted_or_reordered", f"record {seq} does not link to record {seq - 1}")
            first_bad_row = seq
        elif changed is not None:
            fault = ChainFault(changed, "changed", f"record {changed} was changed")
            first_bad_row = changed
        if fault is None:
            count = s.execute(text("SELECT count(*) FROM audit_record WHERE seq > :a"), {"a": after}).scalar_one()
        else:
            count = s.execute(
                text("SELECT count(*) FROM audit_record WHERE seq > :a AND seq < :s"), {"a": after, "s": first_bad_row}
            ).scalar_one()
    return count, fault


def verify_chain(
    db,  # noqa: ANN001
    keys: KeyStore,
    *,
    hash_alg: str = "sha256",
    fetch: int = 20_000,
    method: str = "auto",
    since_checkpoint: bool = False,
) -> VerifyReport:
    """Verify the chain, then every checkpoint against it. Returns a :class:`VerifyReport`.

    ``method``: ``python`` recomputes every hash in this process (any store, any hash); ``sql`` lets
    PostgreSQL do it (SHA-256 only); ``auto`` picks ``sql`` where it can. ``since_checkpoint`` starts from
    the newest checkpoint whose signature holds (trusting what it attests) and checks only what came after:
    the cheap daily check; run the full walk now and then.
    """
    started = time.perf_counter()
    in_db = db.engine.dialect.name == "postgresql" and hash_alg == "sha256"
    if method == "sql" and not in_db:
        raise ValueError("in-database verification needs PostgreSQL and SHA-256")
    after, after_hash = 0, GENESIS
    if since_checkpoint:
        anchor = _trusted_anchor(db, keys)
        if isinstance(anchor, ChainFault):
            return VerifyReport(False, 0, 1, time.perf_counter() - started, anchor)
        if anchor is not None:
            after, after_hash = anchor
    if method in ("auto", "sql") and in_db:
        count, fault = _scan_postgres_sha256(db, after, after_hash)
    else:
        count, fault = _scan_python(db, hash_alg, fetch, after, after_hash)
    count += after

    n_checkpoints = 0
    if fault is None:
        last_seq = count  # an intact chain is numbered 1..count
        jwk = keys.signer.public_jwk()
        with db.read() as s:
            checkpoints = s.scalars(
                select(AuditCheckpoint).where(AuditCheckpoint.seq >= after).order_by(AuditCheckpoint.seq)
            ).all()
            wanted = {cp.seq for cp in checkpoints if cp.seq <= last_seq}
            hashes = (
                dict(s.execute(select(AuditRecord.seq, AuditRecord.hash).where(AuditRecord.seq.in_(wanted))).all())
                if wanted
                else {}
            )
        for cp in checkpoints:
            n_checkpoints += 1
            msg = AuditLog.checkpoint_message(cp.seq, cp.hash, cp.ts_us, cp.hash_alg)
            if cp.key_id != jwk["kid"] or not verify_jwk(jwk, msg, b64url_decode(cp.signature)):
                fault = ChainFault(cp.seq, "bad_signature", f"checkpoint at {cp.seq} has a bad signature")
                break
            if cp.seq > last_seq:
                fault = ChainFault(
                    last_seq + 1, "truncated", f"records from {last_seq + 1} on are missing (checkpoint at {cp.seq})"
                )
                break
            if hashes.get(cp.seq) != cp.hash:
                fault = ChainFault(
                    cp.seq,
                    "checkpoint_mismatch",
                    f"record {cp.seq} differs from the signed checkpoint (chain rewritten)",
                )
                break
    return VerifyReport(
        ok=fault is None,
        records=count,
        checkpoints=n_checkpoints,
        seconds=time.perf_counter() - started,
        fault=fault,
    )


def _trusted_anchor(db, keys: KeyStore) -> tuple[int, str] | ChainFault | None:  # noqa: ANN001
    """The newest checkpoint whose signature verifies and whose record still has the signed hash."""
    jwk = keys.signer.public_jwk()
    with db.read() as s:
        cp = s.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
        if cp is None:
            return None
        msg = AuditLog.checkpoint_message(cp.seq, cp.hash, cp.ts_us, cp.hash_alg)
        if cp.key_id != jwk["kid"] or not verify_jwk(jwk, msg, b64url_decode(cp.signature)):
            return ChainFault(cp.seq, "bad_signature", f"checkpoint at {cp.seq} has a bad signature")
        stored = s.scalar(select(AuditRecord.hash).where(AuditRecord.seq == cp.seq))
    if stored is None:
        return ChainFault(cp.seq, "truncated", f"record {cp.seq} named by the newest checkpoint is missing")
    if stored != cp.hash:
        return ChainFault(cp.seq, "checkpoint_mismatch", f"record {cp.seq} differs from the signed checkpoint")
    return cp.seq, cp.hash


# ---- reading the log ------------------------------------------------------------------------------
def search(
    session: Session,
    *,
    actor: Principal,
    audit: AuditLog,
    actor_id: str | None = None,
    org_id: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    subject: str | None = None,
    purpose: str | None = None,
    outcome: str | None = None,
    since_us: int | None = None,
    until_us: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditRecord], int | None]:
    """Newest first, keyset-paginated by ``seq``. An organization's auditors see the records their
    organization made or that concern its objects; the platform operator's auditors see everything."""
    if not actor.is_platform_auditor and not actor.has(Role.auditor, Role.org_admin):
        raise forbidden("需要审计员角色", "requires role: auditor")
    stmt = select(AuditRecord)
    if not actor.is_platform_auditor:
        stmt = stmt.where(or_(AuditRecord.actor_org_id == actor.org_id, AuditRecord.object_org_id == actor.org_id))
    if org_id:
        stmt = stmt.where(or_(AuditRecord.actor_org_id == org_id, AuditRecord.object_org_id == org_id))
    if actor_id:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditRecord.action.startswith(action, autoescape=True))
    if object_type:
        stmt = stmt.where(AuditRecord.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if subject:
        stmt = stmt.where(AuditRecord.subject_ref == audit.subject_ref(subject))
    if purpose:
        stmt = stmt.where(AuditRecord.purpose.contains(purpose, autoescape=True))
    if outcome:
        stmt = stmt.where(AuditRecord.outcome == outcome)
    if since_us is not None:
        stmt = stmt.where(AuditRecord.ts_us >= since_us)
    if until_us is not None:
        stmt = stmt.where(AuditRecord.ts_us < until_us)
    if before is not None:
        stmt = stmt.where(AuditRecord.seq < before)
    rows = list(session.scalars(stmt.order_by(AuditRecord.seq.desc()).limit(limit + 1)))
    next_before = rows[limit - 1].seq if len(rows) > limit else None
    return rows[:limit], next_before
