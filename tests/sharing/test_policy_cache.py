"""The decision cache: the policy epoch, catalog changes, and the throttled epoch check."""

from __future__ import annotations

from govshare.identity.principal import PLATFORM
from govshare.sharing import policy, service
from govshare.sharing.policy import PolicyEngine, PolicyQuery, engine_for, read_epoch
from tests.sharing.conftest import Sharing, approve_all


def _granted(sw: Sharing) -> PolicyQuery:
    with sw.runtime.db.write() as s:
        rid = service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond)).id
    approve_all(sw, rid)
    return PolicyQuery(sw.world.a.system_id, sw.world.a.org_id, sw.cond, "social_assistance", ["id_number"])


def test_every_grant_change_moves_the_epoch(sw: Sharing) -> None:
    with sw.runtime.db.read() as s:
        before = read_epoch(s)
    q = _granted(sw)  # approval and the confirmation that brings the agreement into force
    with sw.runtime.db.read() as s:
        assert read_epoch(s) >= before + 2
    assert q.items == ("id_number",)  # lists are normalized so a query can key the cache


def test_a_catalog_change_reaches_the_cache_through_the_epoch(sw: Sharing) -> None:
    from govshare.catalog import service as catalog

    q = _granted(sw)
    engine = engine_for(sw.runtime)
    assert engine.authorize(q).allowed
    with sw.runtime.db.write() as s:
        r = catalog.get_by_code(s, actor=PLATFORM, code=sw.cond)
        catalog.request_revoke(s, actor=PLATFORM, resource_id=r.id, reason="资源停止提供")
        catalog.approve(s, actor=PLATFORM, resource_id=r.id, reason="同意撤销")
        service.catalog_changed(s, resource_code=sw.cond)  # the catalog service's hook (see docs/sharing.md)
    d = engine.authorize(q)
    assert (d.allowed, d.code, d.status) == (False, "resource_not_found", 404)


def test_throttled_epoch_checks_trade_staleness_for_speed_across_processes(sw: Sharing) -> None:
    q = _granted(sw)
    remote = PolicyEngine(sw.runtime, epoch_check_interval=3600)
    policy._engines.discard(remote)  # as if in another process: no in-process change signal
    local = PolicyEngine(sw.runtime, epoch_check_interval=3600)
    assert remote.decide(q).allowed and local.decide(q).allowed
    with sw.runtime.db.write() as s:
        service.revoke_grant(
            s, actor=sw.b_approver, grant_id=service.list_grants(s, actor=sw.b_approver)[0].id, reason="撤销测试"
        )
    assert remote.decide(q).allowed  # within its check interval it has not looked at the epoch yet
    with sw.runtime.db.read() as s:
        remote.observe_epoch(read_epoch(s))  # e.g. read in the same round trip as the API-key lookup
    assert remote.decide(q, sync=False).code == "grant_revoked"
    # In-process engines are told directly after the commit, whatever their interval.
    assert local.decide(q).code == "grant_revoked"
