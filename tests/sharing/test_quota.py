"""Daily quotas per grant: exact under concurrency (threads and several processes' ledgers), 429 audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from govshare.audit.models import AuditRecord
from govshare.runtime import Runtime
from govshare.sharing import policy, service
from govshare.sharing.models import QuotaUsage
from govshare.sharing.policy import PolicyEngine, PolicyQuery, engine_for
from govshare.sharing.quota import Limit, QuotaLedger, day_key, seconds_to_midnight
from tests.conftest import make_settings
from tests.sharing.conftest import Sharing, approve_all


def _grant(sw: Sharing, **approve) -> str:  # noqa: ANN003
    with sw.runtime.db.write() as s:
        rid = service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond)).id
    return approve_all(sw, rid, **approve)[0]


def _query(sw: Sharing) -> PolicyQuery:
    return PolicyQuery(
        sw.world.a.system_id,
        sw.world.a.org_id,
        sw.cond,
        "social_assistance",
        ("id_number",),
        subject="11010519491231002X",
    )


def test_exactly_the_limit_under_concurrent_threads(sw: Sharing) -> None:
    _grant(sw, daily_calls=37)
    engine = engine_for(sw.runtime)
    q = _query(sw)
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            code = engine.authorize(q, audit=False).code
            with lock:
                results.append(code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("allowed") == 37 and results.count("quota_exceeded") == 43


def test_several_processes_never_exceed_the_limit_together(sw: Sharing, tmp_path) -> None:  # noqa: ANN001
    grant_id = _grant(sw, daily_calls=60)
    q = _query(sw)
    runtimes = [Runtime(make_settings(tmp_path / f"p{i}", sw.runtime.db.url)) for i in range(2)]
    try:
        engines = [PolicyEngine(rt) for rt in runtimes]
        for e in engines:
            policy._engines.discard(e)
        allowed = [0, 0]
        lock = threading.Lock()

        def worker(i: int) -> None:
            for _ in range(25):
                if engines[i].authorize(q, audit=False).allowed:
                    with lock:
                        allowed[i] += 1

        threads = [threading.Thread(target=worker, args=(i % 2,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        block = QuotaLedger(None)._block(60)
        assert sum(allowed) <= 60  # never more than the limit, however the leases fell
        assert sum(allowed) >= 60 - 2 * block  # at most one unspent lease per process
        assert all(allowed)
        for e in engines:
            e.close()  # report use and hand back unspent leases
    finally:
        for rt in runtimes:
            rt.close()
    with sw.runtime.db.read() as s:
        row = s.get(QuotaUsage, (grant_id, day_key(datetime.now(UTC).timestamp())))
        assert row.reserved_calls <= 60 and row.used_calls == sum(allowed) == row.reserved_calls
        assert row.refused_calls == 150 - sum(allowed)


def test_over_quota_is_429_and_audited(sw: Sharing) -> None:
    grant_id = _grant(sw, daily_calls=2)
    engine = engine_for(sw.runtime)
    q = _query(sw)
    assert engine.authorize(q).allowed and engine.authorize(q).allowed
    d = engine.authorize(q)
    assert (d.allowed, d.code, d.status, d.grant_ids) == (False, "quota_exceeded", 429, (grant_id,))
    problem = d.problem()
    assert problem.status == 429 and problem.headers["Retry-After"] == str(d.retry_after)
    assert "每日调用次数上限" in problem.message_zh and "quota" in problem.message_en
    with sw.runtime.db.read() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.action == "sharing.quota.exceeded")).one()
    assert rec.outcome == "denied" and rec.actor_id == sw.world.a.system_id and rec.object_id == sw.cond
    assert rec.subject_ref and "11010519491231002X" not in (rec.detail or "")  # the subject only as a keyed hash
    # A preview (decide) spends nothing and says what the rules say, not the quota.
    assert engine.decide(q).allowed


def test_record_quota_and_the_next_day(sw: Sharing) -> None:
    _grant(sw, daily_records=5)
    engine = engine_for(sw.runtime)
    q = _query(sw)
    assert engine.authorize(q, records=3).allowed
    d = engine.authorize(q, records=3)
    assert d.code == "quota_exceeded" and "记录数" in d.message_zh
    assert engine.authorize(q, records=2).allowed
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).timestamp()
    assert engine.authorize(q, records=5, now=tomorrow).allowed  # resets at midnight, Beijing time


def test_usage_is_reported_back(sw: Sharing) -> None:
    grant_id = _grant(sw, daily_calls=1000)
    engine = engine_for(sw.runtime)
    for _ in range(7):
        assert engine.authorize(_query(sw), records=2).allowed
    engine.quota.flush(release=False)
    with sw.runtime.db.read() as s:
        usage = service.grant_usage(s, actor=sw.b_approver, grant_id=grant_id)
    assert usage["used_calls"] == 7 and usage["used_records"] == 14 and usage["reserved_calls"] >= 7
    policy.close_engine(sw.runtime)  # at shutdown: unspent leases go back
    with sw.runtime.db.read() as s:
        usage = service.grant_usage(s, actor=sw.a_admin, grant_id=grant_id)
    assert usage["reserved_calls"] == usage["used_calls"] == 7 and usage["reserved_records"] == 14


def test_ledger_all_or_nothing_and_midnight(sw: Sharing) -> None:
    a, b = _grant(sw, daily_calls=5), None
    with sw.runtime.db.write() as s:
        rid = service.submit_request(
            s, actor=sw.a_clerk, data=sw.request_body(sw.cond, purpose_category="enforcement", purpose="执法核查")
        ).id
    b = approve_all(sw, rid, daily_calls=1)[0]
    ledger = QuotaLedger(sw.runtime.db)
    both = (Limit(a, 5, None), Limit(b, 1, None))
    assert ledger.take(both).ok
    refused = ledger.take(both)
    assert not refused.ok and refused.grant_id == b
    ledger.flush()
    with sw.runtime.db.read() as s:
        today = day_key(datetime.now(UTC).timestamp())
        assert s.get(QuotaUsage, (a, today)).used_calls == 1  # the refused call took nothing from a
    noon = datetime(2026, 3, 1, 4, 0, tzinfo=UTC).timestamp()  # 12:00 in Beijing
    assert seconds_to_midnight(noon) == 12 * 3600
    assert day_key(datetime(2026, 2, 28, 16, 0, tzinfo=UTC).timestamp()) == "2026-03-01"
