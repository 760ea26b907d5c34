"""Shared by the browser tests and the screenshot script: a seeded demo store, a real server, Debian's chromium.

Playwright comes from PyPI; its own browser download is never used. The browser is the distribution's
``/usr/bin/chromium`` (``apt-get install chromium``), started headless with the flags below.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx

from govshare.config import Settings
from govshare.migrate import upgrade
from govshare.runtime import Runtime
from govshare.seed.city import DEMO_PASSWORD
from govshare.seed.service import CREDENTIALS_FILE, seed_city
from tests.serverproc import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 800}
PASSWORD = DEMO_PASSWORD


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def launch(playwright):  # noqa: ANN001, ANN201
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@dataclass
class DemoStore:
    data_dir: Path
    url: str

    @property
    def credentials(self) -> dict:
        return json.loads((self.data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Hash the seeded staff passwords with minimal argon2id parameters.

    With the production parameters (64 MiB, 3 passes) the 100 demo staff take 12 s or more to hash. The cheap
    hashes are ordinary argon2id hashes (their parameters are stored in them), so logins verify them as usual,
    and the server rehashes each at full strength on its first successful login.
    """
    from argon2 import PasswordHasher

    from govshare.identity import service

    saved = service._hasher
    service._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    try:
        yield
    finally:
        service._hasher = saved


def seed_demo_store(base: Path, *, persons: int = 30, fast: bool = True) -> DemoStore:
    """示范市 in a fresh SQLite store under ``base`` (24 departments, their systems and staff)."""
    data_dir = base / "var"
    settings = Settings(
        data_dir=data_dir,
        sqlite_synchronous="NORMAL",
        log_json=False,
        log_level="WARNING",
        audit_checkpoint_seconds=3600,
    )
    rt = Runtime(settings)
    try:
        upgrade(rt.db)
        with cheap_password_hashing() if fast else nullcontext():
            seed_city(rt, seed=2026, persons=persons)
        url = rt.settings.effective_database_url
    finally:
        rt.close()
    return DemoStore(data_dir, url)


class WebServer(ServerProcess):
    """``tests.web.server`` (the real app, plus the citizen page's name check against the seeded persons) with
    its log in ``DATA_DIR/server.log``, where the citizen's one-time codes are written."""

    def start(self, timeout: float = 30.0) -> WebServer:
        log_path = Path(self.env["GOVSHARE_DATA_DIR"]) / "server.log"
        self.log_path = log_path
        self._log = log_path.open("ab")
        cmd = [sys.executable, "-m", "tests.web.server", "--host", "127.0.0.1", "--port", str(self.port)]
        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=root, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        super().stop()
        self._log.close()


def start_server(store: DemoStore) -> WebServer:
    return WebServer(store.data_dir, store.url).start()


def last_citizen_code(store: DemoStore, id_number: str, timeout: float = 5.0) -> str:
    """The newest one-time code the server logged for ``id_number`` (the demo's SMS)."""
    masked = id_number[:6] + "********" + id_number[-4:]
    log_path = store.data_dir / "server.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        codes = [
            m.group(1)
            for line in text.splitlines()
            if "citizen_otp" in line and masked in line
            for m in [re.search(r"code[\"']?\s*[:=]\s*[\"']?(\d{6})", line)]
            if m
        ]
        if codes:
            return codes[-1]
        time.sleep(0.1)
    raise AssertionError(f"no citizen_otp line for {masked} in {log_path}")


def person(store: DemoStore, index: int = 1) -> tuple[str, str]:
    """(ID number, name) of a seeded person (the citizen of the tests)."""
    lines = (store.data_dir / "seed" / "persons.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[index].split(",")
    return fields[0], fields[1]


PURPOSES = [
    "最低生活保障资格核对",
    "户籍信息核验",
    "不动产登记受理",
    "婚姻状况核验",
    "社保参保状态核验",
    "公证事项核实",
]
USE_ACTIONS = ["use.verify", "use.case_decision", "use.print", "use.display"]


def record_usage(base_url: str, store: DemoStore, n: int, *, seed: int = 7) -> None:
    """Systems report their use of shared data through the public API (``POST /api/v1/audit/events``),
    as a consumer system would, so the dashboard and the audit log have something to show."""
    rng = random.Random(seed)
    systems = store.credentials["systems"]
    persons_csv = store.data_dir / "seed" / "persons.csv"
    ids = [line.split(",")[0] for line in persons_csv.read_text(encoding="utf-8").splitlines()[1:]]
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for i in range(n):
            system = systems[rng.randrange(len(systems))]
            body = {
                "action": rng.choice(USE_ACTIONS),
                "purpose": rng.choice(PURPOSES),
                "subject": rng.choice(ids),
                "object_type": "case",
                "object_id": f"AJ2026{i:05d}",
                "outcome": "ok" if rng.random() > 0.08 else "denied",
            }
            resp = client.post("/api/v1/audit/events", json=body, headers={"X-API-Key": system["api_key"]})
            resp.raise_for_status()


def login(page, base_url: str, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(f"{base_url}/console/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"{base_url}/console")
