"""Feeds (库表交换): a consumer with a grant pages through a library resource's change log — pulled, or pushed.

Cursor = the feed's change sequence. Starting at 0 replays every version in order (the snapshot); later pages
carry only what changed. Applying rows by key in seq order gives the provider's current state, and a page
fetched twice is recognisable by its seqs, so a consumer that dies mid-stream resumes from the last cursor it
stored without losing or silently duplicating anything.

One function builds every page, pulled or pushed (:func:`build_page`): policy decision, changes from the bus,
quota, masking, serialization (JSON Lines, CSV or Parquet), SHA-256 of the body, and the audit record (durable
before the page leaves).

The changes come from a :class:`FeedBus`. The default is the library's own change log
(:class:`LibraryChangeLog`); a message bus such as NATS JetStream can take its place later without touching
page building, pull or push — it only has to answer ``head`` and ``changes`` below.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from govshare.db import Database
from govshare.errors import Problem, forbidden
from govshare.exchange.gateway import visible_values
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.library import store
from govshare.library.models import LibraryRecord, LibraryTable
from govshare.runtime import Runtime
from govshare.sharing.policy import PolicyQuery, engine_for

FeedFormat = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")
MEDIA_TYPES: dict[str, str] = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8; header=present",
    "parquet": "application/vnd.apache.parquet",
}
#: Media types a client may name in ``Accept`` (without parameters) → format.
ACCEPTED: dict[str, str] = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/jsonlines": "jsonl",
    "text/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/parquet": "parquet",
}
#: Rows per page at most (pages are built in memory: a Parquet page is one in-memory file).
MAX_PAGE = 1000
#: Meta columns of the tabular formats (CSV, Parquet). Library field names start with a letter, so these
#: cannot clash with a data column.
META_COLUMNS = ("_seq", "_op", "_key", "_valid_from", "_verified_at")


# ---- the bus ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """One change of one record, as the bus delivers it (values unmasked: the page builder masks)."""

    seq: int
    op: Literal["upsert", "delete"]
    key: str
    values: dict[str, Any] | None  # every field of the record; None for a deletion
    valid_from: datetime
    verified_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    fields: tuple[str, ...]  # the feed's data fields, in schema order
    key_fields: tuple[str, ...]  # the fields that make up ``Change.key``
    changes: list[Change]
    head: int  # the newest seq of the feed when the batch was read


class FeedBus(Protocol):
    """Where a feed's changes come from (the seam for NATS JetStream later).

    ``head(code)``: the newest change sequence of resource ``code`` (0 when empty).
    ``changes(code, since, limit, until)``: changes with ``since < seq (≤ until)`` in seq order, at most ``limit``.
    Sequences only grow and a change once readable never changes or disappears from its place (a JetStream
    stream with the record key as subject and the stream sequence as seq fits this). Both raise the
    ``feed_not_available`` problem (409) for a resource the bus does not carry.
    """

    def head(self, code: str) -> int: ...

    def changes(self, code: str, since: int, limit: int, until: int | None = None) -> ChangeBatch: ...


def _not_available() -> Problem:
    return Problem(
        409,
        "feed_not_available",
        "该资源不在统一资源库中, 不能订阅",
        "this resource is not held in the library; it has no feed",
    )


class LibraryChangeLog:
    """The default bus: the library's change log (``library_record.id`` is the change sequence)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _table(self, session, code: str) -> LibraryTable:  # noqa: ANN001
        table = session.scalar(select(LibraryTable).where(LibraryTable.resource_code == code))
        if table is None:
            raise _not_available()
        return table

    @staticmethod
    def _head(session, table_id: int) -> int:  # noqa: ANN001
        # Walks the primary key backwards from the newest record: cheap when the table changed recently.
        newest = session.scalar(
            select(LibraryRecord.id)
            .where(LibraryRecord.table_id == table_id)
            .order_by(LibraryRecord.id.desc())
            .limit(1)
        )
        return newest or 0

    def head(self, code: str) -> int:
        with self.db.read() as session:
            return self._head(session, self._table(session, code).id)

    def changes(self, code: str, since: int, limit: int, until: int | None = None) -> ChangeBatch:
        from govshare.library.service import schema_of

        with self.db.read() as session:
            table = self._table(session, code)
            schema = schema_of(table)
            names = tuple(schema.field_names)
            records = store.changes_since(session, table.id, since, max(1, min(limit, MAX_PAGE)))
            head = self._head(session, table.id)
        if until is not None:
            records = [r for r in records if r.seq <= until]
        changes = []
        pad = [None] * len(names)  # a record stored before fields were added has fewer values
        for r in records:
            deleted = bool(getattr(r, "deleted", False))  # tombstones (library_record.deleted), when present
            changes.append(
                Change(
                    seq=r.seq,
                    op="delete" if deleted else "upsert",
                    key=r.key,
                    values=None if deleted else dict(zip(names, [*r.values, *pad][: len(names)], strict=True)),
                    valid_from=r.valid_from,
                    verified_at=r.verified_at,
                )
            )
        return ChangeBatch(names, tuple(schema.primary_key), changes, max(head, changes[-1].seq if changes else 0))


def bus_for(runtime: Runtime) -> FeedBus:
    """The runtime's feed bus (the library change log unless something else was installed)."""
    bus = getattr(runtime, "_feed_bus", None)
    if bus is None:
        bus = runtime._feed_bus = LibraryChangeLog(runtime.db)
    return bus


# ---- pages ------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class FeedPage:
    body: bytes  # JSON Lines, CSV or Parquet
    sha256: str  # of body
    cursor: int
    next_cursor: int
    rows: int
    has_more: bool
    format: str = "jsonl"
    columns: list[str] = field(default_factory=list)  # the visible data columns
    provider_org_id: str | None = None
    audit_seq: int | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def negotiate_format(fmt: str | None, accept: str | None) -> str:
    """The page format: ``format=`` wins; else the first supported type in ``Accept``; else JSON Lines."""
    if fmt:
        if fmt not in FORMATS:
            raise Problem(
                422,
                "feed_format_unknown",
                f"不支持的格式: {fmt} (可选 jsonl, csv, parquet)",
                f"unknown format: {fmt} (jsonl, csv or parquet)",
                field="format",
            )
        return fmt
    if not accept:
        return "jsonl"
    wildcard = False
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in ACCEPTED:
            return ACCEPTED[media]
        wildcard = wildcard or media in ("*/*", "application/*", "text/*", "")
    if wildcard:
        return "jsonl"
    raise Problem(
        406,
        "not_acceptable",
        "无法提供所请求的格式 (可选 JSON Lines, CSV, Parquet)",
        "none of the accepted media types can be served (JSON Lines, CSV, Parquet)",
    )


def authenticate_system(runtime: Runtime, api_key: str) -> Principal:
    with runtime.db.read() as session:
        principal = identity.authenticate_api_key(session, api_key)
    if not principal.is_system:
        raise forbidden("只有应用系统可以订阅数据", "only systems use feeds")
    return principal


def pull(
    runtime: Runtime,
    *,
    api_key: str,
    code: str,
    cursor: int,
    limit: int,
    purpose_category: str,
    purpose: str,
    fmt: str = "jsonl",
) -> FeedPage:
    principal = authenticate_system(runtime, api_key)
    return build_page(
        runtime,
        principal=principal,
        code=code,
        cursor=cursor,
        limit=limit,
        purpose_category=purpose_category,
        purpose=purpose,
        fmt=fmt,
    )


def policy_query(principal: Principal, code: str, purpose_category: str, purpose: str) -> PolicyQuery:
    return PolicyQuery(
        system_id=principal.id,
        org_id=principal.org_id or "",
        resource_code=code,
        purpose_category=purpose_category,
        purpose=purpose,
    )


def check_policy(runtime: Runtime, principal: Principal, code: str, purpose_category: str, purpose: str):  # noqa: ANN201
    """The decision for a feed of ``code`` (nothing spent). A refusal is audited and raised as its problem."""
    engine = engine_for(runtime)
    q = policy_query(principal, code, purpose_category, purpose)
    with runtime.db.read() as session:
        decision = engine.decide(q, session=session)
    if not decision.allowed:
        engine.authorize(q, actor=principal)  # audits the refusal
        raise decision.problem()
    return decision


def build_page(
    runtime: Runtime,
    *,
    principal: Principal,
    code: str,
    cursor: int,
    limit: int,
    purpose_category: str,
    purpose: str,
    fmt: str = "jsonl",
    until: int | None = None,
    channel: str = "pull",
    subscription_id: str | None = None,
    bus: FeedBus | None = None,
) -> FeedPage:
    """The page after ``cursor`` (at most ``limit`` rows, none after ``until``) for ``principal``, pulled or pushed:
    decided by the policy, masked, serialized as ``fmt``, checksummed and audited before it is returned."""
    negotiate_format(fmt, None)  # an unknown format is a 422 problem
    check_policy(runtime, principal, code, purpose_category, purpose)
    bus = bus or bus_for(runtime)
    batch = bus.changes(code, cursor, max(1, min(limit, MAX_PAGE)), until)
    changes = batch.changes
    engine = engine_for(runtime)
    q = policy_query(principal, code, purpose_category, purpose)
    decision = engine.authorize(q, records=len(changes), actor=principal)  # quota counts the records sent
    if not decision.allowed:
        raise decision.problem()
    clear, masked = set(decision.clear), decision.masked_map
    columns = [f for f in batch.fields if f in clear or f in masked]
    keys_in_clear = bool(batch.key_fields) and all(f in clear for f in batch.key_fields)
    pseudonym = None if keys_in_clear else _pseudonymizer(runtime, code)
    rows = []
    for c in changes:
        rows.append(
            {
                "seq": c.seq,
                "op": c.op,
                "key": c.key if pseudonym is None else pseudonym(c.key),
                "data": None if c.values is None else visible_values(c.values, clear, masked),
                "valid_from": c.valid_from,
                "verified_at": c.verified_at,
            }
        )
    body = render(fmt, rows, columns)
    digest = hashlib.sha256(body).hexdigest()
    next_cursor = changes[-1].seq if changes else cursor
    has_more = next_cursor < batch.head  # also for a page bounded by until: what follows comes next
    detail: dict[str, Any] = {
        "channel": channel,
        "format": fmt,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "rows": len(changes),
        "deletions": sum(1 for c in changes if c.op == "delete"),
        "sha256": digest,
        "items_clear": sorted(clear),
        "items_masked": sorted(masked),
        "grant_ids": list(decision.grant_ids),
    }
    if subscription_id:
        detail["subscription_id"] = subscription_id
    receipt = runtime.audit.append(
        actor=principal,
        action="exchange.feed",
        object_type="resource",
        object_id=code,
        object_org_id=decision.provider_org_id,
        purpose=f"{purpose_category}: {purpose}",
        detail=detail,
    )
    return FeedPage(
        body,
        digest,
        cursor,
        next_cursor,
        len(changes),
        has_more,
        fmt,
        columns,
        decision.provider_org_id,
        getattr(receipt, "seq", None),
    )


def _pseudonymizer(runtime: Runtime, code: str):  # noqa: ANN202
    """Keys whose fields the grant does not give in clear leave as a stable keyed hash (``k:…``): the consumer
    can still apply changes by key, but learns nothing of it (a masked ID number could collide, and an unkeyed
    hash of one is easily reversed). The secret is the platform's deterministic Ed25519 signature over the
    resource code, so it is the same in every process and never stored."""
    secret = hashlib.sha256(runtime.keys.signer.sign(b"govshare-feed-pseudonym-v1:" + code.encode())).digest()

    def pseudonym(key: str) -> str:
        return "k:" + hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    return pseudonym


# ---- serialization ----------------------------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.isoformat()


def _text(value: Any) -> str | None:
    """A data value in the tabular formats: text as is, other JSON values as JSON text, null as null."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def render(fmt: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    if fmt == "jsonl":
        return _jsonl(rows)
    if fmt == "csv":
        return _csv(rows, columns)
    return _parquet(rows, columns)


def _jsonl(rows: Sequence[dict[str, Any]]) -> bytes:
    lines = []
    for r in rows:
        doc: dict[str, Any] = {"seq": r["seq"], "op": r["op"], "key": r["key"]}
        if r["data"] is not None:
            doc["data"] = r["data"]
        doc["valid_from"] = _iso(r["valid_from"])
        doc["verified_at"] = _iso(r["verified_at"])
        lines.append(orjson.dumps(doc))
    return b"\n".join(lines) + (b"\n" if lines else b"")


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*META_COLUMNS, *columns])
    for r in rows:
        data = r["data"] or {}
        writer.writerow(
            [
                r["seq"],
                r["op"],
                r["key"],
                _iso(r["valid_from"]),
                _iso(r["verified_at"]),
                *(("" if (v := _text(data.get(c))) is None else v) for c in columns),
            ]
        )
    return out.getvalue().encode("utf-8")


def parquet_schema(columns: Sequence[str]) -> pa.Schema:
    ts = pa.timestamp("us", tz="UTC")
    return pa.schema(
        [
            pa.field("_seq", pa.int64(), nullable=False),
            pa.field("_op", pa.string(), nullable=False),
            pa.field("_key", pa.string(), nullable=False),
            pa.field("_valid_from", ts, nullable=False),
            pa.field("_verified_at", ts, nullable=False),
            *(pa.field(c, pa.string()) for c in columns),
        ]
    )


def _parquet(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    arrays: dict[str, list[Any]] = {
        "_seq": [r["seq"] for r in rows],
        "_op": [r["op"] for r in rows],
        "_key": [r["key"] for r in rows],
        "_valid_from": [r["valid_from"] for r in rows],
        "_verified_at": [r["verified_at"] for r in rows],
    }
    for c in columns:
        arrays[c] = [None if r["data"] is None else _text(r["data"].get(c)) for r in rows]
    table = pa.Table.from_pydict(arrays, schema=parquet_schema(columns))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()
