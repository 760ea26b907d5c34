"""The console in a real browser (Debian's chromium, headless) against a real server on the demo city 示范市."""

from __future__ import annotations

import re
import statistics
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.browser import PASSWORD, DemoStore, login, record_usage

pytestmark = pytest.mark.browser

EVERYONE = {"home.dashboard", "catalog.search", "sharing.demands", "sharing.inbox"}
CATALOG_EDIT = {"catalog.new", "catalog.reviews", "catalog.import"}
SHARING = {"sharing.requests", "sharing.agreements", "sharing.grants", "sharing.objections"}
SYSTEM = {"system.systems", "system.users"}
DATA = {"data.tables", "data.quality"}  # 数据: ingest (admins, catalog managers), quality (+ auditors)
MENUS = {
    "sjj_platform": EVERYONE | CATALOG_EDIT | SHARING | SYSTEM | DATA | {"audit.search", "system.departments"},
    "sjj_auditor": EVERYONE | SHARING | {"data.quality", "audit.search"},
    "gaj_admin": EVERYONE | SHARING | SYSTEM | DATA | {"audit.search"},
    "gaj_approver": EVERYONE | SHARING,
    "gaj_clerk1": EVERYONE | SHARING,
    "gaj_catalog": EVERYONE | CATALOG_EDIT | DATA | {"sharing.objections"},  # catalog managers answer objections
}
ORG_OF = {"sjj": "示范市数据局", "gaj": "示范市公安局"}


def _menu(page) -> set[str]:  # noqa: ANN001
    return set(page.locator("nav.sidebar a[data-menu]").evaluate_all("els => els.map(e => e.dataset.menu)"))


def _api_key_works(base: str, key: str) -> bool:
    return httpx.get(f"{base}/api/v1/auth/me", headers={"X-API-Key": key}, timeout=5).status_code == 200


def test_each_role_logs_in_and_sees_its_own_menu(page, server: str):
    for username, expected in MENUS.items():
        page.context.clear_cookies()
        login(page, server, username)
        assert _menu(page) == expected, username
        expect(page.locator(".user-chip")).to_contain_text(ORG_OF[username.split("_")[0]])
        expect(page.locator("nav.sidebar a[aria-current=page]")).to_have_text("首页")
        if "audit.search" in expected:
            expect(page.locator("#chart-audit-per-day canvas")).to_be_visible()  # ECharts drew the line
        else:
            expect(page.locator("#panel-audit_activity")).to_have_count(0)


def test_a_wrong_password_shows_the_chinese_error(page, server: str):
    page.goto(f"{server}/console/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_label("用户名").fill("gaj_clerk2")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    assert page.url.startswith(f"{server}/console/login")
    expect(page.get_by_label("用户名")).to_have_value("gaj_clerk2")
    expect(page.get_by_label("密码")).to_have_value("")


def test_the_session_cookie_is_httponly_and_samesite(page, server: str):
    login(page, server, "mzj_admin")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session, csrf = cookies["govshare_session"], cookies["govshare_csrf"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not csrf["httpOnly"] and csrf["sameSite"] == "Strict"
    visible = page.evaluate("document.cookie")
    assert "govshare_session" not in visible and "govshare_csrf" in visible


def test_an_org_admin_issues_rotates_and_revokes_a_key_shown_once(page, server: str):
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm asks before rotating and revoking
    login(page, server, "mzj_admin")
    page.get_by_role("link", name="应用系统与密钥").click()
    page.get_by_role("link", name="婚姻登记管理系统").click()

    page.get_by_label("标签").fill("浏览器测试")
    page.get_by_role("button", name="签发密钥").click()
    expect(page.locator("#new-key")).to_contain_text("只显示这一次")
    key = page.locator("#new-key-value").inner_text().strip()
    assert re.fullmatch(r"gsk_[0-9a-f]{16}\.[A-Za-z0-9_-]+", key)
    assert _api_key_works(server, key)
    key_id = key.split(".")[0].removeprefix("gsk_")

    page.reload()  # the key is never shown again
    expect(page.locator("#new-key")).to_have_count(0)
    assert key not in page.content()
    row = page.locator(f"tr[data-key-id='{key_id}']")
    expect(row).to_have_attribute("data-state", "active")

    row.get_by_label("旧密钥何时失效").select_option("0")
    row.get_by_role("button", name="轮换").click()
    expect(page.locator("#new-key")).to_contain_text(f"旧密钥 {key_id} 已立即失效")
    new_key = page.locator("#new-key-value").inner_text().strip()
    assert new_key != key and not _api_key_works(server, key) and _api_key_works(server, new_key)
    expect(page.locator(f"tr[data-key-id='{key_id}']")).to_have_attribute("data-state", "revoked")

    new_id = new_key.split(".")[0].removeprefix("gsk_")
    page.locator(f"tr[data-key-id='{new_id}']").get_by_role("button", name="吊销").click()
    expect(page.locator(f"tr[data-key-id='{new_id}']")).to_have_attribute("data-state", "revoked")
    expect(page.get_by_role("status")).to_contain_text(f"密钥 {new_id} 已吊销")
    assert not _api_key_works(server, new_key)


def test_audit_search_finds_the_login_records(page, server: str):
    login(page, server, "sjj_auditor")
    page.get_by_role("link", name="审计日志").click()
    page.get_by_label("操作", exact=True).fill("identity.login")
    page.get_by_label("结果", exact=True).select_option("ok")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r".*action=identity\.login.*"))  # htmx pushed the search into the address
    results = page.locator("#audit-results tbody tr")
    expect(results.first).to_contain_text("sjj_auditor")
    for text in results.all_inner_texts()[:5]:
        assert "登录" in text and "成功" in text
    page.get_by_role("button", name="完整校验").click()
    expect(page.locator("#chain-ok")).to_contain_text("审计链完整")


def test_the_console_switches_to_english_and_back(page, server: str):
    login(page, server, "gaj_admin")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.get_by_role("button", name="Search")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")


def test_a_form_post_without_the_csrf_token_is_refused(page, server: str):
    login(page, server, "gaj_admin")
    page.goto(f"{server}/console/system/systems")
    form = page.locator("form[action='/console/system/systems'][method=post]")
    form.get_by_label("系统名称").fill("无令牌系统")
    form.get_by_label("系统代码").fill("gaj-no-token")
    form.locator("input[name=csrf_token]").evaluate("el => el.remove()")
    with page.expect_response(f"{server}/console/system/systems") as answer:
        form.get_by_role("button", name="创建").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("CSRF 校验失败")
    page.goto(f"{server}/console/system/systems")
    expect(page.locator("body")).not_to_contain_text("gaj-no-token")


def test_a_department_admin_cannot_open_another_departments_pages(page, server: str, demo: DemoStore):
    creds = demo.credentials
    mzj_system = next(s for s in creds["systems"] if s["org"] == "mzj")
    mzj_user = next(u for u in creds["users"] if u["org"] == "mzj")
    login(page, server, "gaj_admin")
    for path in (f"/console/system/systems/{mzj_system['id']}", f"/console/system/users/{mzj_user['id']}"):
        response = page.goto(f"{server}{path}")
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("页面或对象不存在")
        assert mzj_system["name"] not in page.content() and mzj_user["username"] not in page.content()
    response = page.goto(f"{server}/console/system/departments")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    page.goto(f"{server}/console/system/systems")
    expect(page.locator("main")).not_to_contain_text(mzj_system["name"])


def _resource_id(server: str, code: str) -> str:
    """A published resource's id, from the public catalog API (as any client would find it)."""
    hits = httpx.get(f"{server}/api/v1/catalog/resources", params={"q": "", "limit": 100}, timeout=10).json()
    found = [h["id"] for h in hits["items"] if h["code"] == code]
    if found:
        return found[0]
    login = httpx.post(
        f"{server}/api/v1/auth/token", json={"username": "sjj_platform", "password": PASSWORD}, timeout=10
    )
    token = login.json()["access_token"]
    return httpx.get(
        f"{server}/api/v1/catalog/resources/by-code/{code}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["id"]


def test_no_page_takes_over_200_ms_on_the_demo_city(server: str, demo: DemoStore):
    record_usage(server, demo, 300)  # systems' usage reports: a fuller log to search and chart
    creds = demo.credentials
    system = next(s for s in creds["systems"] if s["org"] == "gaj")
    user = next(u for u in creds["users"] if u["org"] == "gaj")
    pages = [
        "/",
        "/console",
        "/console/audit",
        "/console/audit?action=usage.&outcome=ok",
        f"/console/audit?subject={demo.data_dir.joinpath('seed', 'persons.csv').read_text().splitlines()[1][:18]}",
        "/console/system/departments",
        "/console/system/systems",
        f"/console/system/systems/{system['id']}",
        "/console/system/users",
        f"/console/system/users/{user['id']}",
        "/console/account",
        "/console/catalog",
        "/console/catalog?q=人口&share_type=conditional",
        "/console/catalog?q=电子证照",
        "/console/catalog/reviews",
        f"/console/catalog/resources/{_resource_id(server, '101001/000001')}",
        f"/console/catalog/resources/{_resource_id(server, '101001/000001')}/edit",
        "/console/catalog/new",
        "/console/sharing/requests?view=all",
        "/console/sharing/agreements",
        "/console/sharing/grants",
        "/console/sharing/objections",
        "/console/sharing/demands",
        "/console/inbox",
        "/open",
        "/open?q=养老",
        "/open/api",
        "/me",
    ]
    with httpx.Client(base_url=server, timeout=10) as client:
        resp = client.post("/api/v1/auth/login", json={"username": "sjj_platform", "password": PASSWORD})
        assert resp.status_code == 200
        slow = {}
        for path in pages:
            client.get(path)  # warm: templates compiled, connections pooled
            times = []
            for _ in range(3):
                started = time.perf_counter()
                answer = client.get(path)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, (path, answer.status_code)
            if statistics.median(times) >= 0.2:
                slow[path] = round(statistics.median(times) * 1000)
    assert not slow, f"pages over 200 ms (median ms): {slow}"


A11Y_CHECK = """() => {
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')];
  const unnamed = controls.filter(el => {
    if (el.tagName === 'BUTTON') return !el.textContent.trim() && !el.getAttribute('aria-label');
    return !el.labels.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
  }).map(el => el.outerHTML.slice(0, 80));
  const ids = [...document.querySelectorAll('[id]')].map(el => el.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  const noAlt = [...document.querySelectorAll('img:not([alt])')].map(el => el.src);
  return {unnamed, duplicates, noAlt, h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang};
}"""


def test_pages_are_labelled_and_usable_by_keyboard(page, server: str, demo: DemoStore):
    login(page, server, "sjj_platform")
    system = next(s for s in demo.credentials["systems"] if s["org"] == "sjj")
    user = next(u for u in demo.credentials["users"] if u["org"] == "sjj")
    paths = [
        "/console",
        "/console/audit",
        "/console/system/departments",
        "/console/system/systems",
        f"/console/system/systems/{system['id']}",
        "/console/system/users",
        f"/console/system/users/{user['id']}",
        "/console/account",
        "/console/catalog?q=人口",
        f"/console/catalog/resources/{_resource_id(server, '101001/000001')}",
        "/console/catalog/new",
        "/console/catalog/reviews",
        "/console/catalog/import",
        "/console/sharing/requests",
        "/console/sharing/grants",
        "/console/inbox",
    ]
    for path in paths:
        page.goto(f"{server}{path}")
        found = page.evaluate(A11Y_CHECK)
        assert found == {"unnamed": [], "duplicates": [], "noAlt": [], "h1": 1, "lang": "zh-CN"}, path
    # the first Tab reaches the skip link, which moves the focus past the menu to the page's content
    page.goto(f"{server}/console")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("跳到主要内容")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for path in ("/", "/console/login", "/open?q=养老", "/open/api", "/me"):
        page.goto(f"{server}{path}")
        assert page.evaluate(A11Y_CHECK)["unnamed"] == [], path
