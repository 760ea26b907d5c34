"""Feed page formats: JSON Lines, CSV and Parquet carry the same rows (seq, op, key, visible data — masked values
as masked strings), each with the SHA-256 of its body and the next cursor in headers. Deletions (tombstones)
come as ``op: delete`` without data, whatever the bus."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from govshare.exchange import feeds
from govshare.identity.principal import Principal
from govshare.library import service as library
from govshare.library.schemas import LibraryTableCreate
from govshare.sharing import service as sharing
from tests.sharing.conftest import Sharing, approve_all

SCHEMA = {
    "fields": [
        {"name": "id_number", "title": "公民身份号码", "format": "id_number", "required": True},
        {"name": "name", "title": "姓名", "required": True},
        {"name": "address", "title": "家庭住址"},
    ],
    "primary_key": ["id_number"],
}
PEOPLE = {
    "11010519491231002X": ("张三", "明湖区1号"),
    "440524188001010014": ('李四, "老李"', "云溪区2号\n二楼"),  # CSV quoting: comma, quote, newline
    "331902198005060172": ("王五", ""),
}
PURPOSE = {"purpose_category": "social_assistance", "purpose": "低保对象名册同步"}


def parse_page(fmt: str, body: bytes) -> list[dict]:
    """A page body back to rows ``{seq, op, key, data}`` (what a receiver does)."""
    if fmt == "jsonl":
        return [
            {"seq": d["seq"], "op": d["op"], "key": d["key"], "data": d.get("data")}
            for d in (json.loads(line) for line in body.splitlines())
        ]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
        rows = []
        for r in reader:
            data = {k: (v if v != "" else None) for k, v in r.items() if not k.startswith("_")}
            rows.append(
                {
                    "seq": int(r["_seq"]),
                    "op": r["_op"],
                    "key": r["_key"],
                    "data": None if r["_op"] == "delete" else data,
                }
            )
        return rows
    table = pq.read_table(io.BytesIO(body))
    rows = []
    for r in table.to_pylist():
        data = {k: v for k, v in r.items() if not k.startswith("_")}
        rows.append(
            {"seq": r["_seq"], "op": r["_op"], "key": r["_key"], "data": None if r["_op"] == "delete" else data}
        )
    return rows


def _normalize(rows: list[dict]) -> list[dict]:
    # CSV has no null: an empty cell reads as None, so compare with empty strings as None.
    return [{**r, "data": None if r["data"] is None else {k: v or None for k, v in r["data"].items()}} for r in rows]


@pytest.fixture
def feed(sw: Sharing, tmp_path) -> Sharing:
    with sw.runtime.db.write() as s:
        library.create_table(
            s,
            actor=sw.b_admin,
            data=LibraryTableCreate(resource_code=sw.cond, name="低保对象专题库", schema=SCHEMA, update_cycle="daily"),
        )
        req = sharing.submit_request(
            s,
            actor=sw.a_clerk,
            data=sw.request_body(sw.cond, items=["id_number", "name", "address"], expected_daily_records=100_000),
        )
        request_id = req.id
    approve_all(sw, request_id, items=["id_number", "name", "address"], masked_items=["address"], reason="地址脱敏")
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id_number", "name", "address"])
        for k, (n, a) in PEOPLE.items():
            w.writerow([k, n, a])
    library.ingest(sw.runtime.db, actor=sw.b_admin, code=sw.cond, path=path)
    return sw


def _get(client, sw: Sharing, cursor: int = 0, limit: int = 2, **extra):  # noqa: ANN202
    headers = {"X-API-Key": sw.world.a.api_key, **extra.pop("headers", {})}
    return client.get(
        f"/exchange/v1/feeds/{sw.cond}/changes",
        params={"cursor": cursor, "limit": limit, **PURPOSE, **extra},
        headers=headers,
    )


def _drain(client, sw: Sharing, fmt: str) -> tuple[list[dict], int]:
    rows, cursor, pages = [], 0, 0
    while True:
        resp = _get(client, sw, cursor, format=fmt)
        assert resp.status_code == 200, resp.text
        assert resp.headers["X-Format"] == fmt
        assert resp.headers["content-type"].startswith(feeds.MEDIA_TYPES[fmt].split(";")[0])
        assert hashlib.sha256(resp.content).hexdigest() == resp.headers["X-Chunk-SHA256"]  # checksum verified
        page = parse_page(fmt, resp.content)
        assert len(page) == int(resp.headers["X-Rows"])
        assert int(resp.headers["X-Cursor"]) == cursor
        if page:
            assert int(resp.headers["X-Next-Cursor"]) == page[-1]["seq"]
        rows.extend(page)
        cursor, pages = int(resp.headers["X-Next-Cursor"]), pages + 1
        if resp.headers["X-Has-More"] != "true":
            return rows, pages


def test_formats_round_trip(client, feed: Sharing):
    jsonl, pages = _drain(client, feed, "jsonl")
    assert pages == 2 and len(jsonl) == 3
    assert {r["key"] for r in jsonl} == set(PEOPLE)
    for r in jsonl:
        assert r["op"] == "upsert"
        assert r["data"]["name"] == PEOPLE[r["key"]][0]  # in clear
        address = r["data"]["address"]  # masked ("keep:6:0"), or null when empty
        assert address is None or ("*" in address and address != PEOPLE[r["key"]][1])
    for fmt in ("csv", "parquet"):
        rows, _ = _drain(client, feed, fmt)
        assert _normalize(rows) == _normalize(jsonl), fmt
    # CSV: UTF-8 with a header row of the meta columns, then the visible data columns in schema order
    resp = _get(client, feed, format="csv")
    assert (
        resp.content.decode("utf-8").splitlines()[0] == "_seq,_op,_key,_valid_from,_verified_at,id_number,name,address"
    )
    # Parquet: typed meta columns
    table = pq.read_table(io.BytesIO(_get(client, feed, format="parquet").content))
    assert str(table.schema.field("_seq").type) == "int64"
    assert str(table.schema.field("_valid_from").type) == "timestamp[us, tz=UTC]"


def test_format_from_accept_header(client, feed: Sharing):
    resp = _get(client, feed, headers={"Accept": "text/csv"})
    assert resp.status_code == 200 and resp.headers["X-Format"] == "csv"
    resp = _get(client, feed, headers={"Accept": "application/vnd.apache.parquet;q=1.0, */*;q=0.1"})
    assert resp.status_code == 200 and resp.headers["X-Format"] == "parquet"
    resp = _get(client, feed, headers={"Accept": "*/*"})
    assert resp.headers["X-Format"] == "jsonl"
    resp = _get(client, feed, headers={"Accept": "text/csv"}, format="jsonl")  # the parameter wins
    assert resp.headers["X-Format"] == "jsonl"
    resp = _get(client, feed, headers={"Accept": "application/xml"})
    assert resp.status_code == 406 and resp.headers["content-type"].startswith("application/problem+json")
    resp = _get(client, feed, format="xml")
    assert resp.status_code == 422 and resp.json()["code"] == "feed_format_unknown"


class ListBus:
    """A second implementation of the FeedBus seam (as NATS JetStream will be): changes from a list, here with a
    tombstone, which the library change log emits once the library has them."""

    def __init__(self, changes: list[feeds.Change]) -> None:
        self._changes = changes

    def head(self, code: str) -> int:
        return self._changes[-1].seq if self._changes else 0

    def changes(self, code: str, since: int, limit: int, until: int | None = None) -> feeds.ChangeBatch:
        picked = [c for c in self._changes if c.seq > since and (until is None or c.seq <= until)][:limit]
        return feeds.ChangeBatch(("id_number", "name", "address"), ("id_number",), picked, self.head(code))


def test_deletions_and_the_bus_seam(feed: Sharing):
    at = datetime(2026, 11, 1, tzinfo=UTC)
    key = "11010519491231002X"
    bus = ListBus(
        [
            feeds.Change(7, "upsert", key, {"id_number": key, "name": "张三", "address": "明湖区1号"}, at, at),
            feeds.Change(9, "delete", key, None, at, at),
        ]
    )
    a = feed.world.a
    principal = Principal(kind="system", id=a.system_id, org_id=a.org_id, name="公安局业务系统")
    pages = {
        fmt: feeds.build_page(
            feed.runtime, principal=principal, code=feed.cond, cursor=0, limit=10, fmt=fmt, bus=bus, **PURPOSE
        )
        for fmt in feeds.FORMATS
    }
    jsonl = [json.loads(line) for line in pages["jsonl"].body.splitlines()]
    assert jsonl[1] == {
        "seq": 9,
        "op": "delete",
        "key": key,
        "valid_from": at.isoformat(),
        "verified_at": at.isoformat(),
    }  # no data
    for fmt, page in pages.items():
        rows = parse_page(fmt, page.body)
        assert [(r["seq"], r["op"], r["data"] is None) for r in rows] == [(7, "upsert", False), (9, "delete", True)]
        assert page.next_cursor == 9 and not page.has_more and page.sha256 == hashlib.sha256(page.body).hexdigest()
    parquet = pq.read_table(io.BytesIO(pages["parquet"].body)).to_pylist()
    assert parquet[1]["name"] is None  # a deletion has no data
    # until bounds a page (the push worker re-sends exactly the range in flight)
    page = feeds.build_page(
        feed.runtime, principal=principal, code=feed.cond, cursor=0, limit=10, until=7, bus=bus, **PURPOSE
    )
    assert page.rows == 1 and page.next_cursor == 7 and page.has_more


def test_keys_not_in_clear_leave_as_a_pseudonym(client, sw: Sharing, tmp_path):
    """When the grant does not give the key items in clear, the feed's key is a stable keyed hash: the consumer
    still applies changes by key but does not learn it (the masked value is in data, as for queries)."""
    with sw.runtime.db.write() as s:
        library.create_table(
            s,
            actor=sw.b_admin,
            data=LibraryTableCreate(resource_code=sw.cond, name="低保对象专题库", schema=SCHEMA, update_cycle="daily"),
        )
        req = sharing.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond, items=["name", "address"]))
        request_id = req.id
    approve_all(sw, request_id, items=["name", "address"], masked_items=["address"], reason="只提供姓名")
    path = tmp_path / "p.csv"
    path.write_text("id_number,name,address\n11010519491231002X,张三,明湖区1号\n", encoding="utf-8")
    library.ingest(sw.runtime.db, actor=sw.b_admin, code=sw.cond, path=path)
    first = [json.loads(x) for x in _get(client, sw).content.splitlines()]
    again = [json.loads(x) for x in _get(client, sw).content.splitlines()]
    assert first[0]["key"].startswith("k:") and "11010519491231002X" not in json.dumps(first)
    assert first[0]["key"] == again[0]["key"]  # stable
