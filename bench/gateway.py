"""Gateway benchmark: the full query pipeline against a bare FastAPI lookup, in one run.

    apt-get install wrk            # the load generator (C, so it costs the server little CPU)
    .venv/bin/python bench/gateway.py [--persons 1000000] [--seconds 15] [--connections 32]
    .venv/bin/python bench/gateway.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

(a) a bare FastAPI async endpoint doing the same primary-key lookup on the same store;
(b) the gateway: API key, policy decision with a conditional grant (two items in clear, the rest masked),
    fetch, masking, Ed25519 seal, one durable audit record (group commit) — then the same with SM2.
Both servers run as the same number of uvicorn workers (``--workers``, default 1) on 127.0.0.1; wrk drives 32
connections with a random key per request.
Reports req/s, p50 and p99 for each, and the ratio b/a.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from govshare.config import Settings  # noqa: E402
from govshare.identity.principal import PLATFORM, Principal, Role  # noqa: E402
from govshare.migrate import upgrade  # noqa: E402
from govshare.runtime import Runtime  # noqa: E402

ITEMS = [
    ("id_number", "公民身份号码", "L3", "keep:6:4", True),
    ("name", "姓名", "L2", "name", False),
    ("gender", "性别", "L1", None, False),
    ("birth_date", "出生日期", "L2", "year", False),
    ("ethnicity", "民族", "L1", None, False),
    ("address", "户籍地址", "L3", "keep:6:0", False),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_provider_db(url: str, persons: int, sample: int) -> list[str]:
    """The provider's own database (公安 人口库): a table of ``persons`` synthetic people. Returns sample keys."""
    from govshare.seed.persons import iter_persons

    engine = create_engine(url)
    keys: list[str] = []
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE rk (sfzh VARCHAR(18) PRIMARY KEY, xm VARCHAR(32), xb VARCHAR(4), csrq VARCHAR(10),"
                " mz VARCHAR(16), hjdz VARCHAR(128), gxsj VARCHAR(32))"
            )
        )
        batch = []
        for i, p in enumerate(iter_persons(persons, seed=7)):
            batch.append(
                {"k": p.id_number, "n": p.name, "g": p.gender, "b": str(p.birth_date), "e": p.ethnicity, "a": p.address}
            )
            if i % max(1, persons // sample) == 0 and len(keys) < sample:
                keys.append(p.id_number)
            if len(batch) == 20_000:
                c.execute(text("INSERT INTO rk VALUES (:k, :n, :g, :b, :e, :a, '2026-11-20T08:00:00')"), batch)
                batch = []
        if batch:
            c.execute(text("INSERT INTO rk VALUES (:k, :n, :g, :b, :e, :a, '2026-11-20T08:00:00')"), batch)
    engine.dispose()
    return keys


def setup_platform(rt: Runtime, provider_url: str) -> tuple[str, str]:
    """Departments, a conditional 人口基础信息 resource bound to the provider DB, an approved grant. Returns
    (resource code, consumer API key)."""
    from argon2 import PasswordHasher

    from govshare.catalog import service as catalog
    from govshare.catalog.schemas import ResourceCreate
    from govshare.exchange import service as exchange
    from govshare.exchange.schemas import SqlBinding
    from govshare.identity import service as identity
    from govshare.identity.schemas import OrganizationCreate, SystemCreate, UserCreate
    from govshare.sharing import service as sharing
    from govshare.sharing.schemas import ApproveBody, RequestCreate
    from govshare.standards.identifiers import make_uscc

    identity._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # setup speed only
    with rt.db.write() as s:
        orgs = {}
        for n, (slug, name, kind) in enumerate(
            [
                ("sjj", "示范市数据局", "platform_operator"),
                ("gaj", "示范市公安局", "ordinary"),
                ("mzj", "示范市民政局", "ordinary"),
            ]
        ):
            org = identity.create_organization(
                s,
                actor=PLATFORM,
                data=OrganizationCreate(
                    name=name,
                    uscc=make_uscc("1", "1", "331900", f"{20000001 + n:08d}"),
                    level="city",
                    region_code="331900",
                    kind=kind,
                    short_code=slug,
                ),
            )
            orgs[slug] = org.id
        people = {}
        for slug, roles in (("gaj", ["org_admin", "catalog_manager", "approver"]), ("mzj", ["org_admin", "clerk"])):
            u = identity.create_user(
                s,
                actor=PLATFORM,
                data=UserCreate(
                    org_id=orgs[slug],
                    username=f"{slug}_bench",
                    display_name=slug,
                    password="Bench-2026!",
                    roles=[Role(r) for r in roles],
                ),
            )
            people[slug] = identity.principal_for_user(u)
        system = identity.create_system(
            s, actor=PLATFORM, data=SystemCreate(org_id=orgs["mzj"], name="低保审核系统", code="mzj-dbsh")
        )
        api_key = identity.issue_credential(s, actor=PLATFORM, system_id=system.id).api_key
        manager = Principal(
            kind="user", id="bench-cm", org_id=orgs["gaj"], name="cm", roles=frozenset({Role.catalog_manager})
        )
        r = catalog.create_resource(
            s,
            actor=manager,
            data=ResourceCreate(
                classification_kind="base",
                classification_code="101001",
                name="人口基础信息",
                summary="全市户籍人口的基础信息, 由公安局提供。",
                keywords=["人口"],
                formats=["database"],
                share_type="conditional",
                share_condition="仅限履行法定职责使用",
                share_basis="《政务数据共享条例》",
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
                        "length": 128,
                        "description": zh,
                        "is_key": key,
                        "is_sensitive": lvl in ("L3", "L4"),
                        "sensitivity": lvl,
                        "masking": mask,
                    }
                    for m, zh, lvl, mask, key in ITEMS
                ],
            ),
        )
        catalog.submit(s, actor=manager, resource_id=r.id, note="bench")
        catalog.approve(s, actor=PLATFORM, resource_id=r.id, reason="bench")
        code = r.code
        exchange.bind(
            s,
            actor=people["gaj"],
            code=code,
            data=SqlBinding(
                kind="sql",
                url=provider_url,
                table="rk",
                updated_at_column="gxsj",
                columns={
                    "id_number": "sfzh",
                    "name": "xm",
                    "gender": "xb",
                    "birth_date": "csrq",
                    "ethnicity": "mz",
                    "address": "hjdz",
                },
            ),
        )
        req = sharing.submit_request(
            s,
            actor=people["mzj"],
            data=RequestCreate(
                system_id=system.id,
                resource_code=code,
                items=["id_number", "name", "address", "gender"],
                purpose_category="social_assistance",
                purpose="低保申请人户籍核查",
                legal_basis="《社会救助暂行办法》",
                expected_daily_calls=100_000_000,
                expected_daily_records=100_000_000,
            ),
        )
        request_id = req.id
    with rt.db.write() as s:
        req = sharing.approve_request(
            s,
            actor=people["gaj"],
            request_id=request_id,
            data=ApproveBody(items=["id_number", "name"], reason="只提供核查所需的两项"),
        )
        agreement = sharing.current_agreement_id(s, req.grant_id)
    for who in ("gaj", "mzj"):
        with rt.db.write() as s:
            sharing.confirm_agreement(s, actor=people[who], agreement_id=agreement)
    return code, api_key


LUA = """
local keys = {%s}
local n = #keys
request = function()
  local k = keys[math.random(n)]
  return wrk.format("POST", "%s", {["Content-Type"]="application/json", ["X-API-Key"]="%s"},
    '{"keys":["' .. k .. '"],%s}')
end
"""


def run_wrk(
    url: str, path: str, keys: list[str], extra_json: str, api_key: str, seconds: int, conns: int, script: Path
) -> dict:
    script.write_text(LUA % (",".join(f'"{k}"' for k in keys), path, api_key, extra_json), encoding="utf-8")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "errors": int(non2xx.group(1)) if non2xx else 0, "raw": out}


def start(cmd: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--postgres", default="", help="run the platform store and provider DB on PostgreSQL")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes, the same for both servers")
    ap.add_argument("--keep", default="", help="SQLite only: build the stores in DIR once and reuse them on later runs")
    ap.add_argument("--only", choices=("bare", "gateway"), default="", help="run one side (for profiling)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    if args.keep and args.postgres:
        sys.exit("--keep is for SQLite runs")
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="govshare-gw-"))
    tmp.mkdir(parents=True, exist_ok=True)
    admin = None
    try:
        if args.postgres:
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            names = [f"gs_gw_{uuid.uuid4().hex[:6]}", f"gs_gwp_{uuid.uuid4().hex[:6]}"]
            with admin.connect() as c:
                for name in names:
                    c.execute(text(f'CREATE DATABASE "{name}"'))
            base = args.postgres.rsplit("/", 1)[0]
            store_url, provider_url = f"{base}/{names[0]}", f"{base}/{names[1]}"
        else:
            store_url, provider_url = f"sqlite:///{tmp / 'govshare.db'}", f"sqlite:///{tmp / 'provider.db'}"
        kept = tmp / "kept.json"
        if kept.exists():
            code, api_key, keys = json.loads(kept.read_text())
        else:
            t0 = time.perf_counter()
            keys = make_provider_db(provider_url, args.persons, 2000)
            print(f"provider database: {args.persons:,} persons in {time.perf_counter() - t0:.1f} s", flush=True)
            settings = Settings(data_dir=tmp / "var", database_url=store_url, log_json=False, log_level="WARNING")
            rt = Runtime(settings)
            upgrade(rt.db)
            code, api_key = setup_platform(rt, provider_url)
            rt.close()
            if args.keep:
                kept.write_text(json.dumps([code, api_key, keys]))

        env = {
            **os.environ,
            "GOVSHARE_DATA_DIR": str(tmp / "var"),
            "GOVSHARE_DATABASE_URL": store_url,
            "GOVSHARE_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT / "src"),
        }
        results = {}
        # (a) bare lookup on the same store (the provider table the gateway reads)
        if args.only != "gateway":
            port = free_port()
            bare_env = {
                **env,
                "BARE_URL": provider_url,
                "BARE_QUERY": "SELECT sfzh, xm, xb, csrq, mz, hjdz FROM rk WHERE sfzh = :key",
                "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT / 'src'}",
            }
            proc = start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bare_app:app",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                bare_env,
                port,
            )
            try:
                results["bare"] = run_wrk(
                    f"http://127.0.0.1:{port}",
                    "/lookup",
                    keys,
                    '"x":0',
                    "",
                    args.seconds,
                    args.connections,
                    tmp / "bare.lua",
                )
            finally:
                proc.terminate()
                proc.wait(10)
        # (b) the gateway, Ed25519 then SM2
        if args.only != "bare":
            port = free_port()
            proc = start(
                [sys.executable, "-m", "govshare.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
                env,
                port,
            )
            try:
                body = '"purpose_category":"social_assistance","purpose":"低保申请人户籍核查"'
                path = f"/exchange/v1/resources/{code}/query"
                run_wrk(f"http://127.0.0.1:{port}", path, keys, body, api_key, 3, args.connections, tmp / "warm.lua")
                results["gateway"] = run_wrk(
                    f"http://127.0.0.1:{port}",
                    path,
                    keys,
                    body,
                    api_key,
                    args.seconds,
                    args.connections,
                    tmp / "gw.lua",
                )
                results["gateway_sm2"] = run_wrk(
                    f"http://127.0.0.1:{port}",
                    path,
                    keys,
                    body + ',"signature_alg":"SM2-SM3"',
                    api_key,
                    max(5, args.seconds // 3),
                    args.connections,
                    tmp / "sm2.lua",
                )
            finally:
                proc.terminate()
                proc.wait(10)

        from govshare.crypto.signer import KeyStore
        from govshare.crypto.sm2 import SM2Signer

        ed = KeyStore(tmp / "keys-bench").signer
        sm2 = SM2Signer()
        msg = b"x" * 900
        t0 = time.perf_counter()
        for _ in range(200):
            ed.sign(msg)
        ed_ms = (time.perf_counter() - t0) / 200 * 1000
        t0 = time.perf_counter()
        for _ in range(50):
            sm2.sign(msg)
        sm2_ms = (time.perf_counter() - t0) / 50 * 1000

        store = "postgresql" if args.postgres else "sqlite"
        print(
            f"store={store} persons={args.persons:,} connections={args.connections} seconds={args.seconds} "
            f"workers={args.workers} loadavg={os.getloadavg()[0]:.2f}"
        )
        for name, r in results.items():
            print(
                f"{name:12s} {r['rps']:8.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
                f"non-2xx {r['errors']}"
            )
        if len(results) > 1:
            print(f"ratio gateway/bare = {results['gateway']['rps'] / results['bare']['rps']:.2f}")
        print(f"signing one envelope: Ed25519 {ed_ms:.3f} ms, SM2 {sm2_ms:.2f} ms")
    finally:
        if admin is not None:
            with admin.connect() as c:
                for name in names:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
