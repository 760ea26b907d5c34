"""Screenshots of the main console pages for the docs, taken from a real server on the demo city.

    .venv/bin/python -m tests.web.screenshots            # writes docs/screenshots/*.png (1366×800)
    .venv/bin/python -m tests.web.screenshots --out /tmp/shots --lang en

Seeds 示范市 into a temporary store, lets its systems report some data use through the API, then logs in
as the people who use each page. Needs Debian's chromium (``apt-get install chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.web.browser import VIEWPORT, launch, login, record_usage, seed_demo_store, start_server

ROOT = Path(__file__).resolve().parents[2]


def take(out: Path, lang: str = "zh", usage_events: int = 400) -> list[Path]:
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
                browser.close()
        finally:
            server.stop()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = parser.parse_args()
    for path in take(args.out, args.lang):
        print(path)


if __name__ == "__main__":
    main()
