"""The catalog over HTTP: lifecycle with rights and problem+json errors, visibility, search, spreadsheets, CLI."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.catalog.conftest import Cast, content, item
from tests.conftest import login_headers


def _problem(resp, status: int, code: str, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    if field is not None:
        assert body["field"] == field
    return body


def test_lifecycle_over_http(client, cast: Cast):
    a = login_headers(client, cast.usernames["a_cat"])
    b = login_headers(client, cast.usernames["b_cat"])
    rev = login_headers(client, cast.usernames["reviewer"])
    resp = client.post("/api/v1/catalog/resources", headers=a, json=content())
    assert resp.status_code == 201, resp.text
    body = resp.json()
    rid = body["id"]
    assert body["status"] == "draft" and body["status_label"] == "草稿" and body["code"] == "101001/000001"
    assert body["labels"]["share_type"] == "有条件共享" and body["provider_name"] == cast.world.a.name
    assert body["items"][0]["labels"]["sensitivity"] == "较敏感"

    # a draft is invisible outside its department and to the public: 404, not 403
    _problem(client.get(f"/api/v1/catalog/resources/{rid}", headers=b), 404, "resource_not_found")
    _problem(client.get(f"/api/v1/catalog/resources/{rid}"), 404, "resource_not_found")
    _problem(
        client.patch(f"/api/v1/catalog/resources/{rid}", headers=b, json={"summary": "x" * 20}),
        404,
        "resource_not_found",
    )
    _problem(client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=rev, json={}), 409, "invalid_transition")

    resp = client.post(f"/api/v1/catalog/resources/{rid}/submit", headers=a, json={"note": "请审核"})
    assert resp.status_code == 200 and resp.json()["kind"] == "publish"
    queue = client.get("/api/v1/catalog/reviews", headers=rev).json()
    assert [q["resource_id"] for q in queue] == [rid]
    assert {c["name"]: c["status"] for c in queue[0]["checks"]["checks"]}["completeness"] == "warn"
    _problem(client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=a, json={}), 403, "forbidden")
    _problem(client.post(f"/api/v1/catalog/resources/{rid}/reject", headers=rev, json={}), 422, "reason_required")
    resp = client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=rev, json={"reason": "同意"})
    assert resp.status_code == 200 and resp.json()["status"] == "published" and resp.json()["version"] == 1

    # published: every department sees it; the public does not (不予开放)
    assert client.get(f"/api/v1/catalog/resources/{rid}", headers=b).json()["status"] == "published"
    _problem(client.get(f"/api/v1/catalog/resources/{rid}"), 404, "resource_not_found")
    by_code = client.get("/api/v1/catalog/resources/by-code/101001/000001", headers=b)
    assert by_code.status_code == 200 and by_code.json()["id"] == rid
    _problem(client.patch(f"/api/v1/catalog/resources/{rid}", headers=b, json={"summary": "x" * 20}), 403, "forbidden")

    # an edit makes version 2 after review; the diff is viewable
    resp = client.patch(f"/api/v1/catalog/resources/{rid}", headers=a, json={"keywords": ["户籍", "人口", "户口"]})
    assert resp.json()["revision"]["keywords"] == ["户籍", "人口", "户口"] and resp.json()["keywords"] == [
        "户籍",
        "人口",
    ]
    working = client.get(f"/api/v1/catalog/resources/{rid}/diff", headers=a, params={"from": "1", "to": "working"})
    assert [f["field"] for f in working.json()["fields"]] == ["keywords"]
    _problem(
        client.get(f"/api/v1/catalog/resources/{rid}/diff", headers=b, params={"from": "1", "to": "working"}),
        404,
        "version_not_found",
    )
    client.post(f"/api/v1/catalog/resources/{rid}/submit", headers=a, json={})
    client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=rev, json={})
    assert [v["version"] for v in client.get(f"/api/v1/catalog/resources/{rid}/versions", headers=b).json()] == [1, 2]
    diff = client.get(f"/api/v1/catalog/resources/{rid}/diff", headers=b, params={"from": "1", "to": "2"}).json()
    assert diff["fields"] == [{"field": "keywords", "old": ["户籍", "人口"], "new": ["户籍", "人口", "户口"]}]
    reviews = client.get(f"/api/v1/catalog/resources/{rid}/reviews", headers=a).json()
    assert [(r["kind"], r["decision"]) for r in reviews] == [("publish", "approved"), ("publish", "approved")]

    # revocation
    _problem(
        client.post(f"/api/v1/catalog/resources/{rid}/revoke", headers=a, json={"reason": ""}), 422, "validation_failed"
    )
    assert (
        client.post(f"/api/v1/catalog/resources/{rid}/revoke", headers=a, json={"reason": "停止维护"}).json()["kind"]
        == "revoke"
    )
    assert client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=rev, json={}).json()["status"] == "revoked"
    _problem(client.get(f"/api/v1/catalog/resources/{rid}", headers=b), 404, "resource_not_found")

    # the trail is in the audit log
    admin = login_headers(client, cast.world.operator.admin)
    records = client.get("/api/v1/audit/records", headers=admin, params={"object_id": rid, "limit": 50}).json()
    actions = [r["action"] for r in records["items"]]
    assert "catalog.resource.revoke" in actions and "catalog.resource.approve" in actions


def test_input_errors_are_problem_json_with_the_field(client, cast: Cast):
    a = login_headers(client, cast.usernames["a_cat"])
    bad_enum = content(share_type="sometimes")
    _problem(client.post("/api/v1/catalog/resources", headers=a, json=bad_enum), 422, "validation_failed", "share_type")
    open_l4 = content(open_type="unconditional", items=[item("照片", "photo", sensitivity="L4")])
    body = _problem(
        client.post("/api/v1/catalog/resources", headers=a, json=open_l4),
        422,
        "open_resource_l4_item",
        "items[0].sensitivity",
    )
    assert body["errors"][0]["field"] == "items[0].sensitivity"
    _problem(client.post("/api/v1/catalog/resources", json=content()), 401, "unauthenticated")
    _problem(client.get("/api/v1/catalog/resources", params={"cursor": "zzz"}), 422, "cursor_invalid", "cursor")
    _problem(client.get("/api/v1/catalog/resources", params={"sort": "random"}), 422, "sort_invalid", "sort")


def test_search_and_visibility_over_http(client, cast: Cast):
    a = login_headers(client, cast.usernames["a_cat"])
    rev = login_headers(client, cast.usernames["reviewer"])
    open_entry = content(
        name="企业登记公示信息",
        classification_code="102001",
        share_type="unconditional",
        share_condition="",
        share_basis="",
        share_reason=None,
        open_type="unconditional",
        items=[item("统一社会信用代码", "uscc", is_key=True), item("企业名称", "company_name")],
    )
    for data in (content(), open_entry):
        rid = client.post("/api/v1/catalog/resources", headers=a, json=data).json()["id"]
        client.post(f"/api/v1/catalog/resources/{rid}/submit", headers=a, json={})
        assert client.post(f"/api/v1/catalog/resources/{rid}/approve", headers=rev, json={}).status_code == 200
    staff = client.get("/api/v1/catalog/resources", headers=a, params={"q": "信息"}).json()
    assert staff["total"] == 2 and staff["tokens"] == ["信息"]
    assert {f["value"] for f in staff["facets"]["open_type"]} == {"none", "unconditional"}
    public = client.get("/api/v1/catalog/resources", params={"q": "信息"}).json()
    assert [h["name"] for h in public["items"]] == ["企业登记公示信息"]
    portal = client.get("/api/v1/open/resources", params={"q": "企业"}).json()
    assert [h["name"] for h in portal["items"]] == ["企业登记公示信息"]
    rid = portal["items"][0]["id"]
    assert client.get(f"/api/v1/open/datasets/{rid}").json()["name"] == "企业登记公示信息"
    page = client.get("/api/v1/catalog/resources", headers=a, params={"limit": 1, "sort": "code"}).json()
    nxt = client.get(
        "/api/v1/catalog/resources", headers=a, params={"limit": 1, "sort": "code", "cursor": page["next_cursor"]}
    ).json()
    assert page["items"][0]["code"] < nxt["items"][0]["code"] and nxt["next_cursor"] is None
    # systems (API keys) of any department read the published catalog
    sys_h = {"X-API-Key": cast.world.b.api_key}
    assert client.get("/api/v1/catalog/resources", headers=sys_h).json()["total"] == 2
    comp = client.get("/api/v1/catalog/completeness", headers=a).json()
    assert comp[0]["org_id"] == cast.world.a.org_id and comp[0]["resources"] == 2
    one = client.get(f"/api/v1/catalog/resources/{rid}/completeness").json()
    assert 0 < one["score"] <= 100 and one["required"]["missing"] == []
    assert "share_type" in client.get("/api/v1/catalog/vocabularies").json()


def test_spreadsheet_endpoints(client, cast: Cast):
    a = login_headers(client, cast.usernames["a_cat"])
    template = client.get("/api/v1/catalog/template.xlsx")
    assert template.status_code == 200
    wb = load_workbook(io.BytesIO(template.content))
    ws_r, ws_i = wb["资源"], wb["信息项"]
    ws_r.append([
        "1", "", "户籍人口信息", "基础信息资源", "101001", "本市户籍人口基本信息, 每日更新, 供办事核验。", "人口",
        "数据库", "无条件共享", "", "", "", "接口", "不予开放", "", "每日", "政务外网", "", "否",
    ])  # fmt: skip
    ws_i.append(["1", "公民身份号码", "id_number", "字符型", 18, "查询主键", "是", "", "否", "是", "L3", "keep:6:4"])
    ws_i.append(["1", "姓名", "name", "字符型", 50, "", "否", "有条件共享", "否", "是", "L2", ""])  # conflict
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("目录.xlsx", buf.getvalue(), "application/octet-stream")}
    body = _problem(client.post("/api/v1/catalog/import", headers=a, files=files), 422, "import_invalid")
    assert [(e["sheet"], e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        ("信息项", 3, "H", "item_share_type_conflict")
    ]
    ws_i.cell(row=3, column=8).value = ""
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/api/v1/catalog/import", headers=a, files={"file": ("目录.xlsx", buf.getvalue())})
    assert resp.status_code == 200 and resp.json()["created"] == 1, resp.text
    exported = client.get("/api/v1/catalog/export.xlsx", headers=a, params={"mine": True})
    assert load_workbook(io.BytesIO(exported.content))["资源"].cell(row=2, column=3).value == "户籍人口信息"
    items_csv = client.get("/api/v1/catalog/export.csv", headers=a, params={"mine": True, "sheet": "items"})
    assert items_csv.content.startswith(b"\xef\xbb\xbf") and "id_number" in items_csv.content.decode("utf-8-sig")
    csv_import = client.post(
        "/api/v1/catalog/import",
        headers=a,
        files={
            "file": ("r.csv", client.get("/api/v1/catalog/export.csv", headers=a, params={"mine": True}).content),
            "items": ("i.csv", items_csv.content),
        },
    )
    assert csv_import.json()["updated"] == 1, csv_import.text  # rows carry their codes: the same entry
    _problem(
        client.post("/api/v1/catalog/import", headers=a, files={"file": ("x.pdf", b"%PDF")}),
        422,
        "file_type_unsupported",
    )


def test_cli_import_export_search(runtime, cast: Cast, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from govshare.catalog import spreadsheet
    from govshare.cli import app
    from govshare.config import get_settings

    monkeypatch.setenv("GOVSHARE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("GOVSHARE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("GOVSHARE_LOG_JSON", "false")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        template = tmp_path / "t.xlsx"
        assert runner.invoke(app, ["catalog", "template", str(template)]).exit_code == 0
        wb = load_workbook(template)
        wb["资源"].append([
            "1", "", "婚姻登记信息", "基础", "101005", "结婚离婚登记信息, 婚姻状况的源头数据。", "婚姻",
            "数据库", "无条件共享", "", "", "", "接口", "不予开放", "", "实时", "政务外网", "", "是",
        ])  # fmt: skip
        wb["信息项"].append(["1", "登记日期", "reg_date", "日期型", "", "登记日期", "否", "", "否", "否", "L1", ""])
        wb.save(template)
        result = runner.invoke(app, ["catalog", "import", str(template), "--org", "mzj"])
        assert result.exit_code == 0, result.output
        assert "1 created" in result.output
        bad = runner.invoke(app, ["catalog", "import", str(template), "--org", "nosuch"])
        assert bad.exit_code == 2
        out = tmp_path / "export.csv"
        result = runner.invoke(app, ["catalog", "export", str(out), "--org", "mzj"])
        assert result.exit_code == 0, result.output
        assert "婚姻登记信息" in out.read_text(encoding="utf-8-sig")
        assert "reg_date" in (tmp_path / "export-items.csv").read_text(encoding="utf-8-sig")
        result = runner.invoke(app, ["catalog", "search", "婚姻", "--json"])
        assert result.exit_code == 0, result.output
        assert '"total":1' in result.output.replace(" ", "")
        assert spreadsheet.read_csv(out.read_bytes())[1][1][2] == "婚姻登记信息"
    finally:
        get_settings.cache_clear()
