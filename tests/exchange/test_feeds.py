"""Feeds: snapshot + 3 rounds of changes, the consumer dies mid-stream and resumes from its cursor — nothing
lost, nothing silently duplicated, every page's checksum verified; masking and audit as for queries."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from govshare.audit.models import AuditRecord
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
IDS = ["11010519491231002X", "440524188001010014", "331902198005060172", "331903199211300246"]


def _ingest(sw: Sharing, tmp_path, round_no: int, people: dict[str, tuple[str, str]]) -> None:
    path = tmp_path / f"round{round_no}.csv"
    path.write_text(
        "id_number,name,address\n" + "".join(f"{k},{n},{a}\n" for k, (n, a) in people.items()), encoding="utf-8"
    )
    library.ingest(sw.runtime.db, actor=sw.b_admin, code=sw.cond, path=path)


class Consumer:
    """A consumer that applies pages by key and stores its cursor only after a page is applied."""

    def __init__(self, client, sw: Sharing) -> None:
        self.client, self.sw = client, sw
        self.cursor, self.state, self.applied_seqs, self.duplicates = 0, {}, [], 0

    def page(self, limit: int = 2):  # noqa: ANN201
        resp = self.client.get(
            f"/exchange/v1/feeds/{self.sw.cond}/changes",
            params={
                "cursor": self.cursor,
                "limit": limit,
                "purpose_category": "social_assistance",
                "purpose": "低保对象名册同步",
            },
            headers={"X-API-Key": self.sw.world.a.api_key},
        )
        assert resp.status_code == 200, resp.text
        assert hashlib.sha256(resp.content).hexdigest() == resp.headers["X-Chunk-SHA256"]
        return resp

    def apply(self, resp) -> None:  # noqa: ANN001
        for line in resp.content.splitlines():
            row = json.loads(line)
            if self.applied_seqs and row["seq"] <= self.applied_seqs[-1]:
                self.duplicates += 1  # already applied: recognised by its seq, not applied twice
                continue
            self.applied_seqs.append(row["seq"])
            self.state[row["key"]] = row["data"]
        self.cursor = int(resp.headers["X-Next-Cursor"])

    def drain(self) -> None:
        while True:
            resp = self.page()
            self.apply(resp)
            if resp.headers["X-Has-More"] != "true":
                return


def test_snapshot_changes_crash_and_resume(client, sw: Sharing, tmp_path):
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
    approve_all(sw, request_id, items=["id_number", "name"], reason="地址不提供")
    people = {IDS[0]: ("张三", "明湖区1号"), IDS[1]: ("李四", "云溪区2号"), IDS[2]: ("王五", "新港区3号")}
    _ingest(sw, tmp_path, 0, people)

    consumer = Consumer(client, sw)
    consumer.drain()  # the snapshot
    assert set(consumer.state) == set(people)

    rounds = [
        {**people, IDS[0]: ("张三丰", "明湖区1号")},  # a change
        {IDS[3]: ("赵六", "明湖区9号")},  # an insert
        {IDS[1]: ("李四", "云溪区20号"), IDS[2]: ("王小五", "新港区3号")},  # two changes
    ]
    for n, changes in enumerate(rounds, start=1):
        _ingest(sw, tmp_path, n, changes)
        people.update(changes)
        if n == 2:
            # the consumer dies after receiving a page but before applying it and storing the cursor
            lost_page = consumer.page(limit=1)
            assert lost_page.headers["X-Rows"] == "1"
            consumer = _restarted(consumer)
        consumer.drain()

    assert consumer.duplicates == 0  # resumed from the stored cursor: nothing fetched twice was applied twice
    assert {k: v["name"] for k, v in consumer.state.items()} == {k: n for k, (n, _) in people.items()}
    assert all("address" not in v or "*" in (v["address"] or "*") for v in consumer.state.values())  # masked
    assert consumer.applied_seqs == sorted(consumer.applied_seqs)
    # replaying the same pages again is harmless: every row is recognised by its seq
    replay = Consumer(client, sw)
    replay.drain()
    assert replay.state == consumer.state

    with sw.runtime.db.read() as s:
        pages = s.scalars(select(AuditRecord).where(AuditRecord.action == "exchange.feed")).all()
    assert pages and all(json.loads(p.detail)["sha256"] for p in pages)


def _restarted(old: Consumer) -> Consumer:
    new = Consumer(old.client, old.sw)
    new.cursor, new.state, new.applied_seqs = old.cursor, dict(old.state), list(old.applied_seqs)
    return new


def test_feed_needs_a_grant_and_a_library_resource(client, sw: Sharing):
    params = {"purpose_category": "social_assistance", "purpose": "名册同步"}
    resp = client.get(f"/exchange/v1/feeds/{sw.cond}/changes", params=params, headers={"X-API-Key": sw.world.a.api_key})
    assert resp.status_code == 403 and resp.json()["code"]
    resp = client.get(f"/exchange/v1/feeds/{sw.cond}/changes", params=params)
    assert resp.status_code == 401
