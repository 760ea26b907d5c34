"""End to end through the real HTTP API: publish → request → approve two items → query as the consumer.

Approved items come in clear, the rest masked or absent; an unapproved purpose and a revoked grant are refused on
the next call; every call is in the audit chain; the answer verifies offline and fails after tampering. For the
provider's database (a real second SQLite/PostgreSQL database) and the provider's HTTP API (a real server on
127.0.0.1), for a conditional and an unconditional resource.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, select, text

from govshare.audit.models import AuditRecord
from govshare.audit.service import verify_chain
from govshare.exchange import service as exchange
from govshare.exchange.envelope import SealError, canonical_json, verify_sealed
from govshare.exchange.schemas import HttpBinding, QueryRequest, SqlBinding
from govshare.identity.models import ApiCredential
from govshare.sharing import service as sharing
from tests.sharing.conftest import Sharing, approve_all

PG_URL = os.environ.get("GOVSHARE_TEST_POSTGRES_URL", "").strip()
PEOPLE = {
    "11010519491231002X": ("张三", "示范市明湖区湖滨路1号", "1200", "3"),
    "440524188001010014": ("李四", "示范市云溪区溪口街8号", "900", "2"),
}


def _provider_db(store, tmp_path) -> tuple[str, callable]:
    """The provider's own database, on the same kind of store as the platform's."""
    if store.kind == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'mzj.db'}", lambda: None
    else:
        admin = create_engine(store.url, isolation_level="AUTOCOMMIT")
        name = f"gs_mzj_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = store.url.rsplit("/", 1)[0] + f"/{name}"

        def cleanup() -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE dibao (sfzh VARCHAR(18) PRIMARY KEY, xm VARCHAR(32), dz VARCHAR(100),"
                " sr VARCHAR(10), rks VARCHAR(4), bj VARCHAR(100), gxsj VARCHAR(32))"
            )
        )
        for k, (xm, dz, sr, rks) in PEOPLE.items():
            c.execute(
                text("INSERT INTO dibao VALUES (:k, :xm, :dz, :sr, :rks, '内部笔记', '2026-11-20T09:00:00')"),
                dict(k=k, xm=xm, dz=dz, sr=sr, rks=rks),
            )
    engine.dispose()
    return url, cleanup


def _bind_sql(sw: Sharing, url: str) -> None:
    with sw.runtime.db.write() as s:
        exchange.bind(
            s,
            actor=sw.b_admin,
            code=sw.cond,
            data=SqlBinding(
                kind="sql",
                url=url,
                table="dibao",
                updated_at_column="gxsj",
                columns={
                    "id_number": "sfzh",
                    "name": "xm",
                    "address": "dz",
                    "income": "sr",
                    "household_size": "rks",
                    "case_note": "bj",
                },
            ),
        )


def _grant(sw: Sharing, items: list[str], approve_items: list[str]) -> str:
    with sw.runtime.db.write() as s:
        req = sharing.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond, items=items))
        request_id = req.id
    grant_id, _ = approve_all(sw, request_id, items=approve_items, reason="只同意核查所需的两项")
    return grant_id


def _query(client, sw: Sharing, code: str, **body):
    payload = {"keys": list(PEOPLE), "purpose_category": "social_assistance", "purpose": "低保申请审核", **body}
    return client.post(
        f"/exchange/v1/resources/{code}/query",
        json=payload,
        headers={"X-API-Key": sw.world.a.api_key, "X-On-Behalf-Of": "gaj-clerk-7"},
    )


def _jwks(client) -> dict:
    return client.get("/api/v1/keys").json()


def _check_conditional_flow(client, sw: Sharing, updated_prefix: str | None = "2026-11-20") -> None:
    grant_id = _grant(sw, ["id_number", "name", "address"], ["id_number", "name"])
    allowed = client.get("/exchange/v1/resources", headers={"X-API-Key": sw.world.a.api_key}).json()
    assert [(r["code"], r["items_clear"], r["purpose_categories"]) for r in allowed] == [
        (sw.cond, ["id_number", "name"], ["social_assistance"])
    ]
    resp = _query(client, sw, sw.cond)
    assert resp.status_code == 200, resp.text
    sealed = resp.json()
    env = verify_sealed(sealed, _jwks(client))
    assert env["found"] == 2 and env["resource"]["code"] == sw.cond
    assert env["items_clear"] == ["id_number", "name"]
    assert "address" in env["items_masked"]  # asked for, not approved: masked
    assert "内部笔记" not in json.dumps(env, ensure_ascii=False)  # 不予共享 item never leaves
    assert "case_note" in env["items_absent"]
    row = next(r for r in env["rows"] if r["key"] == "11010519491231002X")
    assert row["data"]["name"] == "张三" and row["data"]["id_number"] == "11010519491231002X"
    assert row["data"]["address"] != PEOPLE["11010519491231002X"][1] and "*" in row["data"]["address"]
    assert "income" not in row["data"] or "*" in str(row["data"]["income"])  # L4 without grant: never in clear
    assert row["freshness"]["updated_at"].startswith(updated_prefix or "20")
    assert env["consumer"]["on_behalf_of"] == "gaj-clerk-7"
    # the request hash: SHA-256 of the canonical request as sent (all its fields, the resource and the key item)
    sent = QueryRequest(keys=list(PEOPLE), purpose_category="social_assistance", purpose="低保申请审核")
    doc = {"resource": sw.cond, "keys": list(PEOPLE), "key_item": "id_number", **sent.model_dump(exclude={"keys"})}
    assert env["request_hash"] == hashlib.sha256(canonical_json(doc)).hexdigest()

    # tampering with one byte of data or metadata breaks the seal
    for path in (("rows", 0, "data", "name"), ("resource", "provider", "name"), ("items_masked", 0)):
        forged = copy.deepcopy(sealed)
        node = forged["envelope"]
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = str(node[path[-1]]) + "x"
        with pytest.raises(SealError):
            verify_sealed(forged, _jwks(client))

    # an unapproved purpose is refused
    resp = _query(client, sw, sw.cond, purpose_category="enforcement")
    assert resp.status_code == 403 and resp.json()["code"] in ("no_grant", "purpose_not_granted")

    # revoke: refused on the very next call
    with sw.runtime.db.write() as s:
        sharing.revoke_grant(s, actor=sw.b_admin, grant_id=grant_id, reason="停止合作")
    resp = _query(client, sw, sw.cond)
    assert resp.status_code == 403 and resp.json()["code"] in ("grant_revoked", "no_grant")
    assert client.get("/exchange/v1/resources", headers={"X-API-Key": sw.world.a.api_key}).json() == []

    # every answered subject has its audit record, bound to the answer, and the chain verifies
    with sw.runtime.db.read() as s:
        records = s.scalars(select(AuditRecord).where(AuditRecord.action == "exchange.query")).all()
        denied = s.scalars(select(AuditRecord).where(AuditRecord.action == "sharing.policy.deny")).all()
    assert len(records) == 2 and {r.subject_ref for r in records} == {sw.runtime.audit.subject_ref(k) for k in PEOPLE}
    assert all(json.loads(r.detail)["request_hash"] == env["request_hash"] for r in records)
    assert len(denied) >= 2
    assert verify_chain(sw.runtime.db, sw.runtime.keys).ok


def test_conditional_resource_from_the_providers_database(client, sw: Sharing, store, tmp_path):
    url, cleanup = _provider_db(store, tmp_path)
    try:
        _bind_sql(sw, url)
        _check_conditional_flow(client, sw)
    finally:
        cleanup()


class _MzjApi(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        if self.headers.get("X-Token") != "s3cret":
            self.send_response(401)
            self.end_headers()
            return
        key = self.path.rsplit("/", 1)[-1]
        if key not in PEOPLE:
            self.send_response(404)
            self.end_headers()
            return
        xm, dz, sr, rks = PEOPLE[key]
        body = json.dumps(
            {
                "result": {
                    "sfzh": key,
                    "xm": xm,
                    "dz": dz,
                    "sr": sr,
                    "rks": rks,
                    "bj": "内部",
                    "gxsj": "2026-11-20T09:00:00",
                }
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


def test_conditional_resource_from_the_providers_http_api(client, sw: Sharing):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MzjApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sw.runtime.db.write() as s:
            exchange.bind(
                s,
                actor=sw.b_admin,
                code=sw.cond,
                data=HttpBinding(
                    kind="http",
                    url_template=f"http://127.0.0.1:{server.server_address[1]}/dibao/{{key}}",
                    auth_header="X-Token",
                    auth_value="s3cret",
                    updated_at_path="result.gxsj",
                    fields={
                        "id_number": "result.sfzh",
                        "name": "result.xm",
                        "address": "result.dz",
                        "income": "result.sr",
                        "household_size": "result.rks",
                        "case_note": "result.bj",
                    },
                ),
            )
        _check_conditional_flow(client, sw)
    finally:
        server.shutdown()
        server.server_close()


def test_unconditional_resource_needs_a_registration_then_flows(client, sw: Sharing, store, tmp_path):
    url = f"sqlite:///{tmp_path / 'org.db'}"
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE shzz (tyshxydm VARCHAR(18), mc VARCHAR(64), fddbr VARCHAR(16))"))
        c.execute(text("INSERT INTO shzz VALUES ('51331900MJ0000001X', '示范市志愿者协会', '王五')"))
    engine.dispose()
    with sw.runtime.db.write() as s:
        exchange.bind(
            s,
            actor=sw.b_admin,
            code=sw.uncond,
            data=SqlBinding(
                kind="sql",
                url=url,
                table="shzz",
                columns={"org_code": "tyshxydm", "org_name": "mc", "legal_rep": "fddbr"},
            ),
        )
    body = {"keys": ["51331900MJ0000001X"], "purpose_category": "public_service", "purpose": "社会组织年检"}
    headers = {"X-API-Key": sw.world.a.api_key}
    resp = client.post(f"/exchange/v1/resources/{sw.uncond}/query", json=body, headers=headers)
    assert resp.status_code == 403 and resp.json()["code"] == "use_not_registered"
    with sw.runtime.db.write() as s:
        sharing.submit_request(
            s,
            actor=sw.a_clerk,
            data=sw.request_body(
                sw.uncond, items=["org_code", "org_name", "legal_rep"], purpose_category="public_service"
            ),
        )
    resp = client.post(f"/exchange/v1/resources/{sw.uncond}/query", json=body, headers=headers)
    assert resp.status_code == 200, resp.text
    env = verify_sealed(resp.json(), _jwks(client))
    data = env["rows"][0]["data"]
    assert data["org_name"] == "示范市志愿者协会"
    assert data["legal_rep"] != "王五"  # L3 through a registration: masked


def test_bad_input_is_a_problem(client, sw: Sharing):
    headers = {"X-API-Key": sw.world.a.api_key}
    resp = client.post(f"/exchange/v1/resources/{sw.cond}/query", json={"keys": []}, headers=headers)
    assert resp.status_code == 422 and resp.json()["code"] == "validation_failed"
    resp = client.post(
        "/exchange/v1/resources/NOPE/query",
        headers=headers,
        json={"keys": ["1"], "purpose_category": "public_service", "purpose": "测试用途"},
    )
    assert resp.status_code in (403, 404) and resp.json()["code"]
    # staff users do not call the gateway: it takes a system's API key
    tok = client.post("/api/v1/auth/token", json={"username": sw.world.a.admin, "password": sw.world.password})
    resp = client.post(
        f"/exchange/v1/resources/{sw.cond}/query",
        headers={"Authorization": f"Bearer {tok.json()['access_token']}"},
        json={"keys": ["1"], "purpose_category": "public_service", "purpose": "测试用途"},
    )
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


def test_resource_without_binding_is_503(client, sw: Sharing):
    _grant(sw, ["id_number", "name"], ["id_number", "name"])
    resp = _query(client, sw, sw.cond)
    assert resp.status_code == 503 and resp.json()["code"] == "resource_not_served"


def test_conditional_resource_from_the_hub_library(client, sw: Sharing, tmp_path):
    """The same flow when the data is held in the platform's own library (统一资源库), ingested by the provider."""
    from govshare.library import service as library
    from govshare.library.schemas import LibraryTableCreate

    schema = {
        "fields": [
            {"name": "id_number", "title": "公民身份号码", "format": "id_number", "required": True},
            {"name": "name", "title": "姓名", "required": True},
            {"name": "address", "title": "家庭住址"},
            {"name": "income", "title": "家庭月收入"},
            {"name": "household_size", "title": "家庭人口数"},
            {"name": "case_note", "title": "核查笔记"},
        ],
        "primary_key": ["id_number"],
    }
    with sw.runtime.db.write() as s:
        library.create_table(
            s,
            actor=sw.b_admin,
            data=LibraryTableCreate(resource_code=sw.cond, name="低保对象专题库", schema=schema, update_cycle="daily"),
        )
    csv = tmp_path / "dibao.csv"
    lines = ["id_number,name,address,income,household_size,case_note"]
    lines += [f"{k},{xm},{dz},{sr},{rks},内部笔记" for k, (xm, dz, sr, rks) in PEOPLE.items()]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    library.ingest(sw.runtime.db, actor=sw.b_admin, code=sw.cond, path=csv)
    _check_conditional_flow(client, sw, updated_prefix=None)  # freshness: when the version became current


def test_gateway_route_errors_are_problems_with_the_request_id(client, sw: Sharing):
    """The route is served ahead of FastAPI's router (exchange/fastpath.py): its errors are the same problem+json."""
    url = f"/exchange/v1/resources/{sw.cond}/query"
    headers = {"X-API-Key": sw.world.a.api_key, "X-Request-ID": "rid-fastpath-1", "Content-Type": "application/json"}
    resp = client.post(url, content=b'{"keys": ["1"', headers=headers)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "validation_failed" and resp.json()["request_id"] == "rid-fastpath-1"
    assert resp.headers["x-request-id"] == "rid-fastpath-1"
    resp = client.post(url, json={"keys": ["1"] * 101, "purpose_category": "public_service", "purpose": "测试"})
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"  # no key: asked for one first
    resp = client.post(url, json={"keys": ["1"] * 101}, headers=headers)
    assert resp.status_code == 422 and resp.json()["field"] == "keys"
    resp = client.post(url, content=b"[" + b'"x",' * 30_000 + b"]", headers=headers)
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"
    resp = client.get(url, headers=headers)  # other methods go on to the router
    assert resp.status_code == 405
    metrics = client.get("/metrics").text
    assert 'route="/exchange/v1/resources/{code:path}/query",status="422"' in metrics


def test_revoked_or_expired_key_is_refused_on_the_next_call(client, sw: Sharing, store, tmp_path):
    url, cleanup = _provider_db(store, tmp_path)
    try:
        _bind_sql(sw, url)
        _grant(sw, ["id_number", "name"], ["id_number", "name"])
        assert _query(client, sw, sw.cond).status_code == 200
        # the key's expiry passes: read back through the gateway's own check (db.HotQuery), as an aware datetime
        with sw.runtime.db.write() as s:
            cred = s.scalars(select(ApiCredential).where(ApiCredential.key_id == sw.world.a.key_id)).one()
            cred.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        resp = _query(client, sw, sw.cond)
        assert resp.status_code == 401 and "expired" in resp.json()["message_en"]
        with sw.runtime.db.write() as s:
            cred = s.scalars(select(ApiCredential).where(ApiCredential.key_id == sw.world.a.key_id)).one()
            cred.expires_at, cred.revoked_at = None, datetime.now(UTC)
        resp = _query(client, sw, sw.cond)
        assert resp.status_code == 401 and "revoked" in resp.json()["message_en"]
    finally:
        cleanup()
