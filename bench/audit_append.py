"""Audit log benchmark: appends per second with group commit vs one commit per record, and verify speed.

    .venv/bin/python bench/audit_append.py                       # SQLite
    .venv/bin/python bench/audit_append.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Each store is measured in the same run: (a) C client threads each committing its own record
(``AuditLog.record`` in a write transaction: one commit per record), (b) the same C threads going through
the group-commit writer (``AuditLog.append``), then (c) ``verify_chain`` over a chain of V records.
Durability settings are the defaults (SQLite WAL with synchronous=FULL; PostgreSQL synchronous_commit on).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from govshare.audit.service import verify_chain  # noqa: E402
from govshare.config import Settings  # noqa: E402
from govshare.identity.principal import Principal  # noqa: E402
from govshare.migrate import upgrade  # noqa: E402
from govshare.runtime import Runtime  # noqa: E402

ACTOR = Principal(kind="system", id="bench-system", org_id="bench-org", name="bench")
FIELDS = dict(action="exchange.query", object_type="resource", object_id="R-000123", object_org_id="org-provider",
              purpose="婚姻登记受理", subject="11010519491231002X", detail={"items": ["name", "gender"], "rows": 1})


def run_threads(clients: int, per_client: int, fn) -> float:
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_client):
            fn()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def fill_chain(rt: Runtime, n: int, batch: int = 5000) -> None:
    """Build a long chain fast: group-commit-sized transactions straight through the chaining code."""
    done = 0
    while done < n:
        k = min(batch, n - done)
        with rt.db.write() as s:
            rt.audit._chain(s, [rt.audit.entry(actor=ACTOR, **FIELDS) for _ in range(k)])
        done += k


def bench_store(label: str, url: str, data_dir: Path, clients: int, per_client: int, verify_n: int) -> dict:
    rt = Runtime(Settings(data_dir=data_dir, database_url=url, log_json=False, audit_checkpoint_every=10**9,
                          audit_checkpoint_seconds=3600))
    upgrade(rt.db)
    total = clients * per_client

    def one_commit_per_record() -> None:
        with rt.db.write() as s:
            rt.audit.record(s, actor=ACTOR, **FIELDS)

    def group_commit() -> None:
        rt.audit.append(actor=ACTOR, **FIELDS)

    t_single = run_threads(clients, per_client, one_commit_per_record)
    t_group = run_threads(clients, per_client, group_commit)
    have = 2 * total
    if verify_n > have:
        fill_chain(rt, verify_n - have)
    report = verify_chain(rt.db, rt.keys)
    assert report.ok, report.fault
    rt.close()
    out = {
        "store": label,
        "clients": clients,
        "records": total,
        "one_commit_per_record_per_s": total / t_single,
        "group_commit_per_s": total / t_group,
        "ratio_group_vs_single": t_single / t_group,
        "verify_records": report.records,
        "verify_per_s": report.rate,
    }
    print(
        f"{label:10s} clients={clients} records={total}: one commit/record {out['one_commit_per_record_per_s']:,.0f}/s"
        f" | group commit {out['group_commit_per_s']:,.0f}/s | ratio {out['ratio_group_vs_single']:.1f}x"
        f" | verify {report.records:,} records in {report.seconds:.2f} s = {report.rate:,.0f}/s",
        flush=True,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--per-client", type=int, default=100)
    ap.add_argument("--verify", type=int, default=1_000_000, help="chain length for the verify measurement")
    ap.add_argument("--postgres", default="", help="also measure on this PostgreSQL URL (a scratch DB is created)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="govshare-bench-"))
    try:
        bench_store("sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp / "sqlite", args.clients, args.per_client,
                    args.verify)
        if args.postgres:
            name = f"govshare_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
                bench_store("postgresql", url, tmp / "pg", args.clients, args.per_client, args.verify)
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
