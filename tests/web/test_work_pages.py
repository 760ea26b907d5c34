"""The console's remaining screens over HTTP on SQLite and PostgreSQL: objections (raise, answer, close), the
demand list (post, route, decline, answer), agreements (amend, terminate), the data menu (upload with the ingest
report and its quarantine, quality reports) and the open portal's downloads.

Each form is driven once with bad input (a clear error, nothing written) and once by someone it is not for
(refused, nothing written), besides the flow that works.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from govshare.audit.models import AuditRecord
from govshare.identity.principal import PLATFORM
from govshare.library.models import LibraryIngest
from govshare.sharing import service as sharing_service
from govshare.sharing.models import Agreement, Demand, Objection
from tests.conftest import World
from tests.sharing.conftest import Sharing, approve_all, sw  # noqa: F401  (sw: the sharing world fixture)
from tests.web.conftest import web_login


@pytest.fixture
def rsj(runtime, sw: Sharing) -> str:  # noqa: ANN001, F811
    """A third department, party to nothing: its admin's username."""
    from tests.conftest import _make_dept

    with runtime.db.write() as s:
        dept = _make_dept(
            s,
            10000004,
            "示范市人力资源和社会保障局",
            "rsj",
            "ordinary",
            World.password,
            ["org_admin", "auditor", "approver", "clerk", "catalog_manager"],
        )
    return dept.admin


def _as(client, username: str) -> str:  # noqa: ANN001
    client.cookies.clear()
    return web_login(client, username, World.password)


def _count(runtime, model, *where) -> int:  # noqa: ANN001
    with runtime.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _granted(sw: Sharing) -> tuple[str, str]:  # noqa: F811
    """公安局 applies for 民政局's 低保对象信息, 民政局 approves, both confirm: (grant id, agreement id)."""
    with sw.runtime.db.write() as s:
        req = sharing_service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond))
    return approve_all(sw, req.id)


# ---- objections ----------------------------------------------------------------------------------------
def test_an_objection_is_raised_answered_disputed_and_closed_through_the_pages(client, runtime, sw: Sharing, rsj: str):  # noqa: E501, F811
    _granted(sw)
    csrf = _as(client, "gaj_clerk")
    form = client.get("/console/sharing/objections")
    assert form.status_code == 200 and 'id="raise-form"' in form.text and sw.cond in form.text
    # bad input: no description → the error next to the field, nothing written
    bad = {"csrf_token": csrf, "resource_code": sw.cond, "record_ref": "11010519491231002X", "description": ""}
    resp = client.post("/console/sharing/objections", data=bad)
    assert resp.status_code == 422 and 'id="e-description"' in resp.text
    assert _count(runtime, Objection) == 0
    good = {**bad, "description": "该人员家庭住址与实际不符", "items": "address"}
    resp = client.post("/console/sharing/objections", data=good, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    url = resp.headers["location"].split("?")[0]
    page = client.get(url)
    assert "待核查" in page.text and 'id="answer-form"' not in page.text and 'id="due"' in page.text
    assert 'data-action="sharing.objection.raise"' in page.text

    # the consumer may not answer its own objection: refused, nothing changed
    assert (
        client.post(url + "/answer", data={"csrf_token": csrf, "outcome": "explained", "answer": "无误"}).status_code
        == 403
    )
    # the provider's clerk may not either; its catalog manager may
    csrf = _as(client, "mzj_clerk")
    assert (
        client.post(url + "/answer", data={"csrf_token": csrf, "outcome": "explained", "answer": "无误"}).status_code
        == 403
    )
    assert _count(runtime, Objection, Objection.status == "open") == 1
    csrf = _as(client, "mzj_catalog")
    assert "/console/sharing/objections/" in client.get("/console/sharing/objections?side=provider").text
    page = client.get(url)
    assert 'id="answer-form"' in page.text
    resp = client.post(url + "/answer", data={"csrf_token": csrf, "outcome": "", "answer": "x"})
    assert resp.status_code == 422 and 'id="e-outcome"' in resp.text
    resp = client.post(
        url + "/answer",
        data={"csrf_token": csrf, "outcome": "corrected", "answer": "已按户籍地址更正", "corrected_items": ["address"]},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert "已更正" in client.get(url).text

    # the raiser disputes (a note is required), then accepts the second answer
    csrf = _as(client, "gaj_clerk")
    resp = client.post(url + "/close", data={"csrf_token": csrf, "decision": "dispute", "note": ""})
    assert resp.status_code == 422 and 'id="e-note"' in resp.text
    resp = client.post(
        url + "/close", data={"csrf_token": csrf, "decision": "dispute", "note": "仍不一致"}, follow_redirects=False
    )
    assert resp.status_code == 303 and "objection_reopened" in resp.headers["location"]
    csrf = _as(client, "mzj_catalog")
    client.post(url + "/answer", data={"csrf_token": csrf, "outcome": "explained", "answer": "核实无误"})
    csrf = _as(client, "gaj_clerk")
    resp = client.post(url + "/close", data={"csrf_token": csrf, "decision": "accept"}, follow_redirects=False)
    assert resp.status_code == 303
    page = client.get(url)
    assert "已办结" in page.text
    for action in ("raise", "answer", "reopen", "close"):
        assert f'data-action="sharing.objection.{action}"' in page.text

    # a third department sees nothing of it
    _as(client, rsj)
    assert client.get(url).status_code == 404


# ---- demands -------------------------------------------------------------------------------------------
def test_a_demand_is_posted_routed_and_answered_and_only_the_operator_routes(client, runtime, sw: Sharing):  # noqa: F811
    csrf = _as(client, "gaj_clerk")
    resp = client.post("/console/sharing/demands", data={"csrf_token": csrf, "title": "x", "reason": ""})
    assert resp.status_code == 422 and 'id="e-title"' in resp.text and 'id="e-reason"' in resp.text
    assert _count(runtime, Demand) == 0
    resp = client.post(
        "/console/sharing/demands",
        data={
            "csrf_token": csrf,
            "title": "养老机构床位信息",
            "reason": "核查养老服务补贴",
            "purpose_category": "social_assistance",
            "suspected_org_id": sw.world.b.org_id,
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    url = resp.headers["location"].split("?")[0]
    assert "待分派" in client.get(url).text
    # a department cannot route
    assert client.post(url + "/route", data={"csrf_token": csrf, "org_id": sw.world.b.org_id}).status_code == 403
    assert client.post(url + "/decline", data={"csrf_token": csrf, "reason": "不需要"}).status_code == 403
    assert _count(runtime, Demand, Demand.status == "open") == 1

    csrf = _as(client, sw.world.operator.admin)
    page = client.get(url)
    assert 'id="route-form"' in page.text and 'id="decline-form"' in page.text
    resp = client.post(url + "/route", data={"csrf_token": csrf, "org_id": ""})
    assert resp.status_code == 422 and 'id="e-org_id"' in resp.text
    resp = client.post(
        url + "/route",
        data={"csrf_token": csrf, "org_id": sw.world.b.org_id, "note": "请民政局答复"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert "已分派" in client.get(url).text

    csrf = _as(client, "mzj_catalog")
    assert 'id="answer-form"' in client.get(url).text
    resp = client.post(url + "/answer", data={"csrf_token": csrf, "outcome": "catalogued", "answer": "已编目"})
    assert resp.status_code == 422 and 'id="e-resource_code"' in resp.text
    resp = client.post(
        url + "/answer",
        data={
            "csrf_token": csrf,
            "outcome": "catalogued",
            "resource_code": sw.uncond,
            "answer": "已编目为社会组织登记信息",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = client.get(url)
    assert "已编目" in page.text and sw.uncond in page.text

    # a second demand is declined by the operator, with a reason
    csrf = _as(client, "gaj_clerk")
    resp = client.post(
        "/console/sharing/demands",
        data={"csrf_token": csrf, "title": "全市人口热力图", "reason": "城市规划"},
        follow_redirects=False,
    )
    url2 = resp.headers["location"].split("?")[0]
    csrf = _as(client, sw.world.operator.admin)
    assert client.post(url2 + "/decline", data={"csrf_token": csrf, "reason": ""}).status_code == 422
    resp = client.post(
        url2 + "/decline", data={"csrf_token": csrf, "reason": "不属于政务数据共享范围"}, follow_redirects=False
    )
    assert resp.status_code == 303 and "不予受理" in client.get(url2).text


# ---- agreements ----------------------------------------------------------------------------------------
def test_an_agreement_is_amended_and_terminated_by_its_parties_only(client, runtime, sw: Sharing, rsj: str):  # noqa: F811
    grant_id, agreement_id = _granted(sw)
    url = f"/console/sharing/agreements/{agreement_id}"
    csrf = _as(client, "gaj_clerk")  # a party's clerk: sees it, may neither amend nor terminate
    page = client.get(url)
    assert page.status_code == 200 and 'id="amend-form"' not in page.text and 'id="terminate-form"' not in page.text
    assert client.post(url + "/terminate", data={"csrf_token": csrf, "reason": "不再需要"}).status_code == 403
    assert (
        client.post(url + "/amend", data={"csrf_token": csrf, "note": "缩短期限", "daily_calls": "5"}).status_code
        == 403
    )
    _as(client, rsj)
    assert client.get(url).status_code == 404

    csrf = _as(client, sw.world.a.admin)
    page = client.get(url)
    assert 'id="amend-form"' in page.text and 'id="terminate-form"' in page.text
    # an amendment that changes nothing, and one with a bad number: errors, no new version
    items = ["id_number", "name", "address"]
    resp = client.post(url + "/amend", data={"csrf_token": csrf, "note": "无变化", "items": items})
    assert resp.status_code == 422 and "变更内容为空" in resp.text
    resp = client.post(url + "/amend", data={"csrf_token": csrf, "note": "限额", "daily_calls": "很多", "items": items})
    assert resp.status_code == 422 and 'id="e-daily_calls"' in resp.text
    assert _count(runtime, Agreement) == 1
    resp = client.post(
        url + "/amend",
        data={
            "csrf_token": csrf,
            "note": "减少调用量，不再需要住址",
            "daily_calls": "50",
            "items": ["id_number", "name"],
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    v2 = resp.headers["location"].split("?")[0]
    page = client.get(v2)
    assert "待确认" in page.text and 'id="versions"' in page.text and "第 2 版" in page.text

    # the provider declines the proposed version (the version in force stays), then terminates the agreement
    csrf = _as(client, sw.world.b.admin)
    assert "拒绝该变更版本" in client.get(v2).text
    resp = client.post(v2 + "/terminate", data={"csrf_token": csrf, "reason": "不同意变更"}, follow_redirects=False)
    assert resp.status_code == 303
    assert _count(runtime, Agreement, Agreement.status == "in_force") == 1
    resp = client.post(url + "/terminate", data={"csrf_token": csrf, "reason": ""})
    assert resp.status_code == 422 and 'id="e-reason"' in resp.text
    assert _count(runtime, Agreement, Agreement.status == "in_force") == 1
    resp = client.post(
        url + "/terminate", data={"csrf_token": csrf, "reason": "低保核查业务调整"}, follow_redirects=False
    )
    assert resp.status_code == 303
    assert "已终止" in client.get(url).text
    assert 'data-status="revoked"' in client.get("/console/sharing/grants").text


# ---- data: upload, report, quality ---------------------------------------------------------------------
CARE_SCHEMA = {
    "fields": [
        {"name": "org_code", "title": "统一社会信用代码", "format": "uscc", "required": True},
        {"name": "org_name", "title": "组织名称", "required": True},
        {"name": "legal_rep", "title": "法定代表人"},
        {"name": "beds", "title": "床位数", "type": "integer", "minimum": 0},
    ],
    "primary_key": ["org_code"],
}


def _library_table(runtime, sw: Sharing, code: str) -> None:  # noqa: ANN001, F811
    from govshare.library import service as library
    from govshare.library.schemas import LibraryTableCreate

    with runtime.db.write() as s:
        library.create_table(
            s,
            actor=PLATFORM,
            data=LibraryTableCreate(
                resource_code=code,
                name="社会组织登记库",
                schema=CARE_SCHEMA,
                provider_org_id=sw.world.b.org_id,
                update_cycle="monthly",
            ),
        )


def _csv(rows: int = 60) -> bytes:
    from tests.conftest import uscc_for

    lines = ["统一社会信用代码,组织名称,法定代表人,床位数"]
    for i in range(rows):
        beds = "很多" if i % 20 == 3 else str(10 + i)
        lines.append(f"{uscc_for(20000000 + i)},示范市第{i}养老院,王{i},{beds}")
    lines.append("12345,坏代码,李四,5")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_upload_shows_the_ingest_report_with_the_quarantine_and_only_the_provider_may_upload(
    client,
    runtime,
    sw: Sharing,  # noqa: F811
):
    _library_table(runtime, sw, sw.uncond)
    target = f"/console/data/ingest?table={quote(sw.uncond, safe='')}"
    csrf = _as(client, "mzj_catalog")
    page = client.get(target)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text and "upload-progress" in page.text
    assert "/console/data" in client.get("/console").text  # the 数据 menu

    # bad input: no file, a file type that is not data, an empty file — clear errors, no ingest written
    for files in (None, {"file": ("notes.pdf", b"%PDF-1.4", "application/pdf")}, {"file": ("x.csv", b"", "text/csv")}):
        resp = client.post("/console/data/ingest", data={"csrf_token": csrf, "table": sw.uncond}, files=files)
        assert resp.status_code == 422 and 'id="e-file"' in resp.text, resp.text[-500:]
    # a CSV whose header matches no field: the reader refuses it before anything is written
    resp = client.post(
        "/console/data/ingest",
        data={"csrf_token": csrf, "table": sw.uncond},
        files={"file": ("x.csv", "甲,乙\n1,2\n".encode(), "text/csv")},
    )
    assert resp.status_code == 422 and 'id="e-file"' in resp.text
    assert _count(runtime, LibraryIngest) == 0

    # another department (even its admin) may not upload into 民政局's table
    other = _as(client, sw.world.a.admin)
    resp = client.post(
        "/console/data/ingest",
        data={"csrf_token": other, "table": sw.uncond},
        files={"file": ("homes.csv", _csv(), "text/csv")},
    )
    assert resp.status_code == 403 and _count(runtime, LibraryIngest) == 0
    assert client.get(target).status_code == 403

    csrf = _as(client, "mzj_catalog")
    resp = client.post(
        "/console/data/ingest",
        data={"csrf_token": csrf, "table": sw.uncond},
        files={"file": ("homes.csv", _csv(), "text/csv")},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text[-1000:]
    report_url = resp.headers["location"]
    report = client.get(report_url)
    assert report.status_code == 200 and 'id="quarantine-rows"' in report.text
    assert re.search(r'data-count="read">.*?<dd>61</dd>', report.text, re.S)
    assert re.search(r'data-count="rejected">.*?<dd>4</dd>', report.text, re.S)
    assert 'data-kind="validation"' in report.text and "很多" in report.text and "12345" in report.text
    # the quarantine filtered by a rule, and its pages
    rule = re.search(r'data-kind="validation".*?data-rule="(\w+)"', report.text, re.S).group(1)
    filtered = client.get(report_url, params={"rule": rule})
    assert filtered.status_code == 200 and rule in filtered.text
    assert "past" not in client.get(report_url, params={"page": "2"}).text
    history = client.get(target)
    assert "homes.csv" in history.text and report_url in history.text


def test_quality_report_with_charts_and_who_may_run_it(client, runtime, sw: Sharing):  # noqa: F811
    _library_table(runtime, sw, sw.uncond)
    csrf = _as(client, "mzj_catalog")
    client.post(
        "/console/data/ingest",
        data={"csrf_token": csrf, "table": sw.uncond},
        files={"file": ("homes.csv", _csv(), "text/csv")},
    )
    url = f"/console/data/quality?table={quote(sw.uncond, safe='')}"
    assert "还没有质量报告" in client.get(url).text
    for _ in range(2):
        resp = client.post(
            "/console/data/quality", data={"csrf_token": csrf, "table": sw.uncond}, follow_redirects=False
        )
        assert resp.status_code == 303
    page = client.get(url)
    assert page.status_code == 200 and 'data-chart="quality-fields-option"' in page.text
    assert 'id="quality-history-option"' in page.text and 'data-dimension="completeness"' in page.text
    assert 'data-field="beds"' in page.text and "echarts.min.js" in page.text
    assert sw.uncond in client.get("/console/data/quality").text

    # another department and a clerk of the provider: refused, no run written
    runs = _count(runtime, AuditRecord, AuditRecord.action == "library.quality.run")
    for username in (sw.world.a.admin, "mzj_clerk"):
        csrf = _as(client, username)
        assert client.get(url).status_code == 403
        assert client.post("/console/data/quality", data={"csrf_token": csrf, "table": sw.uncond}).status_code == 403
    assert client.post("/console/data/quality", data={"csrf_token": csrf, "table": "999999/9"}).status_code == 404
    assert _count(runtime, AuditRecord, AuditRecord.action == "library.quality.run") == runs


# ---- the open portal's downloads ------------------------------------------------------------------------
def _open_resource(runtime, sw: Sharing) -> tuple[str, str]:  # noqa: ANN001, F811
    """社会组织名录 of 民政局, 无条件开放, with a sensitive item (法定代表人) that must not be downloaded."""
    from govshare.catalog import service as catalog
    from govshare.catalog.schemas import ResourceCreate
    from tests.sharing.conftest import UNCOND_ITEMS

    with runtime.db.write() as s:
        manager = sw.b_catalog
        content = {
            "classification_kind": "theme",
            "classification_code": "209003",
            "name": "社会组织名录（开放）",
            "summary": "全市社会组织的名称与床位数, 向社会开放。",
            "keywords": ["社会组织"],
            "formats": ["database"],
            "share_type": "unconditional",
            "share_modes": ["api"],
            "open_type": "unconditional",
            "update_cycle": "monthly",
            "network": "internet",
            "items": [
                *UNCOND_ITEMS,
                {**UNCOND_ITEMS[1], "name": "床位数", "machine_name": "beds", "description": "核定床位数"},
            ],
        }
        r = catalog.create_resource(s, actor=manager, data=ResourceCreate(**content))
        catalog.submit(s, actor=manager, resource_id=r.id, note="开放")
        catalog.approve(s, actor=PLATFORM, resource_id=r.id, reason="同意开放")
        return r.id, r.code


def test_open_datasets_held_in_the_library_download_as_csv_json_lines_and_parquet(client, runtime, sw: Sharing):  # noqa: F811
    from govshare.library import service as library

    rid, code = _open_resource(runtime, sw)
    page = client.get(f"/open/datasets/{rid}")
    assert page.status_code == 200 and 'id="downloads"' not in page.text  # not in the library yet
    assert client.get(f"/open/datasets/{rid}/download.csv").status_code == 404
    _library_table(runtime, sw, code)
    path = runtime.settings.data_dir / "homes.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_csv(2500))
    library.ingest(runtime.db, actor=PLATFORM, code=code, path=path)

    page = client.get(f"/open/datasets/{rid}")
    assert 'id="downloads"' in page.text and f"/open/datasets/{rid}/download.parquet" in page.text
    csv_resp = client.get(f"/open/datasets/{rid}/download.csv")
    assert csv_resp.status_code == 200 and csv_resp.headers["content-type"].startswith("text/csv")
    lines = csv_resp.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "org_code,org_name,beds" and len(lines) == 1 + 2500 - 125  # the rejected rows are not held
    assert "legal_rep" not in csv_resp.text and "王1" not in csv_resp.text  # 法定代表人 (L3) is not open
    jsonl = client.get(f"/open/datasets/{rid}/download.jsonl")
    assert len(jsonl.content.splitlines()) == 2375 and b'"org_name"' in jsonl.content
    parquet = client.get(f"/open/datasets/{rid}/download.parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 2375 and table.column_names == ["org_code", "org_name", "beds"]
    assert str(table.schema.field("beds").type) == "int64"
    assert client.get(f"/open/datasets/{rid}/download.xml").status_code == 404

    # every download is an anonymous public download in the audit log, and counted
    with runtime.db.read() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "open.download")))
    assert len(rows) == 3 and {r.actor_kind for r in rows} == {"public"} and {r.object_id for r in rows} == {code}
    metrics = client.get("/metrics")
    if metrics.status_code == 200:
        assert "govshare_open_downloads_total" in metrics.text

    # a deleted record (tombstone) is no longer offered
    deleted_key = lines[1].split(",")[0]
    with runtime.db.write() as s:
        library.delete_records(s, actor=PLATFORM, code=code, keys=[deleted_key])
    jsonl = client.get(f"/open/datasets/{rid}/download.jsonl")
    assert len(jsonl.content.splitlines()) == 2374 and deleted_key.encode() not in jsonl.content

    # a shared (not open) resource in the library offers nothing
    with runtime.db.read() as s:
        cond_id = sharing_service.catalog_port.listed_resource(s, code=sw.cond).id
    assert client.get(f"/open/datasets/{cond_id}/download.csv").status_code == 404


@pytest.mark.parametrize("lang", ["en"])
def test_the_new_pages_render_in_english(client, sw: Sharing, lang: str):  # noqa: F811
    _granted(sw)
    _as(client, "gaj_clerk")
    page = client.get("/console/sharing/objections", params={"lang": lang})
    assert page.status_code == 200 and "Raise an objection" in page.text
    assert "Post a data demand" in client.get("/console/sharing/demands").text
    _as(client, "mzj_catalog")
    assert "Resource library" in client.get("/console/data", params={"lang": lang}).text


# ---- the citizen page's sign-in state is in the database ----------------------------------------------
def test_citizen_codes_sessions_and_limits_are_shared_by_workers_through_the_database(
    runtime,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
):
    """Two app instances on one database (two worker processes): a code sent by one is accepted by the other,
    the session opened there is valid here, the limit counts attempts at both; codes are stored hashed and
    expire."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from govshare.app import create_app
    from govshare.runtime import Runtime
    from govshare.web import citizen as rules
    from govshare.web.models import CitizenSignin, CitizenSigninAttempt
    from tests.conftest import make_settings

    person, name = "11010519491231002X", "张三"
    rules.set_identity_check(lambda _s, i, n: (i, n) == (person, name))
    codes: list[str] = []
    monkeypatch.setattr(rules, "send_code", lambda _i, code: codes.append(code))
    other = Runtime(make_settings(tmp_path, runtime.settings.effective_database_url))  # same keys, as workers
    try:
        with TestClient(create_app(runtime=runtime)) as one, TestClient(create_app(runtime=other)) as two:
            token = re.search(r'name="csrf_token" value="([^"]+)"', one.get("/me").text).group(1)
            resp = one.post(
                "/me/login", data={"csrf_token": token, "id_number": person, "name": name}, follow_redirects=False
            )
            assert resp.status_code == 303 and len(codes) == 1
            with runtime.db.read() as s:
                row = s.scalar(select(CitizenSignin).where(CitizenSignin.kind == "code"))
                assert row.code_hash != codes[0] and codes[0] not in row.code_hash and len(row.token_hash) == 64
                assert person not in {a.key_hash for a in s.scalars(select(CitizenSigninAttempt))}
            two.cookies.update(one.cookies)  # the browser's next request lands on the other worker
            resp = two.post("/me/verify", data={"csrf_token": token, "code": codes[0]}, follow_redirects=False)
            assert resp.status_code == 303, resp.text
            set_cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("govshare_citizen="))
            session_cookie = set_cookie.split(";", 1)[0]
            fresh = TestClient(create_app(runtime=runtime))
            page = fresh.get("/me", headers={"cookie": session_cookie})
            assert 'id="records-title"' in page.text  # signed in on the first worker too
            # the code was single use
            assert two.post("/me/verify", data={"csrf_token": token, "code": codes[0]}).status_code in (200, 303)
            with runtime.db.read() as s:
                assert (
                    s.scalar(select(func.count()).select_from(CitizenSignin).where(CitizenSignin.kind == "code")) == 0
                )

            # an expired code is refused even when right
            one.cookies.clear()
            token = re.search(r'name="csrf_token" value="([^"]+)"', one.get("/me").text).group(1)
            one.post("/me/login", data={"csrf_token": token, "id_number": person, "name": name})
            with runtime.db.write() as s:
                for r in s.scalars(select(CitizenSignin).where(CitizenSignin.kind == "code")):
                    r.expires_at = r.expires_at - timedelta(seconds=rules.OTP_TTL + 1)
            resp = one.post("/me/verify", data={"csrf_token": token, "code": codes[-1]}, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"] == "/me"  # start again
            assert "govshare_citizen=" not in "".join(resp.headers.get_list("set-cookie"))

            # the per-ID limit counts the attempts made at either worker
            two.cookies.clear()
            two.cookies.update(one.cookies)
            for client in (one, two, one):
                assert (
                    client.post(
                        "/me/login", data={"csrf_token": token, "id_number": person, "name": "王五"}
                    ).status_code
                    == 401
                )
            resp = two.post("/me/login", data={"csrf_token": token, "id_number": person, "name": name})
            assert resp.status_code == 429 and "尝试次数过多" in resp.text
    finally:
        other.close()
        rules.set_identity_check(None)
