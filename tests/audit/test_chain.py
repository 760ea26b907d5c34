"""The audit chain on SQLite and PostgreSQL: appends, group commit, verification, tampering detection."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from govshare.audit.service import AuditUnavailable, verify_chain
from govshare.identity.principal import PLATFORM, Principal
from govshare.runtime import Runtime
from tests.conftest import make_settings

SYSTEM = Principal(kind="system", id="sys-1", org_id="org-1", name="测试系统")


def _fill(rt: Runtime, n: int) -> None:
    with rt.db.write() as s:
        for i in range(n):
            rt.audit.record(
                s,
                actor=SYSTEM,
                action="test.event",
                object_type="thing",
                object_id=str(i),
                purpose="测试",
                subject="11010519491231002X",
                detail={"i": i},
            )


def _verify(rt: Runtime):
    """Verify in Python and, on PostgreSQL, inside the database too: both must give the same answer."""
    report = verify_chain(rt.db, rt.keys, hash_alg=rt.settings.audit_hash, fetch=7, method="python")
    if rt.db.engine.dialect.name == "postgresql" and rt.settings.audit_hash == "sha256":
        in_db = verify_chain(rt.db, rt.keys, method="sql")
        assert (in_db.ok, in_db.records, in_db.fault) == (report.ok, report.records, report.fault)
    return report


def test_append_and_verify(runtime: Runtime):
    _fill(runtime, 20)
    receipts = [runtime.audit.append(actor=PLATFORM, action="test.group", detail={"k": k}) for k in range(5)]
    assert [r.seq for r in receipts] == [21, 22, 23, 24, 25]
    report = _verify(runtime)
    assert report.ok and report.records == 25


def test_concurrent_group_commit_gives_one_unbroken_chain(runtime: Runtime):
    errors: list[Exception] = []
    seqs: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            got = [
                runtime.audit.append(actor=SYSTEM, action="test.concurrent", object_id=f"{n}-{i}").seq
                for i in range(50)
            ]
            with lock:
                seqs.extend(got)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    # transactional appends interleave with the group-commit writer
    _fill(runtime, 30)
    for t in threads:
        t.join()
    assert not errors
    assert sorted(seqs) == sorted(set(seqs)) and len(seqs) == 400
    report = _verify(runtime)
    assert report.ok and report.records == 430


def test_append_in_a_rolled_back_transaction_leaves_no_record(runtime: Runtime):
    _fill(runtime, 3)
    with pytest.raises(RuntimeError), runtime.db.write() as s:
        runtime.audit.record(s, actor=SYSTEM, action="test.rollback")
        raise RuntimeError("business failure")
    report = _verify(runtime)
    assert report.ok and report.records == 3


def _exec(rt: Runtime, sql: str, **params) -> None:
    with rt.db.write() as s:
        s.execute(text(sql), params)


def test_changed_field_is_detected_at_its_seq(runtime: Runtime):
    _fill(runtime, 10)
    _exec(runtime, "UPDATE audit_record SET purpose = '篡改' WHERE seq = 6")
    report = _verify(runtime)
    assert not report.ok and report.fault.seq == 6 and report.fault.kind == "changed"
    assert report.records == 5


def test_changed_detail_or_actor_is_detected(runtime: Runtime):
    _fill(runtime, 10)
    _exec(runtime, "UPDATE audit_record SET actor_id = 'someone-else' WHERE seq = 3")
    assert _verify(runtime).fault.seq == 3


def test_deleted_record_is_detected_at_its_seq(runtime: Runtime):
    _fill(runtime, 10)
    _exec(runtime, "DELETE FROM audit_record WHERE seq = 4")
    report = _verify(runtime)
    assert report.fault.seq == 4 and report.fault.kind == "removed"


def test_reordered_records_are_detected_at_the_first(runtime: Runtime):
    _fill(runtime, 10)
    _exec(runtime, "UPDATE audit_record SET seq = -1 WHERE seq = 7")
    _exec(runtime, "UPDATE audit_record SET seq = 7 WHERE seq = 5")
    _exec(runtime, "UPDATE audit_record SET seq = 5 WHERE seq = -1")
    report = _verify(runtime)
    assert report.fault.seq == 5 and report.fault.kind == "inserted_or_reordered"


def test_inserted_record_is_detected_at_its_seq(runtime: Runtime):
    _fill(runtime, 10)
    # make room after seq 4, then forge a record there that links correctly to 4 and carries a valid hash
    for seq in range(10, 4, -1):
        _exec(runtime, "UPDATE audit_record SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    with runtime.db.read() as s:
        prev = s.execute(text("SELECT hash FROM audit_record WHERE seq = 4")).scalar_one()
    from govshare.audit.chain import FIELDS, record_hash

    values = dict.fromkeys(FIELDS)
    values.update(seq=5, ts_us=1, actor_kind="user", actor_id="forger", action="test.forged", outcome="ok")
    h = record_hash(runtime.audit.digest, prev, (values[f] for f in FIELDS))
    cols = ", ".join([*FIELDS, "prev_hash", "hash"])
    binds = ", ".join(f":{c}" for c in [*FIELDS, "prev_hash", "hash"])
    _exec(runtime, f"INSERT INTO audit_record ({cols}) VALUES ({binds})", **values, prev_hash=prev, hash=h)
    report = _verify(runtime)
    # the forged record itself verifies; the original record now at 6 no longer links to it
    assert report.fault.seq == 6 and report.fault.kind == "inserted_or_reordered"


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(runtime: Runtime):
    _fill(runtime, 10)
    assert runtime.audit.checkpoint().seq == 10
    # an attacker with write access changes record 3 and recomputes every hash after it
    from govshare.audit.chain import FIELDS, GENESIS, record_hash

    with runtime.db.write() as s:
        rows = s.execute(text(f"SELECT {', '.join(FIELDS)} FROM audit_record ORDER BY seq")).all()
        prev = GENESIS
        for row in rows:
            values = dict(zip(FIELDS, row, strict=True))
            if values["seq"] == 3:
                values["purpose"] = "改写"
            h = record_hash(runtime.audit.digest, prev, (values[f] for f in FIELDS))
            s.execute(
                text("UPDATE audit_record SET purpose = :p, prev_hash = :prev, hash = :h WHERE seq = :seq"),
                {"p": values["purpose"], "prev": prev, "h": h, "seq": values["seq"]},
            )
            prev = h
    report = _verify(runtime)
    assert not report.ok and report.fault.kind == "checkpoint_mismatch" and report.fault.seq == 10


def test_truncated_tail_is_caught_by_the_checkpoint(runtime: Runtime):
    _fill(runtime, 10)
    runtime.audit.checkpoint()
    _exec(runtime, "DELETE FROM audit_record WHERE seq > 7")
    report = _verify(runtime)
    assert report.fault.kind == "truncated" and report.fault.seq == 8


def test_forged_checkpoint_signature_is_caught(runtime: Runtime):
    _fill(runtime, 5)
    runtime.audit.checkpoint()
    _exec(runtime, "UPDATE audit_checkpoint SET ts_us = ts_us + 1")
    assert _verify(runtime).fault.kind == "bad_signature"


def test_writer_checkpoints_every_n_records(store, tmp_path):
    rt = Runtime(make_settings(tmp_path, store.url, audit_checkpoint_every=10))
    try:
        for i in range(25):
            rt.audit.append(actor=SYSTEM, action="test.cp", object_id=str(i))
        with rt.db.read() as s:
            seqs = s.execute(text("SELECT seq FROM audit_checkpoint ORDER BY seq")).scalars().all()
        assert seqs and seqs[0] >= 10 and all(b - a >= 10 for a, b in zip(seqs, seqs[1:], strict=False))
        assert verify_chain(rt.db, rt.keys).ok
    finally:
        rt.close()


def test_sm3_chain(store, tmp_path):
    rt = Runtime(make_settings(tmp_path, store.url, audit_hash="sm3"))
    try:
        _fill(rt, 5)
        rt.audit.checkpoint()
        assert verify_chain(rt.db, rt.keys, hash_alg="sm3").ok
        assert not verify_chain(rt.db, rt.keys, hash_alg="sha256").ok
    finally:
        rt.close()


def test_control_characters_cannot_forge_field_boundaries(runtime: Runtime):
    with runtime.db.write() as s:
        runtime.audit.record(s, actor=SYSTEM, action="test.ctrl", purpose="a\x1fb\x1dc\nd")
    with runtime.db.read() as s:
        purpose = s.execute(text("SELECT purpose FROM audit_record")).scalar_one()
    assert purpose == "a\ufffdb\ufffdc\ufffdd"
    assert _verify(runtime).ok


def test_subject_is_stored_as_keyed_hash_and_searchable(runtime: Runtime):
    _fill(runtime, 3)
    with runtime.db.read() as s:
        refs = s.execute(text("SELECT DISTINCT subject_ref FROM audit_record")).scalars().all()
    assert refs == [runtime.audit.subject_ref("11010519491231002x")]
    assert "11010519491231002X" not in refs[0]


def test_safety_stop_when_the_log_cannot_be_written(client, world, runtime: Runtime):
    h = {"X-API-Key": world.a.api_key}
    ok = client.post("/api/v1/audit/events", headers=h, json={"action": "use.print", "purpose": "窗口打印"})
    assert ok.status_code == 201
    _exec(runtime, "ALTER TABLE audit_record RENAME TO audit_record_away")
    try:
        resp = client.post("/api/v1/audit/events", headers=h, json={"action": "use.print", "purpose": "窗口打印"})
        assert resp.status_code == 503 and resp.json()["code"] == "audit_unavailable"
        with pytest.raises(AuditUnavailable):
            runtime.audit.append(actor=SYSTEM, action="test.down")
        assert client.get("/readyz").status_code == 503
    finally:
        _exec(runtime, "ALTER TABLE audit_record_away RENAME TO audit_record")
    assert (
        client.post("/api/v1/audit/events", headers=h, json={"action": "use.print", "purpose": "窗口打印"}).status_code
        == 201
    )


def test_usage_event_receipt_matches_the_chain(client, world, runtime: Runtime):
    resp = client.post(
        "/api/v1/audit/events",
        headers={"X-API-Key": world.a.api_key, "X-On-Behalf-Of": "clerk-7"},
        json={"action": "use.case_decision", "purpose": "婚姻登记受理", "subject": "440524188001010014"},
    )
    assert resp.status_code == 201
    receipt = resp.json()
    with runtime.db.read() as s:
        row = s.execute(
            text("SELECT hash, on_behalf_of, actor_org_id FROM audit_record WHERE seq = :q"), {"q": receipt["seq"]}
        ).one()
    assert row == (receipt["hash"], "clerk-7", world.a.org_id)
    ho = {
        "Authorization": client.post(
            "/api/v1/auth/token", json={"username": world.operator.admin, "password": world.password}
        ).json()["access_token"]
    }
    ho = {"Authorization": f"Bearer {ho['Authorization']}"}
    found = client.get("/api/v1/audit/records", headers=ho, params={"subject": "440524188001010014"}).json()["items"]
    assert [r["seq"] for r in found] == [receipt["seq"]]


def test_incremental_verification_from_the_last_checkpoint(runtime: Runtime):
    _fill(runtime, 10)
    runtime.audit.checkpoint()
    _fill(runtime, 5)
    full = verify_chain(runtime.db, runtime.keys, method="python")
    quick = verify_chain(runtime.db, runtime.keys, since_checkpoint=True)
    assert full.ok and quick.ok and quick.records == full.records == 15
    # a change after the checkpoint is found at its seq; one before it is the checkpoint's business
    _exec(runtime, "UPDATE audit_record SET purpose = 'x' WHERE seq = 13")
    assert verify_chain(runtime.db, runtime.keys, since_checkpoint=True).fault.seq == 13
    _exec(runtime, "UPDATE audit_record SET hash = 'f' WHERE seq = 10")
    fault = verify_chain(runtime.db, runtime.keys, since_checkpoint=True).fault
    assert (fault.seq, fault.kind) == (10, "checkpoint_mismatch")


def test_submit_async_resolves_once_all_records_are_durable_across_batches(runtime):
    import asyncio

    audit = runtime.audit
    audit.batch_max = 2  # three records: two batches

    async def go():
        entries = [audit.entry(actor=PLATFORM, action="test.async", subject=f"S{n}") for n in range(3)]
        return await audit.submit_async(entries), await audit.submit_async([])

    receipts, none = asyncio.run(go())
    assert none == [] and [r.seq for r in receipts] == list(range(receipts[0].seq, receipts[0].seq + 3))
    assert _verify(runtime).ok
