"""Fixtures of the web tests.

HTML tests (``test_pages.py`` …) use the ``client``/``world`` fixtures and so run on SQLite and PostgreSQL.
Browser tests (``test_browser.py``) share one real server on a store seeded with the demo city and one
headless chromium for the whole session; each test gets a fresh browser context (its own cookies).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from tests.web.browser import VIEWPORT, DemoStore, chromium_available, launch, seed_demo_store, start_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless chromium against a real server")


# ---- HTML over TestClient -------------------------------------------------------------------------
def web_login(client, username: str, password: str) -> str:  # noqa: ANN001
    """Log in through the console's form; returns the session's CSRF token (the client keeps the cookies)."""
    form = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    resp = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/console"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return client.cookies["govshare_csrf"]


# ---- browser ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    return seed_demo_store(tmp_path_factory.mktemp("demo"), persons=30)


@pytest.fixture(scope="session")
def server(demo: DemoStore) -> Iterator[str]:
    proc = start_server(demo)
    try:
        yield proc.base_url
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: apt-get install -y chromium fonts-noto-cjk")
        pytest.skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:  # noqa: ANN001
    """A fresh context per test. Script errors and CSP violations on any page fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    p = context.new_page()
    problems: list[str] = []
    p.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    p.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    yield p
    context.close()
    # A refused request (403/404 page on purpose) logs "Failed to load resource"; anything else is a bug.
    real = [m for m in problems if "Failed to load resource" not in m]
    assert not real, real
