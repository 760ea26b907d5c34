"""kill -9 of the server while 32 clients write audited requests: after restart, every request that got a
success answer has its audit record, and the chain verifies (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import text

from govshare.audit.service import verify_chain
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.slow

CLIENTS = 32


def test_kill9_under_load_loses_no_acknowledged_record(runtime, world, store):
    server = ServerProcess(runtime.settings.data_dir, store.url).start()
    acked: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    started = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=5.0) as http:
            started.wait()
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    resp = http.post("/api/v1/audit/events", headers={"X-API-Key": world.a.api_key},
                                     json={"action": "use.crash_test", "purpose": "崩溃测试",
                                           "object_id": f"{n}-{i}"})
                except httpx.HTTPError:
                    return  # the server is gone
                if resp.status_code == 201:
                    body = resp.json()
                    with lock:
                        acked.append((body["seq"], body["hash"]))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    started.wait()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # let load build up, then kill mid-stream
            with lock:
                if len(acked) >= 300:
                    break
            time.sleep(0.05)
        server.kill9()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        server.stop()

    assert len(acked) >= 300, f"only {len(acked)} answers before the kill"
    # after restart: every acknowledged record is there with the hash the client was given
    with runtime.db.read() as s:
        stored = dict(s.execute(text("SELECT seq, hash FROM audit_record WHERE action = 'usage.use.crash_test'")).all())
    missing = [(seq, h) for seq, h in acked if stored.get(seq) != h]
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:3]}"
    report = verify_chain(runtime.db, runtime.keys)
    assert report.ok, report.fault
    # and the restarted server continues the same chain
    server2 = ServerProcess(runtime.settings.data_dir, store.url).start()
    try:
        resp = httpx.post(f"{server2.base_url}/api/v1/audit/events", headers={"X-API-Key": world.a.api_key},
                          json={"action": "use.after_restart", "purpose": "重启后"})
        assert resp.status_code == 201
        assert resp.json()["seq"] == report.records + 1
    finally:
        server2.stop()
    assert verify_chain(runtime.db, runtime.keys).ok
