"""Open-data downloads (开放数据下载): the current rows of an open dataset held in the unified resource library,
as CSV, JSON Lines or Parquet, streamed page by page (never the whole table in memory).

What may be downloaded:

* the catalog resource is published and **无条件开放** (``open_type`` unconditional) — 有条件开放 needs an
  application and is not a download;
* a library table serves its resource code;
* only the items that may be open: the catalog's items that are neither secret (涉密) nor sensitive personal
  information, at sensitivity L1/L2, and not 不予共享; library fields that are not catalog items stay out.

Each download is counted (``govshare_open_downloads_total``) and recorded in the audit log as an anonymous
public download (``open.download``, actor kind ``public``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.responses import StreamingResponse
from prometheus_client import Counter
from sqlalchemy.orm import Session

from govshare.catalog.schemas import ResourceRead
from govshare.errors import Problem, not_found
from govshare.identity.principal import Principal
from govshare.library import service as library
from govshare.runtime import Runtime

#: format → (media type, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}
PAGE = 1000
OPEN_LEVELS = ("L1", "L2")
PUBLIC = Principal(kind="public", id="anonymous", org_id=None, name="公众")
DOWNLOADS = Counter("govshare_open_downloads_total", "Open-data downloads", ["format"])
_ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}


@dataclass(frozen=True)
class Download:
    """What a dataset offers: its library table, and the columns (name, title, position, type) that may be open."""

    code: str
    provider_org_id: str
    columns: list[tuple[str, str, int, str]]
    rows: int


def _open_items(read: ResourceRead) -> set[str]:
    return {
        i.machine_name
        for i in read.items
        if not i.is_secret
        and not i.is_sensitive
        and (i.sensitivity or "L1") in OPEN_LEVELS
        and (i.effective_share_type or read.share_type) != "none"
    }


def downloadable(session: Session, read: ResourceRead) -> Download | None:
    """The download of a dataset, or None (not 无条件开放, not held in the library, or no open item)."""
    if read.open_type != "unconditional":
        return None
    try:
        table = library.get_table(session, actor=PUBLIC, code=read.code)
    except Problem:
        return None
    if not table.active:
        return None
    allowed = _open_items(read)
    fields = library.schema_of(table).fields
    columns = [(f.name, f.title, pos, f.type) for pos, f in enumerate(fields) if f.name in allowed]
    if not columns:
        return None
    return Download(table.resource_code, table.provider_org_id, columns, table.current_rows)


def _rows(runtime: Runtime, code: str, positions: list[int]) -> Iterator[list[Any]]:
    """Current rows, one short read transaction per page of ``PAGE`` (keyset on the change sequence)."""
    after = 0
    while True:
        with runtime.db.read() as s:
            _table, page = library.current_rows_page(s, code=code, after=after, limit=PAGE)
        if not page:
            return
        for _seq, values in page:
            yield [values[p] if p < len(values) else None for p in positions]
        after = page[-1][0]
        if len(page) < PAGE:
            return


def _batched(rows: Iterator[list[Any]], n: int = PAGE) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_stream(rows: Iterator[list[Any]], header: list[str]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode()
    for batch in _batched(rows):
        buf.seek(0)
        buf.truncate()
        writer.writerows([["" if v is None else v for v in row] for row in batch])
        yield buf.getvalue().encode()


def jsonl_stream(rows: Iterator[list[Any]], names: list[str]) -> Iterator[bytes]:
    for batch in _batched(rows):
        yield b"".join(orjson.dumps(dict(zip(names, row, strict=True))) + b"\n" for row in batch)


class _Sink(io.RawIOBase):
    """A write-only file that hands over what was written since the last ``take`` (Parquet row groups)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self._chunks.append(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def take(self) -> bytes:
        out, self._chunks = b"".join(self._chunks), []
        return out


def _arrow_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return bool(value)
    return str(value)


def parquet_stream(rows: Iterator[list[Any]], columns: list[tuple[str, str, int, str]]) -> Iterator[bytes]:
    """One row group per page; each is sent as soon as it is written."""
    schema = pa.schema([pa.field(name, _ARROW_TYPES.get(kind, pa.string())) for name, _t, _p, kind in columns])
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in _batched(rows):
            arrays = [
                pa.array([_arrow_value(row[i], kind) for row in batch], type=schema.field(i).type)
                for i, (_n, _t, _p, kind) in enumerate(columns)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            yield sink.take()
    yield sink.take()


def download_response(runtime: Runtime, session: Session, read: ResourceRead, fmt: str) -> StreamingResponse:
    if fmt not in FORMATS:
        raise not_found("format", "下载格式", fmt)
    offer = downloadable(session, read)
    if offer is None:
        raise not_found("download", "开放数据下载", read.code)
    names = [name for name, _t, _p, _k in offer.columns]
    positions = [pos for _n, _t, pos, _k in offer.columns]
    runtime.audit.append(
        actor=PUBLIC,
        action="open.download",
        object_type="resource",
        object_id=read.code,
        object_org_id=offer.provider_org_id,
        detail={"dataset": read.id, "format": fmt, "items": names, "rows": offer.rows},
    )
    DOWNLOADS.labels(fmt).inc()
    rows = _rows(runtime, offer.code, positions)
    if fmt == "csv":
        body = csv_stream(rows, names)
    elif fmt == "jsonl":
        body = jsonl_stream(rows, names)
    else:
        body = parquet_stream(rows, offer.columns)
    media, ext = FORMATS[fmt]
    filename = f"{read.code.replace('/', '-')}.{ext}"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(read.name)}.{ext}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return StreamingResponse(body, media_type=media, headers=headers)
