"""kill -9 of a real `govshare library ingest` process in the middle of a batch leaves the library exactly as it
was after the last committed batch; running the file again completes it (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import psycopg
import pytest
from sqlalchemy import func, select, text

from govshare.audit.service import verify_chain
from govshare.library.models import LibraryIngest, LibraryRecord
from govshare.seed.persons import write_persons_csv
from tests.library.conftest import PERSON_CODE

pytestmark = pytest.mark.slow

ROWS = 60_000
BATCH = 4_000


def _write_in_progress(store) -> bool:
    """Whether some connection holds an open write transaction on the library right now."""
    if store.kind == "sqlite":
        conn = sqlite3.connect(store.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # fails at once while another connection holds the write lock
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()  # rolls back our empty transaction, if we got one
        return False
    url = store.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_xid IS NOT NULL AND query ILIKE '%library%'"
        ).fetchone()
        return row[0] > 0


def test_kill9_mid_batch_keeps_whole_batches_only(lib, runtime, store, tmp_path):
    path = tmp_path / "persons.csv"
    write_persons_csv(path, ROWS, seed=99)
    keys_in_order = [line.split(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    env = {
        **os.environ,
        "GOVSHARE_DATA_DIR": str(runtime.settings.data_dir),
        "GOVSHARE_DATABASE_URL": store.url,
        "GOVSHARE_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "govshare.cli", "library", "ingest", PERSON_CODE, str(path)]
    cmd += ["--batch-size", str(BATCH)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_mid_write = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with runtime.db.read() as s:
                batches = s.scalar(select(func.coalesce(func.max(LibraryIngest.batches), 0)))
            if batches >= 2 and _write_in_progress(store):
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.003)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    assert killed_mid_write, f"the ingest ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    assert proc.returncode == -signal.SIGKILL

    with runtime.db.read() as s:
        ingest = s.scalar(select(LibraryIngest))
        stored = list(s.scalars(select(LibraryRecord.key).order_by(LibraryRecord.id)))
        batch_of = dict(s.execute(text("SELECT key, ingest_id FROM library_record")).all())
        current = s.scalar(text("SELECT current_rows FROM library_table"))
        batch_audits = s.scalar(text("SELECT count(*) FROM audit_record WHERE action = 'library.ingest.batch'"))
    assert ingest.status == "running" and 2 <= ingest.batches < ROWS // BATCH
    # Whole batches only: exactly the rows of the committed batches (inside a batch the order of the change
    # sequence is the store's: key order on SQLite, file order on PostgreSQL), and the counters written in the
    # same transactions agree.
    committed = keys_in_order[: ingest.batches * BATCH]
    assert len(stored) == len(committed) and set(stored) == set(committed)
    for b in range(ingest.batches):  # batch by batch: the change sequence never mixes two batches
        block = stored[b * BATCH : (b + 1) * BATCH]
        assert sorted(block) == sorted(committed[b * BATCH : (b + 1) * BATCH])
    assert set(batch_of.values()) == {ingest.id}
    assert ingest.rows_accepted == ingest.inserted == len(stored) == current
    assert batch_audits == ingest.batches
    report = verify_chain(runtime.db, runtime.keys)
    assert report.ok, report.fault

    again = lib.ingest(PERSON_CODE, path, batch_size=BATCH)  # the recovery: run the same file again
    assert again.status == "completed"
    assert (again.inserted, again.unchanged, again.rows_rejected) == (ROWS - len(stored), len(stored), 0)
    with runtime.db.read() as s:
        assert s.scalar(select(func.count()).select_from(LibraryRecord)) == ROWS
    assert lib.report(ingest.id).status == "running"  # until it is stale (STALE_AFTER), then "interrupted"
