"""Policy decision benchmark: decisions per second with a warm cache over 10 000 grants.

    .venv/bin/python bench/policy.py                       # SQLite
    .venv/bin/python bench/policy.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Setup: 20 published resources of one provider (created through the catalog service, as departments do), 500
consumer systems, one active grant per (system, resource) — 10 000 grants, with items, masked items, purposes
and daily quotas. Systems and grants are bulk-loaded (the workflow's write path is not what is measured).

Measured, one thread, in-process (the goal is ≥ 100 000 decisions/s with a warm cache):

(a) ``decide`` from the warm memo without the epoch check — the decision itself;
(b) ``evaluate`` — the rule set on cached inputs, as on a memo miss (new item list, new purpose …);
(c) ``decide`` with the per-call epoch check (one primary-key read from the store): what a gateway pays per call
    for cross-process revocation with ``epoch_check_interval = 0`` (the default);
(d) ``authorize`` (decision + daily quota from leased blocks) with the epoch checked at most every 50 ms, after
    each grant's first lease of the day (reported separately: one short write transaction per grant and block).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from govshare.config import Settings  # noqa: E402
from govshare.db import new_id  # noqa: E402
from govshare.identity import service as identity  # noqa: E402
from govshare.identity.models import System  # noqa: E402
from govshare.identity.principal import PLATFORM, Principal, Role  # noqa: E402
from govshare.identity.schemas import OrganizationCreate  # noqa: E402
from govshare.migrate import upgrade  # noqa: E402
from govshare.runtime import Runtime  # noqa: E402
from govshare.sharing.models import AccessRequest, Grant  # noqa: E402
from govshare.sharing.policy import PolicyEngine, PolicyQuery, evaluate  # noqa: E402
from govshare.standards.identifiers import make_uscc  # noqa: E402

RESOURCES = 20
SYSTEMS = 500
ITEMS = [
    ("id_number", "公民身份号码", "L3", "keep:6:4"),
    ("name", "姓名", "L2", "name"),
    ("gender", "性别", "L1", None),
    ("birth_date", "出生日期", "L2", "year"),
    ("address", "住址", "L3", "keep:6:0"),
    ("phone", "联系电话", "L3", "keep:3:4"),
    ("income", "月收入", "L4", "full"),
    ("household", "家庭人口数", "L1", None),
]
PURPOSES = ["social_assistance", "licensing", "public_service", "enforcement"]


def build(rt: Runtime) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """Returns the (system_id, org_id, resource_code, purpose, items) of every grant."""
    from govshare.catalog import service as catalog
    from govshare.catalog.schemas import ResourceCreate

    with rt.db.write() as s:
        provider = identity.create_organization(
            s,
            actor=PLATFORM,
            data=OrganizationCreate(
                name="示范市民政局", uscc=make_uscc("1", "1", "331900", "20000001"), level="city", region_code="331900"
            ),
        )
        consumer = identity.create_organization(
            s,
            actor=PLATFORM,
            data=OrganizationCreate(
                name="示范市公安局", uscc=make_uscc("1", "1", "331900", "20000002"), level="city", region_code="331900"
            ),
        )
        provider_id, consumer_id = provider.id, consumer.id
    manager = Principal(
        kind="user", id="bench-cm", org_id=provider_id, name="bench", roles=frozenset({Role.catalog_manager})
    )
    codes = []
    with rt.db.write() as s:
        for n in range(RESOURCES):
            content = ResourceCreate(
                classification_kind="theme",
                classification_code="209001",
                name=f"低保对象信息{n:02d}",
                summary="最低生活保障对象的家庭与收入信息, 用于社会救助审核。",
                keywords=["低保"],
                formats=["database"],
                share_type="conditional",
                share_condition="履行社会救助职责",
                share_basis="《社会救助暂行办法》",
                share_reason="law",
                share_modes=["api"],
                open_type="none",
                update_cycle="daily",
                network="egov_extranet",
                items=[
                    {
                        "name": zh,
                        "machine_name": m,
                        "data_type": "string",
                        "length": 64,
                        "description": zh,
                        "is_key": m == "id_number",
                        "is_sensitive": lvl in ("L3", "L4"),
                        "sensitivity": lvl,
                        "masking": mask,
                    }
                    for m, zh, lvl, mask in ITEMS
                ],
            )
            r = catalog.create_resource(s, actor=manager, data=content)
            catalog.submit(s, actor=manager, resource_id=r.id)
            catalog.approve(s, actor=PLATFORM, resource_id=r.id, reason="bench")
            codes.append((r.id, r.code))
    rng = random.Random(2026)
    now = datetime.now(UTC)
    systems, requests, grants, out = [], [], [], []
    for i in range(SYSTEMS):
        sid = new_id()
        systems.append(
            {
                "id": sid,
                "org_id": consumer_id,
                "name": f"业务系统{i}",
                "code": f"app-{i}",
                "description": "",
                "active": True,
                "created_at": now,
            }
        )
        for rid, code in codes:
            purpose = rng.choice(PURPOSES)
            names = [m for m, *_ in ITEMS]
            clear = rng.sample(names[:6], 3)
            masked = [n for n in names[:6] if n not in clear][:1]
            req_id = new_id()
            requests.append(
                {
                    "id": req_id,
                    "number": f"SQ{req_id[:14]}",
                    "kind": "application",
                    "status": "approved",
                    "consumer_org_id": consumer_id,
                    "system_id": sid,
                    "requested_by": "bench",
                    "requested_by_name": "",
                    "provider_org_id": provider_id,
                    "resource_id": rid,
                    "resource_code": code,
                    "resource_name": "",
                    "items": clear + masked,
                    "purpose_category": purpose,
                    "purpose": "bench",
                    "legal_basis": "",
                    "service_items": [],
                    "valid_from": now.date(),
                    "valid_until": (now + timedelta(days=365)).date(),
                    "case_bound": False,
                    "contact_name": "",
                    "contact_phone": "",
                    "submitted_at": now,
                    "due_approximate": False,
                    "info_request": "",
                    "info_response": "",
                    "decision_reason": "",
                    "narrowed": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            grants.append(
                {
                    "id": new_id(),
                    "kind": "application",
                    "request_id": req_id,
                    "consumer_org_id": consumer_id,
                    "system_id": sid,
                    "provider_org_id": provider_id,
                    "resource_id": rid,
                    "resource_code": code,
                    "items": clear,
                    "masked_items": masked,
                    "purpose_category": purpose,
                    "purpose": "bench",
                    "case_required": False,
                    "valid_from": now - timedelta(days=1),
                    "valid_until": now + timedelta(days=365),
                    "daily_calls": 1_000_000,
                    "daily_records": None,
                    "status": "active",
                    "revoke_reason": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            out.append((sid, consumer_id, code, purpose, tuple(clear[:2]) + ("income",)))
    with rt.db.write() as s:
        s.execute(insert(System), systems)
        s.execute(insert(AccessRequest), requests)
        s.execute(insert(Grant), grants)
    return out


def rate(fn, queries: list, seconds: float = 2.0) -> tuple[float, int]:  # noqa: ANN001
    n, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for q in queries:
            fn(q)
        n += len(queries)
        if time.perf_counter() >= deadline:
            break
    return n / (time.perf_counter() - started), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch database is created and dropped)")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="govshare-bench-policy-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    admin = None
    if args.postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"govshare_bench_policy_{int(time.time())}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    rt = Runtime(
        Settings(
            data_dir=tmp / "var", database_url=url, log_level="WARNING", log_json=False, audit_checkpoint_seconds=3600
        )
    )
    try:
        upgrade(rt.db)
        t0 = time.perf_counter()
        grants = build(rt)
        print(f"store: {rt.db.engine.dialect.name}; setup {len(grants)} grants in {time.perf_counter() - t0:.1f} s")
        queries = [
            PolicyQuery(sid, org, code, purpose, items, subject="11010519491231002X")
            for sid, org, code, purpose, items in grants
        ]
        random.Random(1).shuffle(queries)

        engine = PolicyEngine(rt, epoch_check_interval=0.0)
        t0 = time.perf_counter()
        loaded = engine.preload()
        print(f"preload: {loaded} grants in {time.perf_counter() - t0:.2f} s")
        for q in queries:  # warm the memo
            assert engine.decide(q).allowed

        per_s, n = rate(lambda q: engine.decide(q, sync=False), queries, args.seconds)
        print(f"(a) decide, warm memo, no epoch check:       {per_s:>12,.0f} decisions/s  ({n:,} calls)")

        inputs = [
            (q, engine._cache.resources[q.resource_code][0], engine._cache.grants[(q.system_id, q.resource_code)][0])
            for q in queries
        ]
        now = time.time()
        per_s_eval, n = rate(lambda x: evaluate(x[0], x[1], x[2], now), inputs, args.seconds)
        print(f"(b) evaluate on cached inputs (memo miss):   {per_s_eval:>12,.0f} decisions/s  ({n:,} calls)")

        with rt.db.read() as session:
            per_s_sync, n = rate(lambda q: engine.decide(q, session=session), queries[:2000], args.seconds)
        print(f"(c) decide + epoch read per call:           {per_s_sync:>12,.0f} decisions/s  ({n:,} calls)")

        throttled = PolicyEngine(rt, epoch_check_interval=0.05)
        throttled.preload()
        t0 = time.perf_counter()
        for q in queries:  # first call of the day per grant: leases a block of its quota (one write each)
            throttled.authorize(q)
        lease_s = time.perf_counter() - t0
        print(f"    first quota lease of the day for {len(queries):,} grants: {lease_s:.1f} s (one write per grant)")
        with rt.db.read() as session:
            per_s_auth, n = rate(lambda q: throttled.authorize(q, session=session), queries, args.seconds)
        throttled.close()
        print(f"(d) authorize (+quota), epoch every 50 ms:  {per_s_auth:>12,.0f} decisions/s  ({n:,} calls)")
        goal = "met" if per_s >= 100_000 else "NOT met"
        print(f"goal ≥ 100,000 decisions/s with a warm cache: {goal} ({per_s:,.0f}/s)")
    finally:
        rt.close()
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
