"""The library over HTTP: declare, upload, report, quarantine, records, feed, quality; rights and problems."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from tests.conftest import login_headers
from tests.library.conftest import PERSON_HEADER, person_rows
from tests.library.test_tableschema import LOW_INCOME

CODE = "101001/000001"


def _csv(rows, header=PERSON_HEADER) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for r in rows:
        out.write(",".join(r) + "\n")
    return out.getvalue().encode("utf-8")


@pytest.fixture
def person_table(client, world):
    platform = login_headers(client, world.operator.admin)
    body = {"resource_code": CODE, "name": "示范市人口基础库", "base": "person", "provider_org_id": world.a.org_id,
            "update_cycle": "每日"}  # fmt: skip
    resp = client.post("/api/v1/library/tables", json=body, headers=platform)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_register_base_table_rights_and_conflicts(client, world, person_table):
    assert person_table["schema"]["primary_key"] == ["id_number"] and person_table["kind"] == "base"
    dept = login_headers(client, world.a.admin)
    body = {"resource_code": "RK-2", "name": "另一个人口库", "base": "person"}
    resp = client.post("/api/v1/library/tables", json=body, headers=dept)
    assert resp.status_code == 403 and resp.headers["content-type"] == "application/problem+json"
    platform = login_headers(client, world.operator.admin)
    again = client.post("/api/v1/library/tables", json={**body, "resource_code": CODE}, headers=platform)
    assert again.status_code == 409 and again.json()["code"] == "library_table_exists"
    listed = client.get("/api/v1/library/tables", headers=dept).json()
    assert [t["resource_code"] for t in listed] == [CODE]
    assert client.get(f"/api/v1/library/{CODE}", headers=dept).json()["name"] == "示范市人口基础库"
    schemas = client.get("/api/v1/library/schemas", headers=dept).json()
    assert [s["base"] for s in schemas] == ["person", "legal_entity", "licence", "place", "credit"]


def test_a_department_declares_a_thematic_library_without_code(client, world):
    dept = login_headers(client, world.b.admin)
    body = {"resource_code": "MZ/DBJT/0001", "name": "低收入家庭专题库", "schema": LOW_INCOME, "update_cycle": "每月"}
    resp = client.post("/api/v1/library/tables", json=body, headers=dept)
    assert resp.status_code == 201, resp.text
    table = resp.json()
    assert table["kind"] == "thematic" and table["provider_org_id"] == world.b.org_id
    assert [f["name"] for f in table["schema"]["fields"]][:2] == ["family_id", "applicant_id_number"]

    broken = {**LOW_INCOME, "primary_key": ["family_size"]}
    resp = client.post("/api/v1/library/tables", json={**body, "resource_code": "MZ/X", "schema": broken}, headers=dept)
    assert resp.status_code == 422 and resp.json()["code"] == "validation_failed"
    assert "must be required" in resp.text

    other = login_headers(client, world.a.admin)  # 公安局 may not declare a table for 民政局
    resp = client.post(
        "/api/v1/library/tables",
        json={**body, "resource_code": "MZ/Y", "provider_org_id": world.b.org_id},
        headers=other,
    )
    assert resp.status_code == 403

    grown = {**LOW_INCOME, "fields": [*LOW_INCOME["fields"], {"name": "phone", "title": "联系电话"}]}
    resp = client.patch("/api/v1/library/MZ/DBJT/0001", json={"schema": grown}, headers=dept)
    assert resp.status_code == 200 and resp.json()["schema_version"] == 2
    reordered = {**LOW_INCOME, "fields": LOW_INCOME["fields"][::-1]}
    resp = client.patch("/api/v1/library/MZ/DBJT/0001", json={"schema": reordered}, headers=dept)
    assert resp.status_code == 422 and resp.json()["code"] == "schema_change_incompatible"


def test_upload_report_quarantine_records_feed_and_quality(client, world, person_table):
    rows = person_rows(50, seed=21)
    rows[4][3] = "1990-13-01"
    key = {"X-API-Key": world.a.api_key}  # the 公安局's own system pushes its data
    resp = client.post(
        f"/api/v1/library/{CODE}/ingest",
        files={"file": ("户籍人口.csv", _csv(rows), "text/csv")},
        params={"batch_size": 20},
        headers=key,
    )
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"], report["batches"]) == (50, 49, 1, 3)
    assert report["file_name"] == "户籍人口.csv" and report["source_system"] == "示范市公安局业务系统"
    expected = {"rule": "date_invalid", "kind": "validation", "count": 1, "message_zh": "日期无效"}
    assert report["validation"] == [{**expected, "message_en": "invalid date"}]

    q = client.get(f"/api/v1/library/ingests/{report['id']}/quarantine", headers=key).json()
    got = [(i["row_number"], i["field"], i["rule"], i["value"]) for i in q]
    assert got == [(6, "birth_date", "date_invalid", "1990-13-01")]

    record = client.get(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=key)
    assert record.status_code == 200
    body = record.json()
    assert body["values"]["name"] == rows[0][1] and body["current"] is True
    assert body["provenance"]["provider_org_id"] == world.a.org_id and body["provenance"]["ingest_id"] == report["id"]
    assert client.get(f"/api/v1/library/{CODE}/records/{rows[4][0]}", headers=key).status_code == 404
    as_of = client.get(f"/api/v1/library/{CODE}/records/{rows[0][0]}", params={"as_of": "2000-01-01T00:00:00Z"},
                       headers=key)  # fmt: skip
    assert as_of.status_code == 404  # the library did not know this person then
    history = client.get(f"/api/v1/library/{CODE}/records/{rows[0][0]}/history", headers=key).json()
    assert len(history) == 1

    feed = client.get(f"/api/v1/library/{CODE}/changes", params={"since": 0, "limit": 30}, headers=key).json()
    assert len(feed["items"]) == 30 and feed["has_more"]
    rest = client.get(f"/api/v1/library/{CODE}/changes", params={"since": feed["next_since"]}, headers=key).json()
    assert len(rest["items"]) == 19 and not rest["has_more"]

    ingests = client.get(f"/api/v1/library/{CODE}/ingests", headers=key).json()
    assert [i["id"] for i in ingests] == [report["id"]]

    run = client.post(f"/api/v1/library/{CODE}/quality", headers=key)
    assert run.status_code == 201 and run.json()["rows"] == 49
    latest = client.get(f"/api/v1/library/{CODE}/quality", headers=key).json()
    assert latest["id"] == run.json()["id"] and latest["report"]["fields"][0]["name"] == "id_number"
    hist = client.get(f"/api/v1/library/{CODE}/quality/history", headers=key).json()
    assert [h["id"] for h in hist] == [run.json()["id"]]

    other = {"X-API-Key": world.b.api_key}  # 民政局: no direct access to 公安局's data here
    upload = client.post(f"/api/v1/library/{CODE}/ingest", files={"file": ("p.csv", _csv(rows), "text/csv")},
                         headers=other)  # fmt: skip
    assert upload.status_code == 403
    assert client.get(f"/api/v1/library/{CODE}/records/{rows[0][0]}", headers=other).status_code == 403
    assert client.get(f"/api/v1/library/{CODE}/changes", headers=other).status_code == 403
    assert client.get(f"/api/v1/library/ingests/{report['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/library/{CODE}/quality", headers=other).status_code == 403


def test_upload_problems_are_problem_json(client, world, person_table):
    key = {"X-API-Key": world.a.api_key}
    book = Workbook()
    book.active.append(["姓名", "性别"])
    book.active.append(["张三", "男"])
    data = io.BytesIO()
    book.save(data)
    resp = client.post(f"/api/v1/library/{CODE}/ingest", files={"file": ("p.xlsx", data.getvalue())}, headers=key)
    assert resp.status_code == 422 and resp.json()["code"] == "ingest_columns_missing"
    assert "公民身份号码" in resp.json()["message_zh"]

    not_a_zip = {"file": ("p.xlsx", b"PK\x03\x04not a zip")}
    resp = client.post(f"/api/v1/library/{CODE}/ingest", files=not_a_zip, headers=key)
    assert resp.status_code == 422 and resp.json()["code"] == "ingest_file_unreadable"
    resp = client.post(f"/api/v1/library/{CODE}/ingest", files={"file": ("p.doc", b"x")}, params={"format": "doc"},
                       headers=key)  # fmt: skip
    assert resp.status_code == 422 and resp.json()["code"] == "ingest_format_unsupported"
    resp = client.post("/api/v1/library/NOPE/ingest", files={"file": ("p.csv", b"a\n1\n")}, headers=key)
    assert resp.status_code == 404 and resp.json()["code"] == "library_table_not_found"
