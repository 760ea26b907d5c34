"""Ingestion against the real store (SQLite and PostgreSQL): formats, quarantine, idempotence, versions, atomicity."""

from __future__ import annotations

import datetime as dt
import json
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from sqlalchemy import select, text

from govshare.audit.models import AuditRecord
from govshare.db import utcnow
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM
from govshare.library import service, store
from govshare.library.models import LibraryIngest
from tests.library.conftest import PERSON_CODE, PERSON_HEADER, person_rows, write_csv

TITLES = ["公民身份号码", "姓名", "性别", "出生日期", "民族", "户籍地址", "户籍地行政区划代码", "婚姻状况", "人口状态"]


def _bad_rows(rows: list[list[str]]) -> dict[int, tuple[str, str]]:
    """Break a few rows in known ways; returns {row number in file: (field, rule)}."""
    broken = {
        3: ("id_number", "id_number_checksum"),
        5: ("birth_date", "date_invalid"),
        8: ("gender", "enum"),
        13: ("region_code", "region_code_invalid"),
        21: ("name", "required"),
        34: ("gender", "id_number_gender_mismatch"),
    }
    rows[3 - 2][0] = rows[3 - 2][0][:-1] + ("0" if rows[3 - 2][0][-1] != "0" else "1")
    rows[5 - 2][3] = "1990-02-30"
    rows[8 - 2][2] = "男的"
    rows[13 - 2][6] = "999999"
    rows[21 - 2][1] = "  "
    rows[34 - 2][2] = "女" if rows[34 - 2][2] == "男" else "男"
    return broken


def test_csv_ingest_cleans_validates_and_quarantines(lib, tmp_path):
    rows = person_rows(200)
    broken = _bad_rows(rows)
    rows[40][1] = "\u3000" + rows[40][1] + " "  # full-width space and a trailing blank
    rows[41][3] = rows[41][3].replace("-", "/")
    d = dt.date.fromisoformat(rows[42][3])
    rows[42][3] = f"{d.year}年{d.month}月{d.day}日"
    rows[43][3] = rows[43][3].replace("-", "")
    rows[44][2] = "1" if rows[44][2] == "男" else "2"
    path = write_csv(tmp_path / "persons.csv", PERSON_HEADER, rows)

    report = lib.ingest(PERSON_CODE, path, batch_size=64)
    assert report.status == "completed" and report.batches == 4
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (200, 194, 6)
    assert report.inserted == 194 and report.encoding == "utf-8" and report.file_sha256
    cleaning = {c.rule: c.count for c in report.cleaning}
    assert cleaning["fullwidth_to_halfwidth"] == 1 and cleaning["trim_whitespace"] == 2  # "  " name counts too
    assert cleaning["date_slashed"] == 1 and cleaning["date_chinese"] == 1 and cleaning["date_compact"] == 1
    assert cleaning["enum_alias"] == 1
    validation = {c.rule: c.count for c in report.validation}
    assert validation == {rule: 1 for _field, rule in broken.values()}
    assert all(c.message_zh and c.message_en for c in report.validation)

    quarantined = lib.quarantine(report.id)
    assert [(q.row_number, q.field, q.rule) for q in quarantined] == [
        (row, field, rule) for row, (field, rule) in sorted(broken.items())
    ]
    assert quarantined[1].value == "1990-02-30" and quarantined[0].file_name == "persons.csv"
    assert [q.row_number for q in lib.quarantine(report.id, rule_code="enum")] == [8]

    cleaned = lib.record(PERSON_CODE, rows[40][0])
    assert cleaned.values["name"] == rows[40][1].strip("\u3000 ")
    assert lib.record(PERSON_CODE, rows[42][0]).values["birth_date"] == d.isoformat()
    assert lib.stats(PERSON_CODE) == {"versions": 194, "current": 194}
    assert lib.table(PERSON_CODE).current_rows == 194


def test_gb18030_is_detected_and_declared_encodings_work(lib, tmp_path):
    rows = person_rows(30, seed=3)
    gb = write_csv(tmp_path / "gb.csv", TITLES, rows, encoding="gb18030")
    report = lib.ingest(PERSON_CODE, gb)
    assert report.encoding == "gb18030" and report.rows_accepted == 30
    assert lib.record(PERSON_CODE, rows[0][0]).values["name"] == rows[0][1]
    again = lib.ingest(PERSON_CODE, gb, encoding="GBK")
    assert again.encoding == "gb18030" and again.unchanged == 30
    with pytest.raises(Problem) as err:
        lib.ingest(PERSON_CODE, gb, encoding="latin-1")
    assert err.value.code == "ingest_encoding_unsupported"


def test_bad_bytes_quarantine_their_row_only(lib, tmp_path):
    rows = person_rows(5, seed=4)
    path = write_csv(tmp_path / "mixed.csv", PERSON_HEADER, rows)
    data = path.read_bytes().replace(rows[3][1].encode(), rows[3][1].encode()[:-1] + b"\xff", 1)
    path.write_bytes(data)  # one name has a broken UTF-8 sequence; detection still says UTF-8 (mostly valid)
    report = lib.ingest(PERSON_CODE, path, encoding="utf-8")
    assert report.rows_accepted == 4
    assert [(q.row_number, q.rule) for q in lib.quarantine(report.id)] == [(5, "encoding_invalid")]


def test_excel_jsonl_and_parquet_load_the_same_records(lib, tmp_path, runtime):
    rows = person_rows(40, seed=5)
    csv_report = lib.ingest(PERSON_CODE, write_csv(tmp_path / "p.csv", PERSON_HEADER, rows))
    assert csv_report.inserted == 40

    book = Workbook()
    sheet = book.active
    sheet.append([TITLES[1], TITLES[0], *TITLES[2:]])  # columns in another order, Chinese titles
    for r in rows:
        born = dt.date.fromisoformat(r[3])
        excel_date = dt.datetime(born.year, born.month, born.day)
        sheet.append([r[1], r[0], r[2], excel_date, r[4], r[5], int(r[6]), r[7], r[8]])
    book.save(tmp_path / "p.xlsx")
    xlsx = lib.ingest(PERSON_CODE, tmp_path / "p.xlsx")
    assert (xlsx.file_format, xlsx.unchanged, xlsx.inserted, xlsx.updated) == ("xlsx", 40, 0, 0)

    with open(tmp_path / "p.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(dict(zip(PERSON_HEADER, r, strict=True)), ensure_ascii=False) + "\n")
        f.write("\n[1, 2]\n")
    jsonl = lib.ingest(PERSON_CODE, tmp_path / "p.jsonl")
    assert (jsonl.file_format, jsonl.unchanged, jsonl.rows_rejected) == ("jsonl", 40, 1)
    assert [(q.row_number, q.rule) for q in lib.quarantine(jsonl.id)] == [(42, "jsonl_format")]

    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(PERSON_HEADER)})
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=16)
    parquet = lib.ingest(PERSON_CODE, tmp_path / "p.parquet", batch_size=16)
    assert (parquet.file_format, parquet.unchanged, parquet.batches) == ("parquet", 40, 3)
    assert lib.stats(PERSON_CODE) == {"versions": 40, "current": 40}


def test_reingesting_the_same_file_changes_nothing(lib, tmp_path, runtime):
    rows = person_rows(120, seed=6)
    rows.append(list(rows[10]))  # a key repeated in the file (across batches): the first one wins
    path = write_csv(tmp_path / "p.csv", PERSON_HEADER, rows)
    first = lib.ingest(PERSON_CODE, path, batch_size=50)
    assert (first.inserted, first.rows_rejected) == (120, 1)
    assert [(q.row_number, q.rule) for q in lib.quarantine(first.id)] == [(122, "key_duplicate")]
    with runtime.db.read() as s:
        before = s.execute(text("SELECT id, key, content_hash, valid_from, data FROM library_record ORDER BY id")).all()
    table_before = lib.table(PERSON_CODE)

    second = lib.ingest(PERSON_CODE, path, batch_size=50)
    assert (second.inserted, second.updated, second.unchanged, second.rows_rejected) == (0, 0, 120, 1)
    with runtime.db.read() as s:
        after = s.execute(text("SELECT id, key, content_hash, valid_from, data FROM library_record ORDER BY id")).all()
        written = set(s.scalars(text("SELECT DISTINCT verified_ingest_id FROM library_record")))
        verified = s.execute(text("SELECT count(*), min(ingest_id), max(ingest_id) FROM library_record_verified")).one()
    assert after == before  # same versions, same change sequences, same data
    assert written == {first.id}  # the records themselves are not rewritten…
    assert tuple(verified) == (120, second.id, second.id)  # …only a narrow verification row per record
    assert lib.table(PERSON_CODE).last_change_seq == table_before.last_change_seq
    rec = lib.record(PERSON_CODE, rows[0][0])
    assert rec.provenance.verified_ingest_id == second.id and rec.provenance.ingest_id == first.id
    assert rec.provenance.verified_at > rec.valid_from

    third = lib.ingest(PERSON_CODE, path, batch_size=50)  # verified again: the side rows move in place
    assert third.unchanged == 120
    with runtime.db.read() as s:
        verified = s.execute(text("SELECT count(*), min(ingest_id) FROM library_record_verified")).one()
    assert tuple(verified) == (120, third.id)
    assert lib.record(PERSON_CODE, rows[0][0]).provenance.verified_ingest_id == third.id


def test_a_batch_gets_its_change_sequences_in_key_order(lib, tmp_path, runtime):
    rows = person_rows(60, seed=9)
    lib.ingest(PERSON_CODE, write_csv(tmp_path / "a.csv", PERSON_HEADER, rows), batch_size=25)  # fresh table
    changed = [list(r) for r in rows[40:10:-1]]
    for r in changed:
        r[8] = "迁出" if r[8] != "迁出" else "正常"
    new = person_rows(75, seed=9)[60:]
    second = lib.ingest(PERSON_CODE, write_csv(tmp_path / "b.csv", PERSON_HEADER, new + changed), batch_size=25)
    assert (second.inserted, second.updated) == (15, 30)  # existing keys: staged, closed and inserted
    with runtime.db.read() as s:
        versions = s.execute(text("SELECT valid_from, key FROM library_record ORDER BY id")).all()
    batches: dict = {}
    for valid_from, key in versions:
        batches.setdefault(valid_from, []).append(key)
    assert len(batches) == 3 + 2  # a batch is one time
    assert all(keys == sorted(keys) for keys in batches.values())


def test_the_sqlite_payload_carries_keys_and_data_exactly_in_key_order():
    """json_each hands out each member's label (hash and key, escapes undone) and its data text as written."""
    import sqlite3

    from govshare.library.compiler import ProcessedChunk

    keys = ['b"q', "a\\b", "c/é", "z\t", "中文"]
    datas = ['["x"]', '["a\\"b"]', '["\\\\"]', '[null,"y"]', '["中"]']
    hashes = [f"{i:032x}" for i in range(len(keys))]
    chunk = ProcessedChunk(keys=keys, datas=datas, hashes=hashes)
    payload = store.build_payload(chunk, "sqlite", store.Stamp(1, 1, utcnow()))
    rows = (
        sqlite3.connect(":memory:")
        .execute(
            "SELECT substr(j.key, 33), j.value, substr(j.key, 1, 32) FROM json_each(CAST(? AS TEXT)) AS j", (payload,)
        )
        .fetchall()
    )
    assert rows == sorted(zip(keys, datas, hashes, strict=True))


def test_versions_as_of_and_changes_since(lib, tmp_path, runtime):
    rows = person_rows(20, seed=7)
    v1 = lib.ingest(PERSON_CODE, write_csv(tmp_path / "v1.csv", PERSON_HEADER, rows))
    seq_after_v1 = lib.table(PERSON_CODE).last_change_seq
    between = utcnow()
    time.sleep(0.01)
    changed = [list(r) for r in rows[:3]]
    changed[0][8] = "迁出"
    changed[1][7] = "离异" if changed[1][7] != "离异" else "已婚"
    new = person_rows(22, seed=7)[20:]  # two persons new to the table
    v2 = lib.ingest(PERSON_CODE, write_csv(tmp_path / "v2.csv", PERSON_HEADER, changed + new))
    assert (v2.inserted, v2.updated, v2.unchanged) == (2, 2, 1)
    assert lib.table(PERSON_CODE).current_rows == 22

    key = rows[0][0]
    history = lib.history(PERSON_CODE, key)
    assert [h.values["status"] for h in history] == [rows[0][8], "迁出"]
    old, cur = history
    assert not old.current and cur.current and cur.prev_seq == old.seq and cur.seq > old.seq
    assert old.valid_to == cur.valid_from and old.provenance.ingest_id == v1.id and cur.provenance.ingest_id == v2.id
    assert lib.record(PERSON_CODE, key, as_of=between).values["status"] == rows[0][8]
    assert lib.record(PERSON_CODE, key).values["status"] == "迁出"
    with pytest.raises(Problem) as err:
        lib.record(PERSON_CODE, key, as_of=old.valid_from - dt.timedelta(seconds=1))
    assert err.value.status == 404

    with runtime.db.read() as s:
        feed = service.changes(s, actor=PLATFORM, code=PERSON_CODE, since=seq_after_v1, limit=3)
        assert feed.has_more and len(feed.items) == 3
        rest = service.changes(s, actor=PLATFORM, code=PERSON_CODE, since=feed.next_since, limit=10)
    assert not rest.has_more
    changed_keys = [i.key for i in feed.items + rest.items]
    assert sorted(changed_keys) == sorted([rows[0][0], rows[1][0], new[0][0], new[1][0]])
    seqs = [i.seq for i in feed.items + rest.items]
    assert seqs == sorted(seqs) and seqs[0] > seq_after_v1
    # the content hash is a function of the values alone, whatever the store
    import hashlib

    import orjson

    values = [cur.values[n] for n in PERSON_HEADER]
    assert cur.content_hash == hashlib.sha256(orjson.dumps(values)).hexdigest()[:32]


def test_missing_required_column_fails_before_any_write(lib, tmp_path, runtime):
    path = write_csv(tmp_path / "p.csv", ["姓名", "性别"], [["张三", "男"]])
    with pytest.raises(Problem) as err:
        lib.ingest(PERSON_CODE, path)
    assert err.value.code == "ingest_columns_missing" and "id_number" in err.value.extra["missing_columns"]
    with runtime.db.read() as s:
        assert s.scalar(select(LibraryIngest.id)) is None


def test_unknown_columns_are_reported_and_rows_with_wrong_width_quarantined(lib, tmp_path):
    rows = person_rows(3, seed=8)
    path = tmp_path / "p.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join([*PERSON_HEADER, "备注"]) + "\n")
        f.write(",".join([*rows[0], "x"]) + "\n")
        f.write(",".join(rows[1]) + "\n\n")  # one column short, then a blank line (ignored)
        f.write(",".join([*rows[2], ""]) + "\n")
    report = lib.ingest(PERSON_CODE, path)
    assert report.ignored_columns == ["备注"]
    assert (report.rows_read, report.rows_accepted) == (3, 2)
    assert [(q.row_number, q.rule) for q in lib.quarantine(report.id)] == [(3, "column_count")]


def test_a_failing_batch_leaves_the_library_as_before_it(lib, tmp_path, runtime, monkeypatch):
    """A crash inside a batch, after its rows were written, rolls the whole batch back (in-process)."""
    from govshare.library import ingest as ingest_module

    rows = person_rows(150, seed=9)
    path = write_csv(tmp_path / "p.csv", PERSON_HEADER, rows)
    real = ingest_module.write_batch
    calls = {"n": 0}

    def crash_on_second(session, chunk, *args, **kw):
        calls["n"] += 1
        outcome = real(session, chunk, *args, **kw)
        if calls["n"] == 2:
            assert store.current_count(session, 1) > 50  # the rows are in, inside the transaction
            raise RuntimeError("power cut")
        return outcome

    monkeypatch.setattr(ingest_module, "write_batch", crash_on_second)
    with pytest.raises(RuntimeError, match="power cut"):
        lib.ingest(PERSON_CODE, path, batch_size=50)
    with runtime.db.read() as s:
        ingest = s.scalar(select(LibraryIngest))
        keys = set(s.scalars(text("SELECT key FROM library_record")))
    assert keys == {r[0] for r in rows[:50]}  # exactly the first batch
    assert (ingest.status, ingest.batches, ingest.rows_accepted) == ("failed", 1, 50)
    assert ingest.error_code == "internal_error"
    assert lib.table(PERSON_CODE).current_rows == 50

    monkeypatch.setattr(ingest_module, "write_batch", real)
    again = lib.ingest(PERSON_CODE, path, batch_size=50)  # running the file again completes it
    assert (again.inserted, again.unchanged) == (100, 50)
    assert lib.stats(PERSON_CODE) == {"versions": 150, "current": 150}


def test_every_ingest_step_is_audited(lib, tmp_path, runtime):
    report = lib.ingest(PERSON_CODE, write_csv(tmp_path / "p.csv", PERSON_HEADER, person_rows(30)), batch_size=10)
    with runtime.db.read() as s:
        actions = list(
            s.scalars(
                select(AuditRecord.action).where(AuditRecord.action.like("library.ingest%")).order_by(AuditRecord.seq)
            )
        )
        last = s.scalar(select(AuditRecord).where(AuditRecord.action == "library.ingest.finish"))
    assert actions == ["library.ingest.start"] + ["library.ingest.batch"] * 3 + ["library.ingest.finish"]
    assert json.loads(last.detail)["inserted"] == 30 and last.object_id == PERSON_CODE
    assert last.object_org_id == lib.world.a.org_id and report.batches == 3


def test_a_department_ingests_only_into_its_own_tables(lib, tmp_path, runtime, world):
    from dataclasses import replace

    path = write_csv(tmp_path / "p.csv", PERSON_HEADER, person_rows(5))
    system_b = service_principal(runtime, world.b.api_key)
    with pytest.raises(Problem) as err:
        lib.ingest(PERSON_CODE, path, actor=system_b)
    assert err.value.status == 403
    system_a = service_principal(runtime, world.a.api_key)
    report = lib.ingest(PERSON_CODE, path, actor=system_a)
    assert report.inserted == 5 and report.source_system == "示范市公安局业务系统"
    clerk_a = replace(system_a, kind="user", roles=frozenset())
    with pytest.raises(Problem) as err:
        lib.ingest(PERSON_CODE, path, actor=clerk_a)  # a user without org_admin / catalog_manager
    assert err.value.status == 403
    with runtime.db.read() as s, pytest.raises(Problem) as err:
        service.get_record(s, actor=system_b, code=PERSON_CODE, key=person_rows(1)[0][0])
    assert err.value.status == 403


def service_principal(runtime, api_key: str):
    from govshare.identity import service as identity

    with runtime.db.read() as s:
        return identity.authenticate_api_key(s, api_key)


def test_stale_running_ingests_are_marked_interrupted(lib, tmp_path, runtime):
    from govshare.library.ingest import STALE_AFTER

    path = write_csv(tmp_path / "p.csv", PERSON_HEADER, person_rows(3))
    first = lib.ingest(PERSON_CODE, path)
    with runtime.db.write() as s:  # pretend its process died mid-way long ago
        ingest = s.get(LibraryIngest, first.id)
        ingest.status = "running"
        ingest.heartbeat_at = utcnow() - STALE_AFTER - dt.timedelta(minutes=1)
    lib.ingest(PERSON_CODE, path)
    assert lib.report(first.id).status == "interrupted"


def test_the_library_serves_the_exchange_gateway_as_a_hub_source(lib, tmp_path, runtime):
    from govshare.library.hub import LibraryHubSource

    rows = person_rows(3, seed=31)
    report = lib.ingest(PERSON_CODE, write_csv(tmp_path / "p.csv", PERSON_HEADER, rows))
    hub = LibraryHubSource(runtime.db)
    with runtime.db.read() as s:
        assert hub.adapter_for(s, "NO-SUCH-TABLE") is None
        adapter = hub.adapter_for(s, PERSON_CODE)
    fetched = adapter.fetch("id_number", [rows[0][0], rows[2][0], "11010519491231002X"], ["name", "status"])
    assert set(fetched) == {rows[0][0], rows[2][0]}
    row = fetched[rows[0][0]]
    assert row.values == {"name": rows[0][1], "status": rows[0][8]}
    assert row.source == f"hub:library/{PERSON_CODE}" and row.verified_at and row.updated_at
    assert lib.record(PERSON_CODE, rows[0][0]).provenance.ingest_id == report.id
    with pytest.raises(Problem) as err:
        adapter.fetch("name", [rows[0][1]], ["status"])
    assert err.value.code == "key_item_unsupported"


def test_a_key_repeated_inside_one_batch_keeps_the_first(lib, tmp_path):
    rows = person_rows(30, seed=41)
    second = list(rows[4])
    second[1] = "后来者"
    rows.insert(20, second)  # the same ID number again, in the same batch, with another name
    report = lib.ingest(PERSON_CODE, write_csv(tmp_path / "p.csv", PERSON_HEADER, rows), batch_size=1000)
    assert (report.inserted, report.rows_rejected, report.batches) == (30, 1, 1)
    assert [(q.row_number, q.rule) for q in lib.quarantine(report.id)] == [(22, "key_duplicate")]
    assert lib.record(PERSON_CODE, rows[4][0]).values["name"] == rows[4][1]
