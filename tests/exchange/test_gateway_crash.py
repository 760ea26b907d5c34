"""kill -9 of the gateway under load: every 200 answer the clients received has its audit records after restart,
bound to that answer (same request hash and answer digest), and the chain verifies."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from govshare.audit.models import AuditRecord
from govshare.audit.service import verify_chain
from govshare.exchange import service as exchange
from govshare.exchange.envelope import sealed_digest
from govshare.exchange.schemas import SqlBinding
from govshare.sharing import service as sharing
from tests.serverproc import ServerProcess
from tests.sharing.conftest import Sharing, approve_all

pytestmark = pytest.mark.slow
CLIENTS = 32
KEYS = [f"K{i:05d}" for i in range(200)]


def test_kill9_of_the_gateway_loses_no_answered_audit_record(sw: Sharing, store, tmp_path):
    url = f"sqlite:///{tmp_path / 'provider.db'}"
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (k VARCHAR(18) PRIMARY KEY, n VARCHAR(32))"))
        c.execute(text("INSERT INTO t VALUES (:k, :n)"), [{"k": k, "n": f"姓名{k}"} for k in KEYS])
    engine.dispose()
    with sw.runtime.db.write() as s:
        exchange.bind(
            s,
            actor=sw.b_admin,
            code=sw.cond,
            data=SqlBinding(kind="sql", url=url, table="t", columns={"id_number": "k", "name": "n"}),
        )
        req = sharing.submit_request(
            s,
            actor=sw.a_clerk,
            data=sw.request_body(
                sw.cond, items=["id_number", "name"], expected_daily_calls=10_000_000, expected_daily_records=10_000_000
            ),
        )
        request_id = req.id
    approve_all(sw, request_id)

    server = ServerProcess(sw.runtime.settings.data_dir, store.url).start()
    answers: list[dict] = []
    lock, stop = threading.Lock(), threading.Event()
    barrier = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
            barrier.wait()
            i = 0
            while not stop.is_set():
                i += 1
                key = KEYS[(n * 31 + i) % len(KEYS)]
                try:
                    resp = http.post(
                        f"/exchange/v1/resources/{sw.cond}/query",
                        headers={"X-API-Key": sw.world.a.api_key},
                        json={"keys": [key], "purpose_category": "social_assistance", "purpose": "崩溃测试"},
                    )
                except httpx.HTTPError:
                    return
                if resp.status_code == 200:
                    with lock:
                        answers.append(resp.json())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(answers) >= 200:
                    break
            time.sleep(0.05)
        server.kill9()
    finally:
        stop.set()
        for t in threads:
            t.join(15)
        server.stop()

    assert len(answers) >= 200, f"only {len(answers)} answers before the kill"
    with sw.runtime.db.read() as s:
        rows = {r.seq: r for r in s.scalars(select(AuditRecord).where(AuditRecord.action == "exchange.query"))}
    lost = []
    for sealed in answers:
        record = rows.get(sealed["audit"]["first_seq"])
        detail = json.loads(record.detail) if record else {}
        if (detail.get("answer_sha256"), detail.get("request_hash")) != (
            sealed_digest(sealed),
            sealed["envelope"]["request_hash"],
        ):
            lost.append(sealed["audit"])
    assert not lost, f"{len(lost)} answered calls have no matching audit record, e.g. {lost[:3]}"
    assert verify_chain(sw.runtime.db, sw.runtime.keys).ok
