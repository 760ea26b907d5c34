"""Provider adapters against a real second database (SQLite, PostgreSQL) and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest
from sqlalchemy import create_engine, text

from govshare.errors import Problem
from govshare.exchange.adapters import GuardRegistry, HttpAdapter, SqlAdapter

PG_URL = os.environ.get("GOVSHARE_TEST_POSTGRES_URL", "").strip()

PEOPLE = [
    ("11010519491231002X", "张三", "男", "2026-11-01T08:00:00"),
    ("440524188001010014", "李四", "女", "2026-10-01T08:00:00"),
]


def _fill(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE rk_person (sfzh VARCHAR(18) PRIMARY KEY, xm VARCHAR(32), xb VARCHAR(2),"
                " gxsj VARCHAR(32), secret_col VARCHAR(10))"
            )
        )
        for p in PEOPLE:
            c.execute(
                text("INSERT INTO rk_person VALUES (:a, :b, :c, :d, 'hidden')"), dict(zip("abcd", p, strict=True))
            )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def provider_db(request, tmp_path):
    """A second database standing for the provider's own system."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'provider.db'}"
        _fill(url)
        yield url
        return
    admin_url = (
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") else PG_URL
    )
    name = f"gs_provider_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    _fill(url)
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sql_adapter(url: str) -> SqlAdapter:
    return SqlAdapter(
        url=url,
        table_name="rk_person",
        updated_at_column="gxsj",
        columns={"id_number": "sfzh", "name": "xm", "gender": "xb"},
    )


def test_sql_adapter_fetches_mapped_items(provider_db):
    adapter = _sql_adapter(provider_db)
    rows = adapter.fetch(
        "id_number", ["11010519491231002X", "440524188001010014", "000000000000000000"], ["name", "gender"]
    )
    assert set(rows) == {"11010519491231002X", "440524188001010014"}
    assert rows["11010519491231002X"].values == {"id_number": "11010519491231002X", "name": "张三", "gender": "男"}
    assert rows["11010519491231002X"].updated_at.startswith("2026-11-01")
    assert rows["11010519491231002X"].source == "sql:rk_person"
    # only mapped, requested items leave the provider
    assert "secret_col" not in rows["11010519491231002X"].values
    assert adapter.fetch("id_number", ["11010519491231002X"], ["name"])["11010519491231002X"].values == {
        "id_number": "11010519491231002X",
        "name": "张三",
    }
    adapter.close()


def test_sql_adapter_binds_keys_and_cannot_write(provider_db):
    adapter = _sql_adapter(provider_db)
    evil = "x' OR '1'='1"
    assert adapter.fetch("id_number", [evil], ["name"]) == {}
    with pytest.raises(Exception), adapter.engine.begin() as c:  # noqa: B017 - any driver error will do
        c.execute(text("DELETE FROM rk_person"))
    assert len(adapter.fetch("id_number", [p[0] for p in PEOPLE], ["name"])) == 2
    adapter.close()


def test_sql_adapter_rejects_bad_identifiers(provider_db):
    with pytest.raises(ValueError):
        SqlAdapter(url=provider_db, table_name="rk_person; DROP TABLE x", columns={"id_number": "sfzh"})


# ---- a real HTTP provider ---------------------------------------------------------------------------
class _Provider(BaseHTTPRequestHandler):
    mode = {"slow": 0.0, "fail": 0}
    calls = {"n": 0}

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802
        _Provider.calls["n"] += 1
        if self.headers.get("Authorization") != "Bearer t0ken":
            self.send_response(401)
            self.end_headers()
            return
        if _Provider.mode["slow"]:
            time.sleep(_Provider.mode["slow"])
        if _Provider.mode["fail"]:
            _Provider.mode["fail"] -= 1
            self.send_response(500)
            self.end_headers()
            return
        key = unquote(self.path.rsplit("/", 1)[-1])
        person = next((p for p in PEOPLE if p[0] == key), None)
        if person is None:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(
            {"code": 0, "data": {"sfzh": person[0], "xm": person[1], "xb": person[2], "meta": {"gxsj": person[3]}}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_provider():
    _Provider.mode.update(slow=0.0, fail=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _http_adapter(base: str, timeout: float = 2.0) -> HttpAdapter:
    return HttpAdapter(
        url_template=base + "/api/persons/{key}",
        auth_header="Authorization",
        auth_value="Bearer t0ken",
        updated_at_path="data.meta.gxsj",
        timeout_s=timeout,
        fields={"id_number": "data.sfzh", "name": "data.xm", "gender": "data.xb"},
    )


def test_http_adapter_maps_fields(http_provider):
    adapter = _http_adapter(http_provider)
    rows = adapter.fetch("id_number", ["11010519491231002X", "000"], ["name"])
    assert list(rows) == ["11010519491231002X"]
    assert rows["11010519491231002X"].values == {"id_number": "11010519491231002X", "name": "张三"}
    assert rows["11010519491231002X"].updated_at.startswith("2026-11-01")
    adapter.close()


def test_transient_failures_are_retried(http_provider):
    guards = GuardRegistry()
    adapter = _http_adapter(http_provider)
    _Provider.mode["fail"] = 2  # two 500s, then fine: within the 2 retries
    rows = guards.get("gaj", timeout_s=3.0).call(lambda: adapter.fetch("id_number", [PEOPLE[0][0]], ["name"]))
    assert rows[PEOPLE[0][0]].values["name"] == "张三"
    guards.close()


def test_down_provider_gives_503_and_the_breaker_opens(http_provider):
    guards = GuardRegistry()
    adapter = _http_adapter(http_provider)
    _Provider.mode["fail"] = 10_000
    guard = guards.get("broken", timeout_s=2.0, fail_max=3, backoff_s=0.01)
    codes = []
    for _ in range(4):
        with pytest.raises(Problem) as err:
            guard.call(lambda: adapter.fetch("id_number", [PEOPLE[0][0]], ["name"]))
        codes.append((err.value.status, err.value.code, err.value.extra.get("reason")))
    assert codes[0][:2] == (503, "provider_unavailable")
    assert codes[-1] == (503, "provider_unavailable", "circuit_open")
    before = _Provider.calls["n"]
    with pytest.raises(Problem):
        guard.call(lambda: adapter.fetch("id_number", [PEOPLE[0][0]], ["name"]))
    assert _Provider.calls["n"] == before  # an open circuit does not even call the provider
    guards.close()


def _slow_and_fast(http_provider, tmp_path):  # noqa: ANN001, ANN202
    """A provider over HTTP that answers after 1.5 s, and a SQL provider that answers at once."""
    slow = _http_adapter(http_provider, timeout=5.0)
    _Provider.mode["slow"] = 1.5
    sql_url = f"sqlite:///{tmp_path / 'fast.db'}"
    _fill(sql_url)
    return slow, _sql_adapter(sql_url)


def test_slow_provider_times_out_without_slowing_others(http_provider, tmp_path):
    guards = GuardRegistry()
    slow, fast = _slow_and_fast(http_provider, tmp_path)
    slow_guard = guards.get("slow", timeout_s=0.5, max_concurrent=2)
    fast_guard = guards.get("fast", timeout_s=0.5)
    errors = []

    def hammer():
        try:
            slow_guard.call(lambda: slow.fetch("id_number", [PEOPLE[0][0]], ["name"]))
        except Problem as exc:
            errors.append((exc.status, exc.code))

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    rows = fast_guard.call(lambda: fast.fetch("id_number", [PEOPLE[1][0]], ["name"]))
    fast_elapsed = time.monotonic() - t0
    for t in threads:
        t.join()
    assert rows[PEOPLE[1][0]].values["name"] == "李四"
    assert fast_elapsed < 0.3, fast_elapsed
    assert errors and all(e[0] in (503, 504) for e in errors)
    assert (504, "provider_timeout") in errors
    assert time.monotonic() - started < 0.5 * 6 + 1  # every slow call ended near its deadline
    guards.close()
    fast.close()


def test_awaited_calls_time_out_on_the_loop_without_slowing_others(http_provider, tmp_path):
    """As above, the way the gateway calls: awaited on one event loop (Bulkhead.run_async)."""
    import asyncio

    guards = GuardRegistry()
    slow, fast = _slow_and_fast(http_provider, tmp_path)
    slow_guard = guards.get("slow-async", timeout_s=0.5, max_concurrent=2)
    fast_guard = guards.get("fast-async", timeout_s=0.5)

    async def slow_call():
        try:
            await slow_guard.call_async(lambda: slow.fetch("id_number", [PEOPLE[0][0]], ["name"]))
        except Problem as exc:
            return exc.status, exc.code

    async def fast_call():
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        rows = await fast_guard.call_async(lambda: fast.fetch("id_number", [PEOPLE[1][0]], ["name"]))
        return rows, time.monotonic() - t0

    async def go():
        return await asyncio.gather(fast_call(), *(slow_call() for _ in range(4)))

    started = time.monotonic()
    (rows, fast_elapsed), *errors = asyncio.run(go())
    assert rows[PEOPLE[1][0]].values["name"] == "李四" and fast_elapsed < 0.3, fast_elapsed
    assert errors == [(504, "provider_timeout")] * 4
    assert time.monotonic() - started < 1.5  # the four waited together, each until its deadline
    guards.close()
    fast.close()
