"""The sharing API over HTTP: problem answers, isolation between departments, the decision endpoint, HTML views."""

from __future__ import annotations

from tests.conftest import login_headers
from tests.sharing.conftest import Sharing


def test_request_to_grant_over_http(client, sw: Sharing, outsider) -> None:  # noqa: ANN001
    clerk = login_headers(client, "gaj_clerk")
    b_approver = login_headers(client, "mzj_approver")
    a_approver = login_headers(client, "gaj_approver")
    a_admin, b_admin = login_headers(client, "gaj_admin"), login_headers(client, "mzj_admin")
    c_admin = login_headers(client, "rsj_admin")
    key = {"X-API-Key": sw.world.a.api_key}

    body = sw.request_body(sw.cond).model_dump(mode="json")
    r = client.post("/api/v1/sharing/requests", json=body, headers=clerk)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "submitted" and req["status_label"] == "待答复" and req["due_date"]
    rid = req["id"]

    # 不予共享: a problem answer naming the basis.
    r = client.post("/api/v1/sharing/requests", json={**body, "resource_code": sw.none, "items": []}, headers=clerk)
    assert r.status_code == 422 and r.json()["code"] == "share_type_none"
    assert r.headers["content-type"].startswith("application/problem+json") and "个人信息保护法" in r.json()["detail"]

    # Another department does not even see the request; the consumer's approver may not answer it.
    assert client.get(f"/api/v1/sharing/requests/{rid}", headers=c_admin).status_code == 404
    assert client.get("/api/v1/sharing/requests", headers=c_admin).json() == []
    r = client.post(f"/api/v1/sharing/requests/{rid}/approve", json={}, headers=a_approver)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client.post(f"/api/v1/sharing/requests/{rid}/reject", json={"reason": "没有类别"}, headers=b_approver)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed" and r.json()["field"] == "category"

    # The provider's inbox got the request.
    inbox = client.get("/api/v1/sharing/notifications", headers=b_approver).json()
    assert inbox["unread"] == 1 and inbox["items"][0]["kind"] == "request_submitted"
    nid = inbox["items"][0]["id"]
    assert client.post(f"/api/v1/sharing/notifications/{nid}/read", headers=b_approver).status_code == 204
    assert client.get("/api/v1/sharing/notifications", headers=b_approver).json()["unread"] == 0

    r = client.post(
        f"/api/v1/sharing/requests/{rid}/approve",
        json={"items": ["id_number", "name"], "reason": "住址不在核查范围", "daily_calls": 10},
        headers=b_approver,
    )
    assert r.status_code == 200 and r.json()["narrowed"] and r.json()["agreement_id"]
    aid, gid = r.json()["agreement_id"], r.json()["grant_id"]

    decision = {"resource_code": sw.cond, "purpose_category": "social_assistance", "items": ["id_number", "address"]}
    r = client.post("/api/v1/sharing/decisions", json=decision, headers=key)
    assert r.json()["allowed"] is False and r.json()["code"] == "agreement_not_confirmed"

    page = client.get(f"/api/v1/sharing/agreements/{aid}/html", headers=a_admin)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "政务数据共享协议" in page.text
    assert "@page" in client.get(f"/api/v1/sharing/agreements/{aid}/print", headers=b_admin).text
    assert client.get(f"/api/v1/sharing/agreements/{aid}/html", headers=c_admin).status_code == 404
    for h in (b_admin, a_admin):
        assert client.post(f"/api/v1/sharing/agreements/{aid}/confirm", headers=h).status_code == 200
    assert client.get(f"/api/v1/sharing/agreements/{aid}", headers=clerk).json()["status"] == "in_force"

    r = client.post("/api/v1/sharing/decisions", json=decision, headers=key)
    d = r.json()
    assert d["allowed"] and d["clear"] == ["id_number"] and d["masked"] == {"address": "keep:6:0"}
    # A system may ask only about itself.
    r = client.post("/api/v1/sharing/decisions", json={**decision, "system_id": sw.world.b.system_id}, headers=key)
    assert r.status_code == 403

    grants = client.get("/api/v1/sharing/grants", headers=key).json()
    assert [g["id"] for g in grants] == [gid] and grants[0]["effective"]
    assert client.get(f"/api/v1/sharing/grants/{gid}/usage", headers=b_admin).json()["daily_calls"] == 10

    r = client.post(f"/api/v1/sharing/grants/{gid}/revoke", json={"reason": "超范围使用"}, headers=b_approver)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = client.post("/api/v1/sharing/decisions", json=decision, headers=key)
    assert r.json()["code"] == "grant_revoked"

    detail = client.get(f"/api/v1/sharing/requests/{rid}", headers=clerk).json()
    assert [e["kind"] for e in detail["events"]] == ["submitted", "approved"]


def test_reference_endpoints(client, sw: Sharing) -> None:  # noqa: ANN001
    admin, op = login_headers(client, "gaj_admin"), login_headers(client, "sjj_admin")
    r = client.get("/api/v1/sharing/calendar/due-date", params={"start": "2025-09-26", "days": 10}, headers=admin)
    assert r.json()["due_date"] == "2025-10-16" and r.json()["approximate"] is False
    vocab = client.get("/api/v1/sharing/vocab", headers=admin).json()
    assert {"value": "social_assistance", "label": "社会救助"} in vocab["purpose_category"]
    assert client.get("/api/v1/sharing/settings", headers=admin).json()["reply_working_days"] == 10
    assert client.put("/api/v1/sharing/settings", json={"reply_working_days": 5}, headers=admin).status_code == 403
    r = client.put("/api/v1/sharing/settings", json={"reply_working_days": 5}, headers=op)
    assert r.status_code == 200 and r.json()["reply_working_days"] == 5
    assert client.post("/api/v1/sharing/escalate", headers=admin).status_code == 403
    assert client.post("/api/v1/sharing/escalate", headers=op).json()["requests_escalated"] == []
    assert client.get("/api/v1/sharing/objections/stats", headers=admin).json() == []
    assert client.get("/api/v1/sharing/demands/stats", headers=admin).json()["total"] == 0
    assert client.get("/api/v1/sharing/notifications", headers={"X-API-Key": sw.world.a.api_key}).status_code == 403
