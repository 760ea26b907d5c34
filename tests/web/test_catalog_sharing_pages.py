"""Catalog, sharing, portal and citizen pages over HTTP on SQLite and PostgreSQL: the flows through the forms,
no page showing another department's private objects (drafts, requests, agreements), CSRF, both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from govshare.identity.principal import PLATFORM
from govshare.web import citizen as citizen_rules
from tests.conftest import World, _make_dept
from tests.sharing.conftest import COND_ITEMS, _user, make_resource
from tests.web.conftest import web_login

PERSON_ID = "11010519491231002X"
PERSON_NAME = "张三"


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from govshare.identity import service

    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class Depts:
    world: World
    cond: str  # 民政局's conditional resource code
    c_admin: str  # a third department's admin (party to nothing)


@pytest.fixture
def depts(runtime, world: World) -> Depts:  # noqa: ANN001
    with runtime.db.write() as s:
        _user(s, world.a.org_id, "gaj_clerk", "公安局受理员", ["clerk"])
        _user(s, world.a.org_id, "gaj_catalog", "公安局目录管理员", ["catalog_manager"])
        _user(s, world.b.org_id, "mzj_approver", "民政局审批员", ["approver"])
        _user(s, world.b.org_id, "mzj_catalog", "民政局目录管理员", ["catalog_manager"])
        cond = make_resource(s, world.b.org_id, "低保对象信息", "conditional", COND_ITEMS)
        c = _make_dept(s, 10000004, "示范市人力资源和社会保障局", "rsj", "ordinary", World.password,
                       ["org_admin", "auditor", "approver", "clerk", "catalog_manager"])  # fmt: skip
    return Depts(world, cond, c.admin)


@pytest.fixture
def identity_stub(runtime) -> Iterator[None]:  # noqa: ANN001
    citizen_rules.set_identity_check(lambda _s, i, n: (i, n) == (PERSON_ID, PERSON_NAME))
    citizen_rules.store(runtime).reset()
    yield
    citizen_rules.set_identity_check(None)


def _switch(client, username: str) -> str:  # noqa: ANN001
    client.cookies.clear()
    return web_login(client, username, World.password)


def _draft_form(csrf: str, name: str) -> dict:
    return {
        "csrf_token": csrf,
        "name": name,
        "summary": "全市户籍人口的迁入迁出登记信息，用于户籍业务协同。",
        "classification_kind": "base",
        "classification_code": "101004",
        "keywords": "户籍，迁移",
        "formats": ["database"],
        "share_type": "conditional",
        "share_condition": "仅限依法履职使用",
        "share_basis": "《户口登记条例》",
        "share_reason": "law",
        "share_modes": ["api"],
        "open_type": "none",
        "update_cycle": "daily",
        "network": "egov_extranet",
        "item_name": ["公民身份号码", "迁移日期", ""],
        "item_machine_name": ["id_number", "move_date", ""],
        "item_data_type": ["string", "date", ""],
        "item_length": ["18", "", ""],
        "item_description": ["18 位公民身份号码", "迁入或迁出的日期", ""],
        "item_sensitivity": ["L3", "L1", ""],
        "item_masking": ["keep:6:4", "", ""],
        "item_share_type": ["", "", ""],
        "item_is_key": ["0"],
        "item_is_sensitive": ["0"],
    }


def test_a_draft_is_created_submitted_and_reviewed_and_stays_private_until_published(client, depts: Depts):
    csrf = _switch(client, "gaj_catalog")
    # a wrong item cell comes back next to that cell, the rest of the form kept
    bad = _draft_form(csrf, "户籍迁移登记信息")
    bad["item_machine_name"] = ["id_number", "9bad", ""]
    resp = client.post("/console/catalog/new", data=bad)
    assert resp.status_code == 422 and 'id="e-item-1-machine_name"' in resp.text and "户籍迁移登记信息" in resp.text
    resp = client.post("/console/catalog/new", data=_draft_form(csrf, "户籍迁移登记信息"), follow_redirects=False)
    assert resp.status_code == 303, resp.text
    url = resp.headers["location"].split("?")[0]
    page = client.get(url)
    assert "草稿" in page.text and "move_date" in page.text and "完整性" in page.text  # the four checks, live
    search = client.get("/console/catalog", params={"q": "户籍迁移", "mine": "1"})
    assert "户籍迁移登记信息" in search.text

    # another department sees neither the page, nor the edit form, nor the search hit
    _switch(client, depts.c_admin)
    assert client.get(url).status_code == 404
    assert client.get(url + "/edit").status_code == 404
    assert "户籍迁移登记信息" not in client.get("/console/catalog", params={"q": "户籍迁移"}).text
    assert client.get("/open", params={"q": "户籍迁移"}).text.count("户籍迁移登记信息") == 0

    csrf = _switch(client, "gaj_catalog")
    assert client.post(url + "/submit", data={"note": "请审核"}).status_code == 403  # no CSRF token
    resp = client.post(url + "/submit", data={"csrf_token": csrf, "note": "请审核"}, follow_redirects=False)
    assert resp.status_code == 303
    assert "发布待审核" in client.get(url).text

    csrf = _switch(client, depts.world.operator.admin)
    queue = client.get("/console/catalog/reviews")
    assert "户籍迁移登记信息" in queue.text and 'data-check="completeness"' in queue.text
    resp = client.post(url + "/decide", data={"csrf_token": csrf, "decision": "reject", "reason": ""})
    assert resp.status_code == 422 and "理由" in resp.text
    resp = client.post(url + "/decide", data={"csrf_token": csrf, "decision": "approve", "reason": "同意发布"},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303
    _switch(client, depts.c_admin)
    page = client.get(url)
    assert page.status_code == 200 and "已发布" in page.text and "申请使用" in page.text


def test_request_approval_and_agreement_through_the_pages_and_no_third_party_sees_them(client, runtime, depts: Depts):  # noqa: ANN001
    csrf = _switch(client, "gaj_clerk")
    form = client.get("/console/sharing/apply", params={"resource": depts.cond})
    assert form.status_code == 200 and "case_note" not in form.text  # 不予共享 items are not offered
    resp = client.post(
        "/console/sharing/apply",
        data={
            "csrf_token": csrf,
            "resource_code": depts.cond,
            "items": ["id_number", "name", "address"],
            "system_id": depts.world.a.system_id,
            "purpose_category": "social_assistance",
            "purpose": "核查低保申请人的家庭情况",
            "legal_basis": "《社会救助暂行办法》第十一条",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    req_url = resp.headers["location"].split("?")[0]
    assert "剩 10 个工作日" in client.get(req_url).text

    csrf = _switch(client, "mzj_approver")
    incoming = client.get("/console/sharing/requests")
    assert "低保对象信息" in incoming.text and "待答复" in incoming.text
    dash = client.get("/console")
    assert re.search(r'data-count="pending">.*?<dd>1</dd>', dash.text, re.S)
    # narrowing without a reason is refused next to the field
    narrow = {"csrf_token": csrf, "items": ["id_number", "name"], "reason": ""}
    resp = client.post(req_url + "/approve", data=narrow)
    assert resp.status_code == 422 and "理由" in resp.text
    narrow["reason"] = "家庭住址不属于核查所需"
    resp = client.post(req_url + "/approve", data=narrow, follow_redirects=False)
    assert resp.status_code == 303
    page = client.get(req_url)
    agreement_url = re.search(r'href="(/console/sharing/agreements/[0-9a-f]+)"', page.text).group(1)

    # a third department: every page of the pair is a 404
    _switch(client, depts.c_admin)
    for url in (req_url, agreement_url, agreement_url + "/print"):
        assert client.get(url).status_code == 404, url
    assert "低保对象信息" not in client.get("/console/sharing/requests?view=all").text
    assert "低保对象信息" not in client.get("/console/sharing/agreements").text

    # both parties confirm; the print view is the service's document with a CSP for its print button only
    for username in (depts.world.b.admin, depts.world.a.admin):
        csrf = _switch(client, username)
        resp = client.post(agreement_url + "/confirm", data={"csrf_token": csrf}, follow_redirects=False)
        assert resp.status_code == 303, resp.text
    page = client.get(agreement_url)
    assert "生效" in page.text
    printed = client.get(agreement_url + "/print")
    assert "window.print()" in printed.text and "'unsafe-hashes'" in printed.headers["content-security-policy"]
    grants = client.get("/console/sharing/grants")
    assert 'data-status="active"' in grants.text


def test_catalog_and_sharing_pages_in_english(client, depts: Depts):
    _switch(client, "mzj_approver")
    page = client.get("/console/catalog", params={"q": "低保", "lang": "en"})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Conditional" in page.text and "Resource catalog" in page.text and "有条件共享" not in page.text
    assert "Requests" in client.get("/console/sharing/requests").text  # the cookie keeps English
    portal = client.get("/open", params={"lang": "zh"})
    assert "开放数据" in portal.text


def test_the_open_portal_shows_only_the_open_catalog(client, runtime, depts: Depts, monkeypatch):  # noqa: ANN001
    home = client.get("/")
    assert home.status_code == 200 and "/open" in home.text and "catalog.jsonld" in home.text
    # 低保对象信息 is shared, not open: the public sees no trace of it
    assert "低保对象信息" not in client.get("/open", params={"q": "低保"}).text
    from govshare.catalog import service as catalog

    with runtime.db.read() as s:
        rid = catalog.get_by_code(s, actor=PLATFORM, code=depts.cond).id
    assert client.get(f"/open/datasets/{rid}").status_code == 404
    api = client.get("/open/api")
    assert "X-API-Key" in api.text and "govshare verify" in api.text and "/api/v1/keys" in api.text
    # behind a proxy the configured public address is shown, never the request's (internal) host
    monkeypatch.setattr(runtime.settings, "public_base_url", "https://data.example.gov.cn/")
    api = client.get("/open/api")
    assert "https://data.example.gov.cn/api/v1/keys" in api.text and "testserver" not in api.text


def test_citizen_signs_in_with_a_code_sees_uses_of_their_data_and_is_rate_limited(
    client,
    runtime,
    depts: Depts,
    identity_stub: None,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
):
    # a consumer system reports a use of this person's data
    resp = client.post(
        "/api/v1/audit/events",
        json={
            "action": "use.verify",
            "purpose": "低保资格核对",
            "subject": PERSON_ID,
            "object_type": "case",
            "object_id": "AJ2026000001",
            "outcome": "ok",
        },  # fmt: skip
        headers={"X-API-Key": depts.world.a.api_key},
    )
    assert resp.status_code in (200, 201), resp.text
    codes: list[str] = []
    monkeypatch.setattr(citizen_rules, "send_code", lambda _i, code: codes.append(code))

    page = client.get("/me")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/me/login", data={"id_number": PERSON_ID, "name": PERSON_NAME}).status_code == 403  # no token
    wrong = client.post("/me/login", data={"csrf_token": token, "id_number": PERSON_ID, "name": "李四"})
    assert wrong.status_code == 401 and "不匹配" in wrong.text and not codes
    resp = client.post("/me/login", data={"csrf_token": token, "id_number": PERSON_ID, "name": PERSON_NAME},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303 and len(codes) == 1
    assert client.post("/me/verify", data={"csrf_token": token, "code": "not-it"}).status_code == 401
    resp = client.post("/me/verify", data={"csrf_token": token, "code": codes[0]}, follow_redirects=False)
    assert resp.status_code == 303
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("govshare_citizen="))
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "path=/me" in cookie.lower()
    records = client.get("/me")
    assert "低保资格核对" in records.text and "示范市公安局" in records.text and "AJ2026000001" in records.text
    assert PERSON_ID not in records.text  # the ID number is shown masked only
    # an objection about the record: recorded in the audit chain until the sharing service takes citizens'
    # objections (raise_citizen_objection), with the session's own CSRF token
    seq = re.search(r'data-seq="(\d+)"', records.text).group(1)
    session_token = re.search(r'action="/me/objection".*?name="csrf_token" value="([^"]+)"', records.text, re.S)
    objection = {"seq": seq, "description": "我没有办理低保，这次核对不应发生"}
    assert client.post("/me/objection", data={**objection, "csrf_token": token}).status_code == 403
    resp = client.post(
        "/me/objection", data={**objection, "csrf_token": session_token.group(1)}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/me?done=objection_recorded"

    # the attempts are audited with the person as subject, and the limit per ID number holds
    csrf = _switch(client, depts.world.operator.admin)
    log = client.get("/console/audit", params={"action": "citizen.", "subject": PERSON_ID})
    assert "公民登录" in log.text and "公民提出异议" in log.text
    client.cookies.clear()
    page = client.get("/me")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    statuses = [
        client.post("/me/login", data={"csrf_token": token, "id_number": PERSON_ID, "name": "王五"}).status_code
        for _ in range(4)
    ]
    assert (
        statuses[-1] == 429
        and "尝试次数过多"
        in client.post("/me/login", data={"csrf_token": token, "id_number": PERSON_ID, "name": PERSON_NAME}).text
    )
    assert csrf  # (the operator's session was only used to read the log)
