"""Screenshots of the main console pages for the docs, taken from a real server on the demo city.

    .venv/bin/python -m tests.web.screenshots            # writes docs/screenshots/*.png (1366×800)
    .venv/bin/python -m tests.web.screenshots --only catalog-search,portal
    .venv/bin/python -m tests.web.screenshots --out /tmp/shots --lang en

Seeds 示范市 into a temporary store, lets its systems report some data use through the API, then logs in
as the people who use each page. Needs Debian's chromium (``apt-get install chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.web.browser import (
    PASSWORD,
    VIEWPORT,
    DemoStore,
    last_citizen_code,
    launch,
    login,
    person,
    record_usage,
    seed_demo_store,
    start_server,
)

ROOT = Path(__file__).resolve().parents[2]


def _query_as_gaj(base: str, store: DemoStore, id_number: str, name: str, db: Path) -> None:
    """The provider binds 最低生活保障对象信息 to a database holding the person; 公安局's system queries them."""
    import sqlite3

    import httpx

    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS dibao (sfzh TEXT PRIMARY KEY, xm TEXT, rks TEXT)")
        conn.execute("INSERT OR REPLACE INTO dibao VALUES (?, ?, '3')", (id_number, name))
    system = next(s for s in store.credentials["systems"] if s["org"] == "gaj")
    with httpx.Client(base_url=base, timeout=10) as api:
        token = api.post("/api/v1/auth/token", json={"username": "mzj_admin", "password": PASSWORD}).json()
        api.put(
            "/api/v1/exchange/bindings/209001/000001",
            json={
                "kind": "sql",
                "url": f"sqlite:///{db}",
                "table": "dibao",
                "columns": {"id_number": "sfzh", "recipient_name": "xm", "family_size": "rks"},
            },  # fmt: skip
            headers={"Authorization": f"Bearer {token['access_token']}"},
        ).raise_for_status()
        api.post(
            "/exchange/v1/resources/209001/000001/query",
            json={
                "keys": [id_number],
                "purpose_category": "social_assistance",
                "purpose": "低保申请家庭核查",
                "case_ref": "AJ20260001",
            },  # fmt: skip
            headers={"X-API-Key": system["api_key"], "X-On-Behalf-Of": "gaj_clerk1"},
        ).raise_for_status()


def _care_home_update(tmp: str) -> Path:
    """A quarterly update of 养老机构名录 with a few rows the validation rejects (the quarantine shows them)."""
    from govshare.standards.identifiers import make_uscc

    rows = ["统一社会信用代码,机构名称,机构地址,床位数,服务类型,联系电话"]
    for i in range(40):
        beds = {5: "约一百张", 18: "-3"}.get(i, str(60 + 3 * i))
        kind = "托老所" if i in (9, 27) else ["机构养老", "社区养老", "医养结合"][i % 3]
        uscc = make_uscc("5", "2", "331903", f"{88000000 + i:08d}")
        rows.append(f"{uscc},示范市云溪颐养院{i:02d},示范市云溪区康宁路{i + 1}号,{beds},{kind},0571-8712{i:04d}")
    rows.append("52331903ABCDEFGH,示范市名称不详养老院,示范市云溪区,30,机构养老,")
    path = Path(tmp) / "养老机构名录_2026Q4.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def take(out: Path, lang: str = "zh", usage_events: int = 400, only: set[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "zh" else f"-{lang}"
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = seed_demo_store(Path(tmp), persons=200, fast=False)
        server = start_server(store)
        try:
            base = server.base_url
            record_usage(base, store, usage_events)
            with sync_playwright() as pw:
                browser = launch(pw)

                def new_page():  # noqa: ANN202
                    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
                    if lang != "zh":
                        context.add_cookies([{"name": "lang", "value": lang, "url": base}])
                    return context.new_page()

                def shot(page, name: str) -> None:  # noqa: ANN001
                    if only and name not in only:
                        return
                    path = out / f"{name}{suffix}.png"
                    page.screenshot(path=str(path))
                    written.append(path)

                page = new_page()
                page.goto(f"{base}/console/login")
                shot(page, "login")
                page.context.close()

                # The operator's dashboard: platform-wide counts and audit activity.
                page = new_page()
                login(page, base, "sjj_platform")
                page.wait_for_selector("#chart-audit-per-day canvas")
                shot(page, "dashboard")
                page.context.close()

                # A department admin issues a key: the new key is shown once.
                page = new_page()
                login(page, base, "gaj_admin")
                page.goto(f"{base}/console/system/systems")
                page.locator("table a").first.click()
                page.locator("#k-label").fill("生产环境" if lang == "zh" else "production")
                page.locator("#credentials form.stack button[type=submit]").click()
                page.wait_for_selector("#new-key")
                shot(page, "system-keys")
                page.context.close()

                # The platform auditor searches the log and verifies the chain.
                page = new_page()
                login(page, base, "sjj_auditor")
                page.goto(f"{base}/console/audit?action=usage.")
                page.locator("#chain-status button[value=full]").click()
                page.wait_for_selector("#chain-ok")
                shot(page, "audit")
                page.context.close()

                # The open-data portal, as the public sees it.
                page = new_page()
                page.goto(f"{base}/")
                shot(page, "portal")
                page.context.close()

                # A clerk searches the catalog in Chinese and narrows by a facet.
                page = new_page()
                login(page, base, "gaj_clerk1")
                page.goto(f"{base}/console/catalog?q=人口&share_type=conditional")
                page.wait_for_selector("#catalog-results .hit")
                shot(page, "catalog-search")

                # …applies for 最低生活保障对象信息 (two items) …
                page.goto(f"{base}/console/sharing/apply?resource=209001/000001")
                for box in page.locator("input[name=items]").all():
                    if box.get_attribute("value") not in ("id_number", "recipient_name"):
                        box.uncheck()
                gaj_system = next(s for s in store.credentials["systems"] if s["org"] == "gaj")
                page.locator("#f-system_id").select_option(gaj_system["id"])
                page.locator("#f-purpose_category").select_option("social_assistance")
                page.locator("#f-purpose").fill(
                    "核查低保申请人的家庭情况" if lang == "zh" else "Checking a low-income household"
                )
                page.locator("#f-legal_basis").fill("《社会救助暂行办法》第十一条")
                page.locator("main form.stack button[type=submit]").first.click()
                page.wait_for_selector("#due")
                request_url = page.url.split("?")[0]
                page.context.close()

                # … and 民政局's approver answers it: the approval form with its narrowing options.
                page = new_page()
                login(page, base, "mzj_approver")
                page.goto(request_url + "#answer")
                page.locator("#approve-form input[name=masked_items][value=recipient_name]").check()
                page.locator("#a-reason").fill("姓名脱敏提供即可" if lang == "zh" else "The name is enough masked")
                page.locator("#answer").scroll_into_view_if_needed()
                shot(page, "request-approval")
                page.locator("#approve-form button[type=submit]").click()
                page.wait_for_selector("#request-status")
                agreement_url = base + page.locator("a[href^='/console/sharing/agreements/']").first.get_attribute(
                    "href"
                )
                page.context.close()
                for username in ("mzj_admin", "gaj_admin"):
                    page = new_page()
                    login(page, base, username)
                    page.goto(agreement_url)
                    page.locator("#confirm-agreement").click()
                    page.wait_for_selector("#agreement-status")
                    page.context.close()

                # The citizen queried by 公安局's system sees the access.
                id_number, name = person(store, 5)
                _query_as_gaj(base, store, id_number, name, Path(tmp) / "dibao.db")
                page = new_page()
                page.goto(f"{base}/me")
                page.locator("#f-id_number").fill(id_number)
                page.locator("#f-name").fill(name)
                page.locator("main form.stack button[type=submit]").click()
                page.wait_for_selector("#f-code")
                page.locator("#f-code").fill(last_citizen_code(store, id_number))
                page.locator("main form.stack button[type=submit]").click()
                page.wait_for_selector("#citizen-records")
                shot(page, "citizen")
                page.context.close()

                # 民政局's catalog manager uploads a file into 养老机构名录: the ingest report with its quarantine.
                page = new_page()
                login(page, base, "mzj_catalog")
                page.goto(f"{base}/console/data/ingest?table=209004%2F000001")
                page.get_by_label("数据文件" if lang == "zh" else "Data file").set_input_files(
                    str(_care_home_update(tmp))
                )
                page.locator("#upload-button").click()
                page.wait_for_selector("#quarantine-rows")
                page.wait_for_selector("#ingest-rules canvas")
                shot(page, "ingest-report")
                # … and runs the table's quality report (a second run gives the history line two points).
                page.goto(f"{base}/console/data/quality?table=209004%2F000001")
                page.locator("#run-quality button").click()
                page.wait_for_selector("#quality-fields canvas")
                shot(page, "quality")
                page.context.close()

                # The portal's page of an open dataset held in the library: CSV, JSON Lines and Parquet downloads.
                page = new_page()
                page.goto(f"{base}/open?q=养老机构")
                page.locator("#catalog-results .hit a", has_text="养老机构名录").first.click()
                page.wait_for_selector("#downloads")
                shot(page, "portal-dataset")
                page.context.close()
                browser.close()
        finally:
            server.stop()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. catalog-search,portal")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()} or None
    for path in take(args.out, args.lang, only=only):
        print(path)


if __name__ == "__main__":
    main()
