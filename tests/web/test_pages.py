"""Console pages over HTTP on SQLite and PostgreSQL: login, CSRF, scoping between departments, forms and errors."""

from __future__ import annotations

import re

from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM, Role
from govshare.identity.schemas import UserCreate
from tests.conftest import World, uscc_for
from tests.web.conftest import web_login


def _results(html: str) -> str:
    """The audit results section (the search form lists usernames too)."""
    return html[html.index('id="audit-results"') :]


def _menu(html: str) -> set[str]:
    return set(re.findall(r'data-menu="([^"]+)"', html))


def _add_user(runtime, org_id: str, username: str, roles: list[Role]) -> str:  # noqa: ANN001
    with runtime.db.write() as s:
        user = identity.create_user(
            s,
            actor=PLATFORM,
            data=UserCreate(
                org_id=org_id, username=username, display_name=username, password=World.password, roles=roles
            ),
        )
        return user.id


# ---- login and session ------------------------------------------------------------------------------
def test_console_sends_anonymous_visitors_to_login(client, world: World):
    resp = client.get("/console/audit?action=identity.", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/login?next=/console/audit%3Faction%3Didentity."
    page = client.get(resp.headers["location"])
    assert page.status_code == 200 and "工作人员登录" in page.text
    assert '<html lang="zh-CN">' in page.text


def test_login_sets_the_same_cookies_as_the_api(client, world: World):
    web_login(client, world.a.admin, World.password)
    resp = client.get("/console")
    assert resp.status_code == 200 and "示范市公安局" in resp.text
    assert client.get("/console/login").url.path == "/console"  # logged in: the login page sends you on
    # the form login and the API login set identical cookie attributes
    client.cookies.clear()
    login_page = client.get("/console/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
    web = client.post(
        "/console/login",
        data={"username": world.a.admin, "password": World.password, "csrf_token": pre},
        follow_redirects=False,
    )
    api = client.post("/api/v1/auth/login", json={"username": world.a.admin, "password": World.password})

    def attrs(resp, name: str) -> set[str]:  # noqa: ANN001
        header = next(h for h in resp.headers.get_list("set-cookie") if h.startswith(f"{name}="))
        return {p.strip().lower() for p in header.split(";")[1:]}

    for name in ("govshare_session", "govshare_csrf"):
        assert attrs(web, name) == attrs(api, name)
    assert "httponly" in attrs(web, "govshare_session") and "samesite=lax" in attrs(web, "govshare_session")
    assert "httponly" not in attrs(web, "govshare_csrf") and "samesite=strict" in attrs(web, "govshare_csrf")


def test_wrong_password_shows_the_chinese_error_and_is_audited(client, runtime, world: World):
    page = client.get("/console/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post("/console/login", data={"username": world.a.admin, "password": "nope", "csrf_token": pre})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.text and 'role="alert"' in resp.text
    assert "govshare_session" not in resp.headers.get("set-cookie", "")
    web_login(client, world.operator.admin, World.password)
    log = client.get("/console/audit", params={"action": "identity.login", "outcome": "denied"})
    assert log.status_code == 200 and "拒绝" in _results(log.text) and world.a.admin in _results(log.text)


def test_lockout_is_shown_after_repeated_failures(client, world: World):
    page = client.get("/console/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for _ in range(5):
        client.post("/console/login", data={"username": world.b.admin, "password": "bad", "csrf_token": pre})
    resp = client.post(
        "/console/login", data={"username": world.b.admin, "password": World.password, "csrf_token": pre}
    )
    assert resp.status_code == 423
    assert "账号已锁定" in resp.text
    # the operator sees the lock in the user list
    web_login(client, world.operator.admin, World.password)
    users = client.get("/console/system/users", params={"org": world.b.org_id})
    assert "已锁定" in users.text


def test_login_form_needs_its_own_token_and_rejects_offsite_next(client, world: World):
    resp = client.post("/console/login", data={"username": world.a.admin, "password": World.password})
    assert resp.status_code == 403 and "页面已过期" in resp.text
    page = client.get("/console/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        resp = client.post(
            "/console/login",
            data={"username": world.a.admin, "password": World.password, "csrf_token": pre, "next": evil},
            follow_redirects=False,
        )
        assert resp.status_code == 303 and resp.headers["location"] == "/console"


def test_logout_ends_the_session(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    session_cookie = client.cookies["govshare_session"]
    resp = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/console/login")
    client.cookies.set("govshare_session", session_cookie)
    again = client.get("/console", follow_redirects=False)
    assert again.status_code == 303 and "expired=1" in again.headers["location"]


# ---- CSRF ------------------------------------------------------------------------------------------
def test_form_post_without_or_with_a_wrong_csrf_token_is_refused(client, world: World):
    web_login(client, world.a.admin, World.password)
    body = {"name": "未受保护的系统", "code": "gaj-nocsrf"}
    resp = client.post("/console/system/systems", data=body)
    assert resp.status_code == 403
    assert "CSRF" in resp.text and "text/html" in resp.headers["content-type"]
    resp = client.post("/console/system/systems", data={**body, "csrf_token": "forged"})
    assert resp.status_code == 403
    listing = client.get("/console/system/systems")
    assert "gaj-nocsrf" not in listing.text


def test_htmx_post_sends_the_token_in_a_header(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    page = client.get(f"/console/system/systems/{world.a.system_id}")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text
    url = f"/console/system/systems/{world.a.system_id}/credentials"
    refused = client.post(url, data={"label": "x"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert refused.headers["HX-Retarget"] == "#flash"
    ok = client.post(url, data={"label": "x"}, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert ok.status_code == 200 and "gsk_" in ok.text
    assert ok.text.lstrip().startswith("<section") and "<html" not in ok.text  # only the keys section


# ---- menus and scoping -----------------------------------------------------------------------------
def test_each_role_sees_its_own_menu(client, runtime, world: World):
    _add_user(runtime, world.a.org_id, "gaj_clerk", [Role.clerk])
    _add_user(runtime, world.operator.org_id, "sjj_auditor2", [Role.auditor])
    everyone = {"home.dashboard", "catalog.search", "sharing.demands", "sharing.inbox"}
    sharing = {"sharing.requests", "sharing.agreements", "sharing.grants", "sharing.objections"}
    catalog_edit = {"catalog.new", "catalog.reviews", "catalog.import"}
    data = {"data.tables", "data.quality"}  # ingest (admins, catalog managers) and quality (+ auditors)
    expected = {
        world.operator.admin: everyone
        | sharing
        | catalog_edit
        | data
        | {"audit.search", "system.departments", "system.systems", "system.users"},
        world.a.admin: everyone | sharing | data | {"audit.search", "system.systems", "system.users"},
        "gaj_clerk": everyone | sharing,
        "sjj_auditor2": everyone | sharing | {"data.quality", "audit.search"},
    }
    for username, menu in expected.items():
        client.cookies.clear()
        web_login(client, username, World.password)
        assert _menu(client.get("/console").text) == menu, username
    # the clerk is refused the pages the menu does not offer
    assert client.get("/console/audit").status_code == 200  # sjj_auditor2 still logged in
    client.cookies.clear()
    web_login(client, "gaj_clerk", World.password)
    assert client.get("/console/audit").status_code == 403
    assert client.get("/console/system/users").status_code == 403


def test_a_department_admin_cannot_reach_another_departments_objects(client, runtime, world: World):
    other_user = _add_user(runtime, world.b.org_id, "mzj_clerk", [Role.clerk])
    csrf = web_login(client, world.a.admin, World.password)
    systems = client.get("/console/system/systems").text
    assert world.a.system_id in systems and world.b.system_id not in systems
    users = client.get("/console/system/users").text
    assert world.a.admin in users and world.b.admin not in users and "mzj_clerk" not in users

    for path in (f"/console/system/systems/{world.b.system_id}", f"/console/system/users/{other_user}"):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert "页面或对象不存在" in resp.text and world.b.name not in resp.text
    assert client.get("/console/system/departments").status_code == 403
    revoke = client.post(
        f"/console/system/systems/{world.b.system_id}/credentials/{world.b.key_id}/revoke", data={"csrf_token": csrf}
    )
    assert revoke.status_code == 404
    # the other department's key still works
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": world.b.api_key}).status_code == 200
    disable = client.post(f"/console/system/users/{other_user}/active", data={"csrf_token": csrf, "active": "0"})
    assert disable.status_code == 404


def test_the_operator_sees_and_filters_every_department(client, world: World):
    web_login(client, world.operator.admin, World.password)
    systems = client.get("/console/system/systems").text
    assert world.a.system_id in systems and world.b.system_id in systems
    only_b = client.get("/console/system/systems", params={"org": world.b.org_id}).text
    assert world.b.system_id in only_b and world.a.system_id not in only_b
    departments = client.get("/console/system/departments")
    assert departments.status_code == 200 and world.a.name in departments.text


# ---- systems and keys -------------------------------------------------------------------------------
def test_issue_rotate_and_revoke_a_key_shows_the_key_once(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    base = f"/console/system/systems/{world.a.system_id}"
    issued = client.post(f"{base}/credentials", data={"csrf_token": csrf, "label": "生产环境"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    key = re.search(r"gsk_[0-9a-f]+\.[A-Za-z0-9_-]+", issued.text).group(0)
    assert "只显示这一次" in issued.text
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
    later = client.get(base).text
    assert key not in later and key.split(".")[0].removeprefix("gsk_") in later  # key id listed, secret never

    key_id = key.split(".")[0].removeprefix("gsk_")
    rotated = client.post(f"{base}/credentials/{key_id}/rotate", data={"csrf_token": csrf, "grace_seconds": "0"})
    assert rotated.status_code == 200
    new_key = re.search(r"gsk_[0-9a-f]+\.[A-Za-z0-9_-]+", rotated.text).group(0)
    assert new_key != key and "已立即失效" in rotated.text
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": new_key}).status_code == 200

    new_id = new_key.split(".")[0].removeprefix("gsk_")
    revoked = client.post(f"{base}/credentials/{new_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"].endswith("done=key_revoked")
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": new_key}).status_code == 401
    page = client.get(revoked.headers["location"]).text
    assert "密钥已吊销" in page and f'data-key-id="{new_id}" data-state="revoked"' in page
    # rotating a revoked key is a conflict, shown in the keys section
    again = client.post(f"{base}/credentials/{new_id}/rotate", data={"csrf_token": csrf})
    assert again.status_code == 409 and "凭证已失效" in again.text


def test_key_expiry_in_the_past_is_shown_next_to_the_field(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    resp = client.post(
        f"/console/system/systems/{world.a.system_id}/credentials",
        data={"csrf_token": csrf, "label": "old", "expires_on": "2020-01-01"},
    )
    assert resp.status_code == 422
    assert 'id="e-expires_on"' in resp.text and "过期时间必须晚于现在" in resp.text
    assert "gsk_" not in resp.text


def test_create_and_disable_a_system_with_field_errors(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    dup = client.post("/console/system/systems", data={"csrf_token": csrf, "name": "重复系统", "code": "gaj-app"})
    assert dup.status_code == 422
    assert 'aria-invalid="true"' in dup.text and "本单位已有系统代码 gaj-app" in dup.text
    assert 'value="重复系统"' in dup.text  # what was typed is kept
    bad = client.post("/console/system/systems", data={"csrf_token": csrf, "name": "x", "code": "Bad Code"})
    assert bad.status_code == 422 and "至少需要 2 个字符" in bad.text and "格式不正确" in bad.text

    made = client.post(
        "/console/system/systems",
        data={"csrf_token": csrf, "name": "治安管理系统", "code": "gaj-zagl", "org_id": world.b.org_id},
        follow_redirects=False,
    )
    assert made.status_code == 303
    detail = client.get(made.headers["location"]).text
    assert "应用系统已创建" in detail and "示范市公安局" in detail  # own department, whatever org_id said
    system_url = made.headers["location"].split("?")[0]
    off = client.post(f"{system_url}/active", data={"csrf_token": csrf, "active": "0"}, follow_redirects=False)
    assert off.status_code == 303 and "system_disabled" in off.headers["location"]
    assert "启用系统" in client.get(system_url).text


def test_platform_admin_registers_a_department_and_sees_uscc_errors(client, world: World):
    csrf = web_login(client, world.operator.admin, World.password)
    good = uscc_for(10000042)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    form = {"csrf_token": csrf, "name": "示范市教育局", "uscc": bad, "level": "city", "region_code": "331900"}
    resp = client.post("/console/system/departments", data=form)
    assert resp.status_code == 422
    assert 'id="e-uscc"' in resp.text and "校验" in resp.text
    resp = client.post("/console/system/departments", data={**form, "uscc": good, "short_code": "jyj"})
    assert resp.status_code == 200 and "单位已登记" in resp.text and "示范市教育局" in resp.text


def test_users_create_roles_disable_and_unlock(client, world: World):
    csrf = web_login(client, world.a.admin, World.password)
    made = client.post(
        "/console/system/users",
        data={
            "csrf_token": csrf,
            "username": "gaj_new",
            "display_name": "新同事",
            "password": "Welcome!2026",
            "roles": ["clerk", "approver"],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    user_url = made.headers["location"].split("?")[0]
    page = client.get(user_url).text
    assert "新同事" in page and "受理员" in page and "审批员" in page
    # platform_admin is not offered to a department admin, and is refused if forged
    assert 'value="platform_admin"' not in page
    forged = client.post(user_url, data={"csrf_token": csrf, "display_name": "新同事", "roles": ["platform_admin"]})
    assert forged.status_code == 422 and "平台管理员只能属于平台运营单位" in forged.text
    saved = client.post(user_url, data={"csrf_token": csrf, "display_name": "新同事", "roles": ["auditor"]})
    assert saved.status_code == 200 and "用户已保存" in saved.text

    # locked out by failed logins, then unlocked by the admin
    other = client.__class__(client.app)
    pre = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/console/login").text).group(1)
    for _ in range(5):
        other.post("/console/login", data={"username": "gaj_new", "password": "wrong-pass", "csrf_token": pre})
    assert "已锁定" in client.get(user_url).text
    unlocked = client.post(f"{user_url}/unlock", data={"csrf_token": csrf})
    assert "用户已解锁" in unlocked.text and "登录失败次数过多" not in unlocked.text
    web_login(other, "gaj_new", "Welcome!2026")

    off = client.post(f"{user_url}/active", data={"csrf_token": csrf, "active": "0"})
    assert "用户已停用" in off.text
    assert other.get("/console", follow_redirects=False).status_code == 303  # its session ended


# ---- audit -----------------------------------------------------------------------------------------
def test_audit_search_is_scoped_and_filtered(client, world: World):
    # one login each, so both departments have records
    web_login(client, world.b.admin, World.password)
    client.cookies.clear()
    web_login(client, world.a.admin, World.password)
    page = client.get("/console/audit", params={"action": "identity.login"})
    assert page.status_code == 200
    assert world.a.admin in _results(page.text) and world.b.admin not in page.text  # own department's only
    assert 'name="org"' not in page.text  # no department filter outside the operator
    assert client.post("/console/audit/verify", data={"csrf_token": client.cookies["govshare_csrf"]}).status_code == 403

    client.cookies.clear()
    csrf = web_login(client, world.operator.admin, World.password)
    everyone = _results(client.get("/console/audit", params={"action": "identity.login"}).text)
    assert world.a.admin in everyone and world.b.admin in everyone
    only_b = _results(client.get("/console/audit", params={"action": "identity.login", "org": world.b.org_id}).text)
    assert world.b.admin in only_b and world.a.admin not in only_b
    bad_date = client.get("/console/audit", params={"since": "2026-13-45"})
    assert bad_date.status_code == 422 and "日期格式应为 YYYY-MM-DD" in bad_date.text
    partial = client.get(
        "/console/audit", params={"action": "identity."}, headers={"HX-Request": "true", "HX-Target": "audit-results"}
    )
    assert partial.text.lstrip().startswith('<section class="card" id="audit-results"')
    verified = client.post("/console/audit/verify", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert verified.status_code == 200 and "审计链完整" in verified.text and "签名检查点全部校验通过" in verified.text
    recent = client.post("/console/audit/verify", data={"csrf_token": csrf, "mode": "recent"})
    assert recent.status_code == 200 and "自最近的有效签名检查点起" in recent.text
    assert 'id="audit-results"' in recent.text  # without htmx: the whole page, with the result


def test_audit_search_by_subject_and_paging(client, runtime, world: World):
    subject = "11010519491231002X"
    for i in range(60):
        runtime.audit.append(
            actor=_system(world),
            action="usage.use.verify",
            subject=subject if i % 2 == 0 else "440524188001010014",
            purpose=f"低保核对 {i}",
            object_type="case",
            object_id=f"AJ{i:04d}",
        )
    web_login(client, world.a.admin, World.password)
    first = client.get("/console/audit", params={"subject": subject})
    assert first.status_code == 200 and first.text.count("低保核对") == 30
    page1 = client.get("/console/audit", params={"action": "usage."})
    assert page1.text.count("低保核对") == 50 and "加载更早的记录" in page1.text
    before = re.search(r"/console/audit/more\?[^\"]*before=(\d+)", page1.text).group(1)
    more = client.get("/console/audit/more", params={"action": "usage.", "before": before})
    assert more.text.count("低保核对") == 10 and "<tr" in more.text and "加载更早的记录" not in more.text
    hint = client.get("/console/audit", params={"subject": "12345"})
    assert "不是有效的公民身份号码" in hint.text


def _system(world: World):
    from govshare.identity.principal import Principal

    return Principal(kind="system", id=world.a.system_id, org_id=world.a.org_id, name="公安局业务系统")


# ---- language, errors, headers -----------------------------------------------------------------------
def test_english_by_link_cookie_and_query(client, world: World):
    web_login(client, world.a.admin, World.password)
    en = client.get("/console", params={"lang": "en"})
    assert '<html lang="en">' in en.text and "Dashboard" in en.text and "首页" not in en.text
    assert client.cookies.get("lang") == "en"
    assert '<html lang="en">' in client.get("/console/system/systems").text  # the cookie keeps it
    back = client.get("/lang/zh", params={"next": "/console/audit"}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console/audit"
    assert client.get("/console").text.count("首页") >= 1
    evil = client.get("/lang/en", params={"next": "https://evil.example/"}, follow_redirects=False)
    assert evil.headers["location"] == "/"
    # a service's own English message is used in English pages
    csrf = client.cookies["govshare_csrf"]
    dup = client.post("/console/system/systems?lang=en", data={"csrf_token": csrf, "name": "Dup", "code": "gaj-app"})
    assert "system code taken: gaj-app" in dup.text


def test_unknown_pages_and_security_headers(client, world: World):
    web_login(client, world.a.admin, World.password)
    resp = client.get("/console/no/such/page")
    assert resp.status_code == 404 and "text/html" in resp.headers["content-type"]
    assert 'data-menu="home.dashboard"' in resp.text  # still inside the console frame
    page = client.get("/console")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    portal = client.get("/")
    assert portal.status_code == 200 and "进入工作台" in portal.text  # logged in: straight to the console


def test_dashboard_panels_follow_the_role(client, runtime, world: World):
    _add_user(runtime, world.a.org_id, "gaj_clerk", [Role.clerk])
    web_login(client, world.operator.admin, World.password)
    page = client.get("/console").text
    assert 'id="chart-audit-per-day-option"' in page and "全平台" in page
    assert 'id="panel-overview"' in page and "/static/vendor/echarts.min.js" in page
    client.cookies.clear()
    web_login(client, "gaj_clerk", World.password)
    clerk = client.get("/console").text
    assert 'id="panel-overview"' in clerk and 'id="panel-audit_activity"' not in clerk
    assert "审计记录" not in clerk
