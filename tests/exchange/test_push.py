"""Push delivery of feeds to a real HTTP receiver on 127.0.0.1 (no mocks).

The receiver verifies each page's SHA-256 and signature, applies rows by key, and recognises repeats by their
Idempotency-Key. It fails the first attempts (a 5xx, then a timeout after it had applied the page — the
platform never saw the 2xx, as after a crash between send and commit): the worker retries with backoff and the
same key, the receiver counts the duplicate, and after a snapshot and 3 rounds of changes its state equals the
provider's. A revoked grant stops delivery; bad input is a 4xx problem with nothing stored; another org's
subscription is 404.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from govshare.audit.models import AuditRecord
from govshare.crypto.signer import b64url_decode, verify_jwk
from govshare.db import utcnow
from govshare.exchange import push
from govshare.exchange.models import FeedSubscription
from govshare.library import service as library
from govshare.library.schemas import LibraryTableCreate
from govshare.runtime import Runtime
from govshare.sharing import service as sharing
from tests.conftest import make_settings
from tests.exchange.test_feeds_formats import SCHEMA, parse_page
from tests.sharing.conftest import Sharing, approve_all

IDS = ["11010519491231002X", "440524188001010014", "331902198005060172", "331903199211300246"]
PURPOSE = {"purpose_category": "social_assistance", "purpose": "低保对象名册同步"}
TIMEOUT_S = 1.0


@pytest.fixture
def runtime(store, tmp_path):  # noqa: ANN001, ANN201 - overrides tests/conftest.py's: push settings for tests
    rt = Runtime(
        make_settings(
            tmp_path,
            store.url,
            feeds_push_allow_insecure=True,
            feeds_push_timeout_seconds=TIMEOUT_S,
            feeds_push_backoff_base_seconds=2.0,
            feeds_push_backoff_max_seconds=60.0,
            feeds_push_max_attempts=4,
        )
    )
    yield rt
    rt.close()


class Receiver:
    """The consumer's endpoint. ``script`` says how to answer the next requests: an HTTP status, or "slow"
    (apply the page, then answer only after the platform's timeout)."""

    def __init__(self, jwk: dict, script: list | None = None) -> None:
        self.jwk, self.script = jwk, list(script or [])
        self.requests: list[dict] = []
        self.applied_keys: set[str] = set()
        self.duplicates = 0
        self.state: dict[str, dict | None] = {}
        self.seqs: list[int] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.handle(dict(self.headers), body)
                if status == "slow":
                    time.sleep(TIMEOUT_S * 2.5)
                    status = 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the platform gave up waiting

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/govshare"

    def handle(self, headers: dict, body: bytes):  # noqa: ANN201
        with self.lock:
            key = headers["Idempotency-Key"]
            self.requests.append({"headers": headers, "key": key, "rows": int(headers["X-Govshare-Rows"])})
            # 1. the checksum, 2. the platform's signature over (subscription, key, checksum)
            if hashlib.sha256(body).hexdigest() != headers["X-Govshare-SHA256"]:
                self.errors.append(f"checksum mismatch on {key}")
                return 400
            sig = dict(re.findall(r'(\w+)="([^"]*)"', headers["X-Govshare-Signature"]))
            signed = push.signing_input(headers["X-Govshare-Subscription"], key, headers["X-Govshare-SHA256"])
            if sig["kid"] != self.jwk["kid"] or not verify_jwk(self.jwk, signed, b64url_decode(sig["sig"])):
                self.errors.append(f"bad signature on {key}")
                return 400
            action = self.script.pop(0) if self.script else 200
            if action not in ("slow", 200):
                return action  # failed before applying anything
            if key in self.applied_keys:
                self.duplicates += 1  # a repeat: recognised by its Idempotency-Key, not applied twice
                return 200 if action == 200 else action
            cursor, next_cursor = int(headers["X-Govshare-Cursor"]), int(headers["X-Govshare-Next-Cursor"])
            if key != f"{headers['X-Govshare-Subscription']}:{cursor}-{next_cursor}":
                self.errors.append(f"unexpected key {key}")
            for row in parse_page(headers["X-Govshare-Format"], body):
                if self.seqs and row["seq"] <= self.seqs[-1]:
                    self.errors.append(f"seq {row['seq']} out of order")
                self.seqs.append(row["seq"])
                self.state[row["key"]] = None if row["op"] == "delete" else row["data"]
            self.applied_keys.add(key)
            return action

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _grant(sw: Sharing) -> str:
    with sw.runtime.db.write() as s:
        req = sharing.submit_request(
            s,
            actor=sw.a_clerk,
            data=sw.request_body(sw.cond, items=["id_number", "name", "address"], expected_daily_records=100_000),
        )
        request_id = req.id
    grant_id, _ = approve_all(
        sw, request_id, items=["id_number", "name", "address"], masked_items=["address"], reason="地址脱敏"
    )
    return grant_id


def _library_table(sw: Sharing) -> None:
    with sw.runtime.db.write() as s:
        library.create_table(
            s,
            actor=sw.b_admin,
            data=LibraryTableCreate(resource_code=sw.cond, name="低保对象专题库", schema=SCHEMA, update_cycle="daily"),
        )


@pytest.fixture
def feed(sw: Sharing) -> tuple[Sharing, str]:
    grant_id = _grant(sw)
    _library_table(sw)
    return sw, grant_id


def _ingest(sw: Sharing, tmp_path, n: int, people: dict[str, tuple[str, str]]) -> None:
    path = tmp_path / f"round{n}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id_number", "name", "address"])
        w.writerows([k, name, addr] for k, (name, addr) in people.items())
    library.ingest(sw.runtime.db, actor=sw.b_admin, code=sw.cond, path=path)


def _subscribe(client, sw: Sharing, url: str, **overrides):  # noqa: ANN202
    body = {"resource_code": sw.cond, "endpoint_url": url, "format": "jsonl", "page_size": 2, **PURPOSE, **overrides}
    return client.post("/exchange/v1/subscriptions", json=body, headers={"X-API-Key": sw.world.a.api_key})


def _sub(sw: Sharing, sub_id: str) -> FeedSubscription:
    with sw.runtime.db.read() as s:
        sub = s.get(FeedSubscription, sub_id)
        s.expunge(sub)
        return sub


class Clock:
    """The worker's "now": moved forward past any backoff so the test does not sleep through it."""

    def __init__(self) -> None:
        self.now = utcnow()

    def later(self, seconds: float = 3600) -> Clock:
        self.now += timedelta(seconds=seconds)
        return self


def _drain(rt: Runtime, clock: Clock, rounds: int = 50) -> list[str]:
    outcomes = []
    for _ in range(rounds):
        report = push.deliver_due(rt, now=clock.later().now)
        outcomes += ["delivered"] * len(report.delivered) + ["failed"] * len(report.failed)
        outcomes += ["stopped"] * len(report.stopped)
        if report.idle or report.stopped:
            return outcomes
    raise AssertionError("the feed did not drain")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_push_snapshot_and_changes_with_retries(client, feed, tmp_path, fmt):
    sw, _ = feed
    people = {IDS[0]: ("张三", "明湖区1号"), IDS[1]: ("李四", "云溪区2号"), IDS[2]: ("王五", "新港区3号")}
    _ingest(sw, tmp_path, 0, people)
    receiver = Receiver(sw.runtime.keys.signer.public_jwk(), script=[503, "slow"])
    try:
        resp = _subscribe(client, sw, receiver.url, format=fmt)
        assert resp.status_code == 201, resp.text
        sub_id = resp.json()["id"]
        assert resp.headers["Location"].endswith(sub_id)
        clock = Clock()

        # 1st attempt: 503 → failure counted, backoff with jitter within [base/2, base]
        report = push.deliver_due(sw.runtime, now=clock.now)
        assert report.failed == [sub_id]
        sub = _sub(sw, sub_id)
        assert sub.attempts == 1 and sub.last_error == "HTTP 503" and sub.cursor == 0 and sub.pending_until == 2
        delay = (sub.next_attempt_at - clock.now).total_seconds()
        assert 1.0 <= delay <= 2.0
        assert push.deliver_due(sw.runtime, now=clock.now).failed == []  # not due yet: backing off

        # 2nd attempt: the receiver applies the page but answers after the timeout → failure, cursor kept
        started = time.monotonic()
        report = push.deliver_due(sw.runtime, now=clock.later(delay).now)
        assert report.failed == [sub_id] and time.monotonic() - started < TIMEOUT_S * 2.4
        sub = _sub(sw, sub_id)
        assert sub.attempts == 2 and sub.last_error == "timeout" and sub.cursor == 0
        assert 2.0 <= (sub.next_attempt_at - clock.now).total_seconds() <= 4.0  # exponential
        first_key = receiver.requests[0]["key"]

        # a change arrives meanwhile: the retry still re-sends exactly the range in flight, under the same key
        people[IDS[0]] = ("张三丰", "明湖区1号")
        _ingest(sw, tmp_path, 1, {IDS[0]: people[IDS[0]]})
        report = push.deliver_due(sw.runtime, now=clock.later().now)
        assert report.delivered == [sub_id]
        assert [r["key"] for r in receiver.requests] == [first_key] * 3 and receiver.duplicates == 1
        sub = _sub(sw, sub_id)
        assert sub.cursor == 2 and sub.attempts == 0 and sub.pending_until is None and sub.last_error is None

        _drain(sw.runtime, clock)
        rounds = [
            {IDS[3]: ("赵六", "明湖区9号")},  # an insert
            {IDS[1]: ("李四", "云溪区20号"), IDS[2]: ("王小五", "新港区3号")},  # two changes
            {IDS[3]: ("赵六", "明湖区10号")},
        ]
        for n, changes in enumerate(rounds, start=2):
            _ingest(sw, tmp_path, n, changes)
            people.update(changes)
            _drain(sw.runtime, clock)
    finally:
        receiver.close()

    assert receiver.errors == []
    assert receiver.duplicates == 1  # seen at least once each, the one repeat recognised by its key
    assert receiver.seqs == sorted(receiver.seqs)
    # final state equals the provider's: names in clear, addresses masked
    assert {k: v["name"] for k, v in receiver.state.items()} == {k: n for k, (n, _) in people.items()}
    assert all(v["address"] != people[k][1] and "*" in v["address"] for k, v in receiver.state.items())
    assert {k: v["id_number"] for k, v in receiver.state.items()} == {k: k for k in people}
    sub = _sub(sw, sub_id)
    with sw.runtime.db.read() as s:
        head = s.scalar(select(func.max(AuditRecord.seq)))
        feeds_audited = s.scalars(select(AuditRecord.detail).where(AuditRecord.action == "exchange.feed")).all()
        assert head and s.scalar(select(func.count()).where(AuditRecord.action == "exchange.subscription.create")) == 1
    pushed = [json.loads(d) for d in feeds_audited if json.loads(d).get("subscription_id") == sub_id]
    assert len(pushed) == len(receiver.requests)  # every page sent, retries included, is audited before it left
    assert all(p["channel"] == "push" and p["format"] == fmt for p in pushed)
    assert sub.delivered_pages == len(receiver.applied_keys) and sub.status == "active"
    assert sub.cursor == max(receiver.seqs)


def test_revoked_grant_stops_delivery(client, feed, tmp_path):
    sw, grant_id = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号")})
    receiver = Receiver(sw.runtime.keys.signer.public_jwk())
    try:
        sub_id = _subscribe(client, sw, receiver.url).json()["id"]
        clock = Clock()
        assert _drain(sw.runtime, clock) == ["delivered"]
        with sw.runtime.db.write() as s:
            sharing.revoke_grant(s, actor=sw.b_admin, grant_id=grant_id, reason="停止合作")
        _ingest(sw, tmp_path, 1, {IDS[1]: ("李四", "云溪区2号")})
        report = push.deliver_due(sw.runtime, now=clock.later().now)
        assert report.stopped == [sub_id]
        assert push.deliver_due(sw.runtime, now=clock.later().now).stopped == []  # stays stopped
    finally:
        receiver.close()
    assert len(receiver.requests) == 1  # nothing after the revocation
    sub = _sub(sw, sub_id)
    assert sub.status == "failed" and sub.last_error
    with sw.runtime.db.read() as s:
        actions = s.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
    assert "sharing.policy.deny" in actions and actions[-1] == "exchange.subscription.stopped"
    # resuming does not get round the policy
    resp = client.post(f"/exchange/v1/subscriptions/{sub_id}/resume", headers={"X-API-Key": sw.world.a.api_key})
    assert resp.status_code == 200 and resp.json()["status"] == "active"
    assert push.deliver_due(sw.runtime, now=clock.later().now).stopped == [sub_id]


def test_failing_endpoint_ends_failed_then_resumes(client, feed, tmp_path):
    sw, _ = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号")})
    receiver = Receiver(sw.runtime.keys.signer.public_jwk(), script=[500] * 4)
    try:
        sub_id = _subscribe(client, sw, receiver.url).json()["id"]
        clock = Clock()
        assert _drain(sw.runtime, clock) == ["failed"] * 3 + ["stopped"]  # feeds_push_max_attempts = 4
        sub = _sub(sw, sub_id)
        assert sub.status == "failed" and sub.attempts == 4 and sub.cursor == 0
        assert "HTTP 500" in sub.last_error
        h = {"X-API-Key": sw.world.a.api_key}
        assert client.post(f"/exchange/v1/subscriptions/{sub_id}/resume", headers=h).json()["attempts"] == 0
        assert _drain(sw.runtime, clock) == ["delivered"]
        assert receiver.state[IDS[0]]["name"] == "张三"
        # pause: nothing is delivered until resumed
        assert client.post(f"/exchange/v1/subscriptions/{sub_id}/pause", headers=h).json()["status"] == "paused"
        _ingest(sw, tmp_path, 1, {IDS[1]: ("李四", "云溪区2号")})
        assert push.deliver_due(sw.runtime, now=clock.later().now).delivered == []
        client.post(f"/exchange/v1/subscriptions/{sub_id}/resume", headers=h)
        assert _drain(sw.runtime, clock) == ["delivered"]
        assert set(receiver.state) == {IDS[0], IDS[1]}
    finally:
        receiver.close()


def _count(sw: Sharing) -> int:
    with sw.runtime.db.read() as s:
        return s.scalar(select(func.count()).select_from(FeedSubscription))


def test_bad_subscription_input_is_a_problem_and_stores_nothing(client, sw: Sharing, tmp_path):
    ok = "http://127.0.0.1:9/hook"
    _grant(sw)
    # a granted resource that is not held in the library has no feed
    resp = _subscribe(client, sw, ok)
    assert resp.status_code == 409 and resp.json()["code"] == "feed_not_available"
    _library_table(sw)
    cases = [
        ({"endpoint_url": "http://example.org/hook"}, 422, "endpoint_insecure"),
        ({"endpoint_url": "ftp://example.org/hook"}, 422, "endpoint_invalid"),
        ({"endpoint_url": "https://user:pw@example.org/hook"}, 422, "endpoint_credentials"),
        ({"endpoint_url": "https://example.org:99999/hook"}, 422, "endpoint_invalid"),
        ({"endpoint_url": ok, "format": "xml"}, 422, "validation_failed"),
        ({"endpoint_url": ok, "page_size": 0}, 422, "validation_failed"),
        ({"endpoint_url": ok, "page_size": 100_000}, 422, "validation_failed"),
        ({"endpoint_url": ok, "start_cursor": 10**6}, 422, "cursor_ahead"),
        ({"endpoint_url": ok, "surprise": 1}, 422, "validation_failed"),
        ({"endpoint_url": ok, "purpose_category": "tax_collection"}, 403, None),  # not the granted purpose
        ({"endpoint_url": ok, "resource_code": sw.uncond}, 403, None),  # no grant
        ({"endpoint_url": ok, "resource_code": "999999/999999"}, 404, None),
    ]
    for overrides, status, code in cases:
        resp = _subscribe(client, sw, **{"url": overrides.pop("endpoint_url"), **overrides})
        assert resp.status_code == status, (overrides, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        if code:
            assert resp.json()["code"] == code, resp.json()
    # without a system key
    resp = client.post("/exchange/v1/subscriptions", json={"resource_code": sw.cond, "endpoint_url": ok, **PURPOSE})
    assert resp.status_code == 401
    assert _count(sw) == 0
    with sw.runtime.db.read() as s:
        assert not s.scalar(select(func.count()).where(AuditRecord.action == "exchange.subscription.create"))


def test_another_orgs_subscription_is_404(client, feed, tmp_path):
    sw, _ = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号")})
    sub_id = _subscribe(client, sw, "https://gaj.example.gov.cn/hooks/feed").json()["id"]
    mine, theirs = {"X-API-Key": sw.world.a.api_key}, {"X-API-Key": sw.world.b.api_key}
    assert client.get(f"/exchange/v1/subscriptions/{sub_id}", headers=mine).status_code == 200
    assert [s["id"] for s in client.get("/exchange/v1/subscriptions", headers=mine).json()] == [sub_id]
    assert client.get("/exchange/v1/subscriptions", headers=theirs).json() == []
    for method, path in [
        ("GET", ""),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("DELETE", ""),
    ]:
        resp = client.request(method, f"/exchange/v1/subscriptions/{sub_id}{path}", headers=theirs)
        assert resp.status_code == 404 and resp.json()["code"] == "subscription_not_found"
    assert _sub(sw, sub_id).status == "active"
    assert client.delete(f"/exchange/v1/subscriptions/{sub_id}", headers=mine).status_code == 204
    assert client.get(f"/exchange/v1/subscriptions/{sub_id}", headers=mine).status_code == 404
    assert _count(sw) == 0


def test_two_workers_never_send_the_same_subscription_at_once(client, feed, tmp_path):
    sw, _ = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号")})
    receiver = Receiver(sw.runtime.keys.signer.public_jwk())
    try:
        _subscribe(client, sw, receiver.url)
        now = utcnow()
        reports: list = []
        workers = [
            threading.Thread(target=lambda: reports.append(push.deliver_due(sw.runtime, now=now))) for _ in range(3)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        receiver.close()
    assert sum(len(r.delivered) for r in reports) == 1 and len(receiver.requests) == 1  # the lease held


def test_background_loop_and_cli_deliver(store, tmp_path, monkeypatch):
    """The app's lifespan runs the loop when ``feeds_push_enabled``; ``govshare feeds deliver --once`` does one pass."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from govshare.app import create_app
    from govshare.cli import app as cli
    from govshare.config import get_settings

    rt = Runtime(
        make_settings(
            tmp_path,
            store.url,
            feeds_push_allow_insecure=True,
            feeds_push_enabled=True,
            feeds_push_interval_seconds=0.05,
            feeds_push_timeout_seconds=TIMEOUT_S,
        )
    )
    try:
        sw = _sharing_world(rt)
        _grant(sw)
        _library_table(sw)
        _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号"), IDS[1]: ("李四", "云溪区2号")})
        receiver = Receiver(rt.keys.signer.public_jwk())
        try:
            with TestClient(create_app(runtime=rt)) as c:
                sub_id = _subscribe(c, sw, receiver.url, page_size=1).json()["id"]
                deadline = time.monotonic() + 20
                while len(receiver.applied_keys) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert set(receiver.state) == {IDS[0], IDS[1]}  # two pages, delivered in the background
                c.post(f"/exchange/v1/subscriptions/{sub_id}/pause", headers={"X-API-Key": sw.world.a.api_key})
            _ingest(sw, tmp_path, 1, {IDS[2]: ("王五", "新港区3号")})
            with rt.db.write() as s:
                s.get(FeedSubscription, sub_id).status = "active"
            monkeypatch.setenv("GOVSHARE_DATABASE_URL", store.url)
            monkeypatch.setenv("GOVSHARE_DATA_DIR", str(rt.settings.data_dir))
            monkeypatch.setenv("GOVSHARE_FEEDS_PUSH_ALLOW_INSECURE", "true")
            monkeypatch.setenv("GOVSHARE_LOG_JSON", "false")
            get_settings.cache_clear()
            try:
                result = CliRunner().invoke(cli, ["feeds", "deliver", "--once"])
            finally:
                get_settings.cache_clear()
            assert result.exit_code == 0, result.output
            assert "delivered 1 pages (1 rows)" in result.output
            assert IDS[2] in receiver.state
        finally:
            receiver.close()
    finally:
        rt.close()


def _sharing_world(rt: Runtime) -> Sharing:
    """The ``world`` and ``sw`` fixtures, for a runtime with its own settings."""
    import tests.sharing.conftest as sc
    from tests.conftest import world as world_fixture

    world = world_fixture.__wrapped__(rt)
    return sc.sw.__wrapped__(rt, world)


def test_library_deletions_flow_as_delete_ops(client, feed, tmp_path):
    """Tombstones written by the library (``library.delete_records``) reach pull and push as ``op: delete``."""
    if not hasattr(library, "delete_records"):
        pytest.skip("the library has no deletions yet")
    sw, _ = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号"), IDS[1]: ("李四", "云溪区2号")})
    receiver = Receiver(sw.runtime.keys.signer.public_jwk())
    try:
        _subscribe(client, sw, receiver.url, format="csv")
        clock = Clock()
        _drain(sw.runtime, clock)
        with sw.runtime.db.write() as s:
            library.delete_records(s, actor=sw.b_admin, code=sw.cond, keys=[IDS[0]])
        _drain(sw.runtime, clock)
    finally:
        receiver.close()
    assert receiver.errors == []
    assert receiver.state[IDS[0]] is None and receiver.state[IDS[1]]["name"] == "李四"
    pulled = client.get(
        f"/exchange/v1/feeds/{sw.cond}/changes",
        params={"cursor": 0, "limit": 10, **PURPOSE},
        headers={"X-API-Key": sw.world.a.api_key},
    )
    rows = [json.loads(line) for line in pulled.content.splitlines()]
    assert rows[-1]["op"] == "delete" and rows[-1]["key"] == IDS[0] and "data" not in rows[-1]


def test_departments_see_who_subscribes_to_their_resources(client, feed, tmp_path):
    """Provider side (谁在用我们的数据) and consumer side see the subscription, without the endpoint; the platform's
    auditors see all; a clerk may not list; a system uses its own listing."""
    from govshare.errors import Problem

    sw, _ = feed
    _ingest(sw, tmp_path, 0, {IDS[0]: ("张三", "明湖区1号")})
    sub_id = _subscribe(client, sw, "https://gaj.example.gov.cn/hooks/feed").json()["id"]
    with sw.runtime.db.read() as s:
        provider = push.department_subscriptions(s, actor=sw.b_admin)
        consumer = push.department_subscriptions(s, actor=sw.a_admin)
        platform = push.department_subscriptions(s, actor=sw.op_admin, resource_code=sw.cond)
        other_code = push.department_subscriptions(s, actor=sw.b_admin, resource_code=sw.uncond)
        with pytest.raises(Problem) as denied:
            push.department_subscriptions(s, actor=sw.b_clerk)
    assert [o.id for o in provider] == [o.id for o in consumer] == [o.id for o in platform] == [sub_id]
    assert provider[0].provider_org_id == sw.b_admin.org_id and provider[0].org_id == sw.a_admin.org_id
    assert "endpoint_url" not in provider[0].model_dump() and other_code == []
    assert denied.value.status == 403
    resp = client.get("/api/v1/exchange/subscriptions", headers={"X-API-Key": sw.world.a.api_key})
    assert resp.status_code == 403 and resp.headers["content-type"].startswith("application/problem+json")
