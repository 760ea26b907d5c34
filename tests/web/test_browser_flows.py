"""The catalog, sharing, portal and citizen screens in a real browser against a real server on 示范市:
search in Chinese, a draft submitted and reviewed, a request applied for, narrowed, approved and its agreement
confirmed, the dashboard's counts, a query through the exchange gateway, and the citizen who sees it."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from playwright.sync_api import expect

from govshare.standards.identifiers import make_uscc
from tests.web.browser import PASSWORD, DemoStore, last_citizen_code, login, person

pytestmark = pytest.mark.browser

LOW_INCOME = "209001/000001"  # 最低生活保障对象信息 of 民政局 (有条件共享)


def test_search_the_catalog_in_chinese_with_facets(page, server: str):
    login(page, server, "gaj_clerk1")
    page.get_by_role("link", name="资源目录").click()
    page.get_by_label("关键词").fill("人口")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r".*q=%E4%BA%BA%E5%8F%A3.*"))  # htmx pushed the search into the address
    hits = page.locator("#catalog-results .hit")
    expect(hits.first).to_contain_text("人口基础信息")
    expect(page.locator("#result-total")).to_contain_text("检索词：人口")
    before = hits.count()
    page.locator("fieldset[data-facet=provider] label", has_text="示范市民政局").locator("input").check()
    expect(page.locator("#catalog-results .hit").first).to_contain_text("示范市民政局")
    assert page.locator("#catalog-results .hit").count() < before
    assert "provider=" in page.url
    page.locator("#catalog-results .hit a").first.click()
    expect(page.get_by_role("heading", name="信息项")).to_be_visible()
    expect(page.locator("#items-table")).to_contain_text("公民身份号码")


def test_a_catalog_manager_submits_a_draft_and_the_operator_approves_it(page, server: str):
    login(page, server, "gaj_catalog")
    page.get_by_role("link", name="编目").click()
    page.get_by_label("资源名称").fill("浏览器测试户籍迁移信息")
    page.get_by_label("资源分类").select_option("base")
    page.get_by_label("分类代码").fill("101004")
    page.get_by_label("摘要").fill("全市户籍人口迁入迁出登记信息，用于户籍业务协同办理。")
    page.get_by_label("数据库").check()
    page.get_by_label("共享类型", exact=True).select_option("conditional")
    page.get_by_label("原因类别").select_option("law")
    page.get_by_label("开放类型").select_option("none")
    page.get_by_label("更新周期").select_option("daily")
    page.get_by_label("网络类型").select_option("egov_extranet")
    page.get_by_label("共享条件").fill("仅限依法履职使用")
    page.get_by_label("共享依据").fill("《中华人民共和国户口登记条例》")
    page.get_by_label("接口", exact=True).check()
    for n, (name, machine, kind, level) in enumerate(
        [("公民身份号码", "id_number", "string", "L3"), ("迁移日期", "move_date", "date", "L1")]
    ):
        page.locator(f"#item-{n}-name").fill(name)
        page.locator(f"#item-{n}-machine_name").fill(machine)
        page.locator(f"#item-{n}-data_type").select_option(kind)
        page.locator(f"#item-{n}-sensitivity").select_option(level)
        page.locator(f"#item-{n}-description").fill(f"{name}（测试）")
    page.locator("#item-0-masking").fill("keep:6:4")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("草稿已保存")
    expect(page.locator("#resource-status")).to_have_text("草稿")
    expect(page.locator("[data-check=completeness]")).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#resource-status")).to_have_text("发布待审核")

    page.context.clear_cookies()
    login(page, server, "sjj_catalog")
    page.get_by_role("link", name="审核").click()
    row = page.locator("#review-queue tr", has_text="浏览器测试户籍迁移信息")
    for check in ("uniqueness", "completeness", "relevance", "clarity"):
        expect(row.locator(f"[data-check={check}]")).to_be_visible()
    row.get_by_role("link", name="浏览器测试户籍迁移信息").click()
    page.get_by_label("审核意见").fill("元数据完整，同意发布")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#resource-status")).to_have_text("已发布")


def test_apply_approve_confirm_query_and_the_citizen_sees_it(page, server: str, demo: DemoStore, tmp_path):  # noqa: ANN001
    page.on("dialog", lambda dialog: dialog.accept())
    # 公安局's clerk applies from the resource page
    login(page, server, "gaj_clerk1")
    page.get_by_role("link", name="资源目录").click()
    page.get_by_label("关键词").fill("最低生活保障")
    page.get_by_role("button", name="搜索").click()
    page.locator("#catalog-results .hit a", has_text="最低生活保障对象信息").click()
    page.get_by_role("link", name="申请使用").click()
    for box in page.locator("input[name=items]").all():
        if box.get_attribute("value") not in ("id_number", "recipient_name"):
            box.uncheck()
    system = next(s for s in demo.credentials["systems"] if s["org"] == "gaj")
    page.get_by_label("使用数据的应用系统").select_option(system["id"])
    page.get_by_label("用途类别").select_option("social_assistance")
    page.get_by_label("具体用途").fill("核查低保申请人的家庭情况")
    page.get_by_label("申请依据").fill("《社会救助暂行办法》第十一条")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("status")).to_contain_text("申请已提交")
    expect(page.locator("#due")).to_contain_text("个工作日")
    expect(page.locator("main")).to_contain_text("示范市民政局")

    # 民政局's approver sees it on the dashboard and approves it narrower, with a reason
    page.context.clear_cookies()
    login(page, server, "mzj_approver")
    expect(page.locator("[data-count=pending] dd")).not_to_have_text("0")
    page.locator("[data-count=pending] a").click()
    page.locator("#requests tr", has_text="最低生活保障对象信息").get_by_role("link").first.click()
    approve = page.locator("#approve-form")
    approve.locator("input[name=masked_items][value=recipient_name]").check()
    approve.get_by_role("button", name="同意").click()
    expect(page.locator("#approve-form [role=alert], #approve-form .field-error").first).to_contain_text("理由")
    page.locator("#approve-form input[name=masked_items][value=recipient_name]").check()
    page.locator("#a-reason").fill("姓名脱敏提供即可")
    page.locator("#approve-form").get_by_role("button", name="同意").click()
    expect(page.locator("#request-status")).to_have_text("已同意")
    page.get_by_role("link", name="查看共享协议").click()
    agreement_url = page.url

    # both departments confirm the agreement
    for username in ("mzj_admin", "gaj_admin"):
        page.context.clear_cookies()
        login(page, server, username)
        page.goto(agreement_url)
        page.get_by_role("button", name="确认协议").click()
        expect(page.get_by_role("status")).to_contain_text("已确认协议")
    expect(page.locator("#agreement-status")).to_have_text("生效")

    # the provider binds the resource to its database; 公安局's system queries one person through the gateway
    id_number, name = person(demo, 3)
    db = tmp_path / "mzj_dibao.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE dibao (sfzh TEXT PRIMARY KEY, xm TEXT, rks TEXT)")
        conn.execute("INSERT INTO dibao VALUES (?, ?, '3')", (id_number, name))
    with httpx.Client(base_url=server, timeout=10) as api:
        token = api.post("/api/v1/auth/token", json={"username": "mzj_admin", "password": PASSWORD}).json()
        bound = api.put(
            f"/api/v1/exchange/bindings/{LOW_INCOME}",
            json={
                "kind": "sql",
                "url": f"sqlite:///{db}",
                "table": "dibao",
                "columns": {"id_number": "sfzh", "recipient_name": "xm", "family_size": "rks"},
            },  # fmt: skip
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert bound.status_code == 200, bound.text
        answer = api.post(
            f"/exchange/v1/resources/{LOW_INCOME}/query",
            json={
                "keys": [id_number],
                "purpose_category": "social_assistance",
                "purpose": "低保申请家庭核查",
                "case_ref": "AJ2026BROWSER",
            },  # fmt: skip
            headers={"X-API-Key": system["api_key"], "X-On-Behalf-Of": "gaj_clerk1"},
        )
        assert answer.status_code == 200, answer.text

    # the approved request is on the provider's dashboard as approved
    page.context.clear_cookies()
    login(page, server, "mzj_approver")
    expect(page.locator("[data-count=approved] dd")).not_to_have_text("0")

    # the citizen signs in with ID number, name and the code from the server log, and sees the query
    page.context.clear_cookies()
    page.goto(f"{server}/")
    page.get_by_role("link", name="我的数据使用记录").first.click()
    page.get_by_label("公民身份号码").fill(id_number)
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码").fill(last_citizen_code(demo, id_number))
    page.get_by_role("button", name="登录").click()
    records = page.locator("#citizen-records tbody tr")
    query_row = records.filter(has_text="最低生活保障对象信息")
    expect(query_row).to_contain_text("示范市公安局")
    expect(query_row).to_contain_text("低保申请家庭核查")
    expect(query_row).to_contain_text("AJ2026BROWSER")
    expect(query_row).to_contain_text("公民身份号码")  # items in clear
    expect(query_row).to_contain_text("保障对象姓名")  # masked
    assert id_number not in page.content()


ENTERPRISES = "102002/000001"  # 企业登记公示信息 of 市场监督管理局 (无条件共享)
CARE_HOMES = "209004/000001"  # 养老机构名录 of 民政局 (无条件开放, held in the library)


def test_an_objection_is_raised_and_answered(page, server: str):  # noqa: ANN001
    # 公安局 registers its use of an unconditionally shared resource (the grant is immediate) …
    login(page, server, "gaj_clerk2")
    page.goto(f"{server}/console/sharing/apply?resource={ENTERPRISES}")
    page.get_by_label("用途类别").select_option("supervision")
    page.get_by_label("具体用途").fill("核查企业登记信息")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("status")).to_contain_text("使用已登记")
    # … and raises an objection about a record it received
    page.get_by_role("link", name="校核纠错").click()
    raise_form = page.locator("#raise-form")
    raise_form.get_by_label("有疑义的资源").select_option(ENTERPRISES)
    raise_form.get_by_label("有疑义的记录").fill("91331902MA2B00001X")
    raise_form.get_by_label("疑义说明").fill("企业住所与营业执照记载不一致")
    raise_form.get_by_role("button", name="提出校核纠错").click()
    expect(page.get_by_role("status")).to_contain_text("校核纠错已提出")
    expect(page.locator("#objection-status")).to_have_text("待核查")
    objection_url = page.url.split("?")[0]

    # 市场监督管理局's approver finds it and answers it: corrected
    page.context.clear_cookies()
    login(page, server, "scjgj_approver")
    page.get_by_role("link", name="校核纠错").click()
    page.locator("#objections tr", has_text="企业住所与营业执照记载不一致").get_by_role("link").first.click()
    answer = page.locator("#answer-form")
    answer.get_by_role("button", name="提交答复").click()  # nothing chosen: the error is shown beside the field
    expect(page.locator("#answer-form .field-error").first).to_be_visible()
    page.locator("#answer-form").get_by_label("核查结果").select_option("corrected")
    page.locator("#answer-form").get_by_label("答复意见").fill("已按营业执照更正企业住所")
    page.locator("#answer-form").get_by_role("button", name="提交答复").click()
    expect(page.get_by_role("status")).to_contain_text("已答复")
    expect(page.locator("#objection-status")).to_have_text("已更正")
    expect(page.locator("#history")).to_contain_text("答复校核纠错")

    # the raiser accepts the answer
    page.context.clear_cookies()
    login(page, server, "gaj_clerk2")
    page.goto(objection_url)
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#objection-status")).to_have_text("已办结")


def test_an_upload_shows_its_quarantine_report(page, server: str, tmp_path):  # noqa: ANN001
    rows = ["统一社会信用代码,机构名称,机构地址,床位数,服务类型,联系电话"]
    for i in range(30):
        beds = "约一百张" if i in (4, 17) else str(40 + i)
        kind = "托老所" if i == 9 else "机构养老"
        uscc = make_uscc("5", "2", "331902", f"{77000000 + i:08d}")
        rows.append(f"{uscc},示范市测试颐养院{i:02d},示范市明湖区测试路{i}号,{beds},{kind},0571-8800{i:04d}")
    path = tmp_path / "养老机构_更新.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    login(page, server, "mzj_catalog")
    page.get_by_role("link", name="数据导入").click()
    page.locator("#library-tables tr", has_text=CARE_HOMES).get_by_role("link", name="导入").click()
    page.get_by_label("数据文件").set_input_files(str(path))
    page.get_by_role("button", name="开始导入").click()
    expect(page.locator("#ingest-status")).to_have_text("已完成")
    expect(page.locator("[data-count=read] dd")).to_have_text("30")
    expect(page.locator("[data-count=rejected] dd")).not_to_have_text("0")
    quarantine = page.locator("#quarantine-rows tbody tr")
    expect(quarantine.first).to_be_visible()
    expect(page.locator("#quarantine-rows")).to_contain_text("约一百张")
    expect(page.locator("#quarantine-rows")).to_contain_text("托老所")
    # the report is listed among the table's ingests
    page.get_by_role("link", name=CARE_HOMES).click()
    expect(page.locator("#ingests")).to_contain_text("养老机构_更新.csv")
