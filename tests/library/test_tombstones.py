"""Deletions (tombstones): by request and by snapshot ingest; feeds, "as of", re-creation, quality; both stores."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text

from govshare.audit.models import AuditRecord
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM
from govshare.library import service, store
from govshare.library.hub import LibraryAdapter
from govshare.library.models import LibraryIngest
from tests.conftest import login_headers
from tests.library.conftest import PERSON_CODE, PERSON_HEADER, person_rows, write_csv
from tests.library.test_api import CODE, _csv, person_table  # noqa: F401 (fixture)


def _delete(runtime, keys, actor=PLATFORM):
    with runtime.db.write() as s:
        return service.delete_records(s, actor=actor, code=PERSON_CODE, keys=keys)


def test_delete_writes_a_tombstone_seen_by_feeds_and_as_of(lib, runtime, tmp_path):
    rows = person_rows(20, seed=31)
    path = write_csv(tmp_path / "p.csv", PERSON_HEADER, rows)
    lib.ingest(PERSON_CODE, path)
    key = rows[4][0]
    before = lib.table(PERSON_CODE)
    old = lib.record(PERSON_CODE, key)
    moment = dt.datetime.now(dt.UTC)

    result = _delete(runtime, [key, "NOT-A-KEY"])
    assert result.deleted == [key] and result.not_found == ["NOT-A-KEY"]
    assert result.last_change_seq > before.last_change_seq
    table = lib.table(PERSON_CODE)
    assert table.current_rows == 19 and table.last_change_seq == result.last_change_seq
    assert lib.stats(PERSON_CODE) == {"versions": 21, "current": 19}

    with pytest.raises(Problem) as err:  # current reads do not find a deleted key
        lib.record(PERSON_CODE, key)
    assert err.value.status == 404
    assert lib.record(PERSON_CODE, key, as_of=moment).seq == old.seq  # "as of" before the deletion still does
    history = lib.history(PERSON_CODE, key)
    assert [(h.deleted, h.current) for h in history] == [(False, False), (True, True)]
    assert history[1].prev_seq == old.seq and history[0].valid_to == history[1].valid_from
    assert all(v is None for v in history[1].values.values())

    with runtime.db.read() as s:  # the feed sees the deletion with its own change sequence
        _names, page = service.feed_page(s, code=PERSON_CODE, since=before.last_change_seq, limit=10)
        assert [(r.key, getattr(r, "deleted", False), r.seq) for r in page] == [(key, True, result.last_change_seq)]
        changes = service.changes(s, actor=PLATFORM, code=PERSON_CODE, since=before.last_change_seq)
        assert changes.items[0].deleted and changes.next_since == result.last_change_seq
        op = s.get(LibraryIngest, result.ingest_id)  # who deleted, recorded like an ingest
        assert (op.file_format, op.status, op.actor_id, op.counts["deleted"]) == ("delete", "completed", "platform", 1)
        audit = s.scalars(select(AuditRecord).where(AuditRecord.action == "library.record.delete")).one()
        assert audit.subject_ref and json.loads(audit.detail)["deleted"] == 1
        table_row = service.get_table(s, actor=PLATFORM, code=PERSON_CODE)
    adapter = LibraryAdapter(runtime.db, table_row.id, PERSON_CODE, service.schema_of(table_row))
    found = adapter.fetch("id_number", [key, rows[5][0]], ["name"])  # gateway look-ups skip the deleted key
    assert list(found) == [rows[5][0]]
    with runtime.db.write() as s:
        assert service.run_quality(s, actor=PLATFORM, code=PERSON_CODE).rows == 19

    again = lib.ingest(PERSON_CODE, path)  # re-ingest re-creates the key: a new version after the tombstone
    assert (again.inserted, again.updated, again.unchanged) == (1, 0, 19)
    back = lib.record(PERSON_CODE, key)
    assert back.prev_seq == result.last_change_seq and not back.deleted and back.values == old.values
    assert lib.table(PERSON_CODE).current_rows == 20
    assert lib.stats(PERSON_CODE) == {"versions": 22, "current": 20}
    with pytest.raises(Problem) as err:  # deleting an unknown (single) key: 404, nothing written
        _delete(runtime, ["NOT-A-KEY"])
    assert err.value.status == 404
    with runtime.db.read() as s:
        assert s.scalar(select(func.count()).where(LibraryIngest.file_format == "delete")) == 1


def test_snapshot_ingest_deletes_absent_keys_but_keeps_rejected_ones(lib, runtime, tmp_path):
    rows = person_rows(30, seed=32)
    lib.ingest(PERSON_CODE, write_csv(tmp_path / "all.csv", PERSON_HEADER, rows))
    seq = lib.table(PERSON_CODE).last_change_seq
    snapshot = [list(r) for r in rows[:25]]
    snapshot[3][1] = ""  # a rejected row (name required): its key must not be deleted
    snapshot[7][7] = "20" if snapshot[7][7] != "20" else "10"  # a changed row
    report = lib.ingest(PERSON_CODE, write_csv(tmp_path / "snap.csv", PERSON_HEADER, snapshot), mode="snapshot")
    assert (report.status, report.mode, report.deleted) == ("completed", "snapshot", 5)
    assert (report.inserted, report.updated, report.unchanged, report.rows_rejected) == (0, 1, 23, 1)
    assert lib.record(PERSON_CODE, rows[3][0]).values["name"] == rows[3][1]  # kept
    for r in rows[25:]:
        with pytest.raises(Problem):
            lib.record(PERSON_CODE, r[0])
    assert lib.table(PERSON_CODE).current_rows == 25
    with runtime.db.read() as s:
        _names, page = service.feed_page(s, code=PERSON_CODE, since=seq, limit=100)
    assert sorted(r.key for r in page if r.deleted) == sorted(r[0] for r in rows[25:])

    again = lib.ingest(PERSON_CODE, write_csv(tmp_path / "snap2.csv", PERSON_HEADER, snapshot), mode="snapshot")
    assert again.deleted == 0 and again.unchanged == 24  # idempotent: nothing more to delete


def test_snapshot_does_nothing_when_the_file_is_rejected(lib, runtime, tmp_path):
    rows = person_rows(10, seed=33)
    lib.ingest(PERSON_CODE, write_csv(tmp_path / "all.csv", PERSON_HEADER, rows))
    before = lib.table(PERSON_CODE)
    header = [h for h in PERSON_HEADER if h != "name"]  # a required column missing: the file is rejected
    broken = write_csv(tmp_path / "bad.csv", header, [[v for i, v in enumerate(r) if i != 1] for r in rows[:2]])
    with pytest.raises(Problem):
        lib.ingest(PERSON_CODE, broken, mode="snapshot")
    after = lib.table(PERSON_CODE)
    assert (after.current_rows, after.last_change_seq) == (before.current_rows, before.last_change_seq)
    with pytest.raises(Problem) as err:
        lib.ingest(PERSON_CODE, tmp_path / "all.csv", mode="everything")
    assert err.value.code == "ingest_mode_invalid"


def test_snapshot_fails_midway_deletes_nothing(lib, runtime, tmp_path, monkeypatch):
    rows = person_rows(10, seed=34)
    lib.ingest(PERSON_CODE, write_csv(tmp_path / "all.csv", PERSON_HEADER, rows))

    def boom(*args, **kwargs):
        raise RuntimeError("store went away")

    monkeypatch.setattr("govshare.library.ingest.write_batch", boom)  # a fatal error while writing
    with pytest.raises(RuntimeError):
        lib.ingest(PERSON_CODE, write_csv(tmp_path / "few.csv", PERSON_HEADER, rows[:3]), mode="snapshot")
    assert lib.table(PERSON_CODE).current_rows == 10
    with runtime.db.read() as s:
        assert (
            s.scalar(text("SELECT count(*) FROM library_record WHERE content_hash = :t"), {"t": store.TOMBSTONE}) == 0
        )


def test_delete_and_snapshot_over_http(client, world, person_table):  # noqa: F811
    rows = person_rows(12, seed=35)
    key = login_headers(client, world.a.admin)
    up = client.post(f"/api/v1/library/{CODE}/ingest", files={"file": ("p.csv", _csv(rows), "text/csv")}, headers=key)
    assert up.status_code == 201, up.text

    other = login_headers(client, world.b.admin)  # another department may not delete
    denied = client.delete(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=other)
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    one = client.delete(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=key)
    assert one.status_code == 200 and one.json()["deleted"] == [rows[0][0]]
    assert client.get(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=key).status_code == 404
    missing = client.delete(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=key)  # already deleted
    assert missing.status_code == 404 and missing.json()["code"] == "record_not_found"

    batch = client.post(f"/api/v1/library/{CODE}/records/delete", json={"keys": [rows[1][0], "X"]}, headers=key)
    assert batch.status_code == 200 and batch.json()["not_found"] == ["X"]
    empty = client.post(f"/api/v1/library/{CODE}/records/delete", json={"keys": []}, headers=key)
    assert empty.status_code == 422

    snap = client.post(
        f"/api/v1/library/{CODE}/ingest?mode=snapshot", files={"file": ("s.csv", _csv(rows[:8]), "text/csv")},
        headers=key,
    )  # fmt: skip
    assert snap.status_code == 201, snap.text
    body = snap.json()
    assert (body["mode"], body["deleted"], body["inserted"]) == ("snapshot", 4, 2)  # rows 0 and 1 came back
    bad_mode = client.post(
        f"/api/v1/library/{CODE}/ingest?mode=all", files={"file": ("s.csv", _csv(rows), "text/csv")}, headers=key
    )
    assert bad_mode.status_code == 422
    assert client.get(f"/api/v1/library/{CODE}", headers=key).json()["current_rows"] == 8


def test_a_library_table_marks_its_catalog_resource_served_from_the_hub(runtime, world):
    from govshare.catalog import service as catalog
    from govshare.catalog.models import Resource
    from govshare.catalog.schemas import ResourceCreate
    from govshare.catalog.vocab import ServedBy
    from govshare.library.schemas import LibraryTableCreate
    from tests.catalog.conftest import content

    with runtime.db.write() as s:
        data = ResourceCreate(**content(), provider_org_id=world.a.org_id)
        resource = catalog.create_resource(s, actor=PLATFORM, data=data)
        code, rid = resource.code, resource.id
        preset = catalog.create_resource(
            s, actor=PLATFORM, data=ResourceCreate(**content(name="户籍人口迁移信息"), provider_org_id=world.a.org_id)
        )
        catalog.set_served_by(s, actor=PLATFORM, resource_id=preset.id, served_by=ServedBy.provider_api, ref="x")
        preset_code, preset_id = preset.code, preset.id
    with runtime.db.write() as s:
        for c in (code, preset_code):
            body = LibraryTableCreate(resource_code=c, name="人口库", base="person", provider_org_id=world.a.org_id,
                                      update_cycle="每日")  # fmt: skip
            service.create_table(s, actor=PLATFORM, data=body)
    with runtime.db.read() as s:
        table_id = service.get_table(s, actor=PLATFORM, code=code).id
        served = s.get(Resource, rid)
        assert (served.served_by, served.served_by_ref) == ("hub_library", f"library:{table_id}")
        assert s.get(Resource, preset_id).served_by == "provider_api"  # already set: kept
