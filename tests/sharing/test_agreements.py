"""Sharing agreements: confirmation by both parties, HTML and print views, versions, termination revoking the grant;
revocation seen by every process on its very next call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govshare.errors import Problem
from govshare.identity.principal import Principal
from govshare.runtime import Runtime
from govshare.sharing import policy, service
from govshare.sharing.models import Grant
from govshare.sharing.policy import PolicyEngine, PolicyQuery, engine_for
from govshare.sharing.schemas import AgreementAmend, ApproveBody
from tests.conftest import make_settings
from tests.sharing.conftest import Sharing, actions_of, approve_all, today


def _approved(sw: Sharing, **body) -> tuple[str, str]:  # noqa: ANN003
    """A request approved by 民政局 (agreement not yet confirmed). Returns (grant_id, agreement_id)."""
    with sw.runtime.db.write() as s:
        req = service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond, **body))
        rid = req.id
    with sw.runtime.db.write() as s:
        req = service.approve_request(s, actor=sw.b_approver, request_id=rid, data=ApproveBody())
        return req.grant_id, service.current_agreement_id(s, req.grant_id)


def _query(sw: Sharing, items=("id_number",)) -> PolicyQuery:  # noqa: ANN001
    return PolicyQuery(sw.world.a.system_id, sw.world.a.org_id, sw.cond, "social_assistance", tuple(items))


def _problem(sw: Sharing, fn, actor: Principal, **kw) -> Problem:  # noqa: ANN001
    with pytest.raises(Problem) as exc, sw.runtime.db.write() as s:
        fn(s, actor=actor, **kw)
    return exc.value


def test_both_parties_confirm_before_the_grant_works(sw: Sharing, outsider: Principal) -> None:
    grant_id, agreement_id = _approved(sw)
    engine = engine_for(sw.runtime)
    assert engine.authorize(_query(sw)).code == "agreement_not_confirmed"
    # Not a party, not a confirming role, or the platform (which is not a party): refused.
    assert _problem(sw, service.confirm_agreement, outsider, agreement_id=agreement_id).status == 404
    assert _problem(sw, service.confirm_agreement, sw.b_clerk, agreement_id=agreement_id).status == 403
    assert _problem(sw, service.confirm_agreement, sw.a_clerk, agreement_id=agreement_id).status == 403
    assert _problem(sw, service.confirm_agreement, sw.op_admin, agreement_id=agreement_id).status == 403
    with sw.runtime.db.write() as s:
        a = service.confirm_agreement(s, actor=sw.b_approver, agreement_id=agreement_id)
        assert a.status == "pending" and a.provider_confirmed_by == sw.b_approver.id
    assert _problem(sw, service.confirm_agreement, sw.b_admin, agreement_id=agreement_id).code == "already_confirmed"
    assert engine.authorize(_query(sw)).code == "agreement_not_confirmed"
    with sw.runtime.db.write() as s:
        a = service.confirm_agreement(s, actor=sw.a_admin, agreement_id=agreement_id)
        assert a.status == "in_force" and a.consumer_confirmed_by == sw.a_admin.id
        assert s.get(Grant, grant_id).status == "active"
    assert engine.authorize(_query(sw)).allowed  # the epoch moved: no stale "not confirmed"
    assert _problem(sw, service.confirm_agreement, sw.a_admin, agreement_id=agreement_id).code == "invalid_transition"
    assert actions_of(sw, agreement_id) == ["sharing.agreement.confirm", "sharing.agreement.confirm"]


def test_agreement_content_html_and_print_view(sw: Sharing) -> None:
    _, agreement_id = _approved(sw, purpose="核查低保申请人 <script>alert(1)</script>")
    with sw.runtime.db.read() as s:
        a = service.get_agreement(s, actor=sw.a_clerk, agreement_id=agreement_id)
        page = service.agreement_html(s, actor=sw.b_approver, agreement_id=agreement_id)
        printable = service.agreement_html(s, actor=sw.a_admin, agreement_id=agreement_id, print_view=True)
    c = a.content
    assert c["consumer"]["name"] == "示范市公安局" and c["provider"]["name"] == "示范市民政局"
    assert c["resource"]["code"] == sw.cond and [i["machine_name"] for i in c["items"]] == [
        "id_number",
        "name",
        "address",
    ]
    assert c["purpose"]["label"] == "社会救助" and c["volume"] == {"daily_calls": 100, "daily_records": 100}
    assert len(c["security_duties"]) >= 7 and c["consumer"]["contact_name"] == "张三"
    assert len(a.content_hash) == 64
    for text in (
        "政务数据共享协议",
        "示范市公安局",
        "示范市民政局",
        "公民身份号码",
        "安全责任",
        a.content_hash,
        a.number,
    ):
        assert text in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page  # escaped
    assert "@page" in printable and "window.print()" in printable and "@page" not in page


def test_amendments_are_new_versions_confirmed_by_both(sw: Sharing) -> None:
    grant_id, agreement_id = approve_all(sw, _submit_id(sw))
    change = AgreementAmend(note="减少住址, 调整每日调用量", items=["id_number", "name"], daily_calls=20)
    with sw.runtime.db.write() as s:
        v2 = service.amend_agreement(s, actor=sw.b_approver, agreement_id=agreement_id, data=change)
        v2_id = v2.id
        assert (v2.version, v2.status, v2.number) == (
            2,
            "pending",
            service.get_agreement(s, actor=sw.b_approver, agreement_id=agreement_id).number,
        )
        assert v2.provider_confirmed_at is not None and v2.consumer_confirmed_at is None
    assert _problem(sw, service.amend_agreement, sw.a_admin, agreement_id=agreement_id, data=change).code == (
        "amendment_pending"
    )
    wider = AgreementAmend(note="增加收入信息", items=["id_number", "income"])
    assert _problem(sw, service.amend_agreement, sw.a_admin, agreement_id=agreement_id, data=wider).code in (
        "amendment_pending",
        "items_not_agreed",
    )
    # Until the consumer confirms, v1 stays in force and the grant unchanged.
    assert engine_for(sw.runtime).authorize(_query(sw, ("address",))).clear == ("address",)
    with sw.runtime.db.write() as s:
        v2 = service.confirm_agreement(s, actor=sw.a_admin, agreement_id=v2_id)
        assert v2.status == "in_force"
        assert service.get_agreement(s, actor=sw.a_admin, agreement_id=agreement_id).status == "superseded"
        g = s.get(Grant, grant_id)
        assert (g.items, g.daily_calls) == (["id_number", "name"], 20)
    d = engine_for(sw.runtime).authorize(_query(sw, ("id_number", "address")))
    assert d.clear == ("id_number",) and d.masked_map == {"address": "keep:6:0"}
    with sw.runtime.db.write() as s:
        wider_now = AgreementAmend(note="增加收入信息", items=["id_number", "income"])
        with pytest.raises(Problem) as exc:
            service.amend_agreement(s, actor=sw.a_admin, agreement_id=v2_id, data=wider_now)
        assert exc.value.code == "items_not_agreed"
    assert "sharing.agreement.amend" in actions_of(sw, v2_id)
    # Declining a proposed amendment ends that version only: the version in force and the grant stay.
    with sw.runtime.db.write() as s:
        v3 = service.amend_agreement(
            s,
            actor=sw.a_admin,
            agreement_id=v2_id,
            data=AgreementAmend(note="延长期限", valid_until=today() + timedelta(days=700)),
        )
        v3_id = v3.id
    with sw.runtime.db.write() as s:
        v3 = service.terminate_agreement(s, actor=sw.b_approver, agreement_id=v3_id, reason="期限过长")
        assert v3.status == "terminated"
        assert service.get_agreement(s, actor=sw.a_admin, agreement_id=v2_id).status == "in_force"
        assert s.get(Grant, grant_id).status == "active"
    assert actions_of(sw, v3_id) == ["sharing.agreement.amend", "sharing.agreement.decline_amendment"]
    assert engine_for(sw.runtime).authorize(_query(sw)).allowed


def _submit_id(sw: Sharing) -> str:
    with sw.runtime.db.write() as s:
        return service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond)).id


def test_terminating_the_agreement_revokes_the_grant_on_the_very_next_call(sw: Sharing, tmp_path) -> None:  # noqa: ANN001
    grant_id, agreement_id = approve_all(sw, _submit_id(sw))
    local = engine_for(sw.runtime)
    # A second "process": its own runtime, engine and connection pool, and no in-process change signal —
    # only the policy epoch in the store tells it that something changed.
    other_rt = Runtime(make_settings(tmp_path / "other", sw.runtime.db.url))
    try:
        remote = PolicyEngine(other_rt)
        policy._engines.discard(remote)
        remote.preload()
        q = _query(sw)
        for _ in range(3):  # warm: decisions come from the memo
            assert local.authorize(q).allowed and remote.authorize(q).allowed
        assert (
            _problem(sw, service.terminate_agreement, sw.b_clerk, agreement_id=agreement_id, reason="终止测试").status
            == 403
        )
        with sw.runtime.db.write() as s:
            a = service.terminate_agreement(s, actor=sw.a_admin, agreement_id=agreement_id, reason="业务系统下线")
            assert a.status == "terminated" and a.termination_reason == "业务系统下线"
            g = s.get(Grant, grant_id)
            assert g.status == "revoked" and g.revoke_reason.startswith("协议终止")
        assert local.authorize(q).code == "grant_revoked"
        assert remote.authorize(q).code == "grant_revoked"
    finally:
        other_rt.close()
    assert actions_of(sw, agreement_id)[-1] == "sharing.agreement.terminate"
    assert "agreement_terminated" in [n.kind for n, _ in _inbox(sw, sw.b_admin)]


def test_revoking_a_grant_directly(sw: Sharing, outsider: Principal) -> None:
    grant_id, agreement_id = approve_all(sw, _submit_id(sw))
    engine = engine_for(sw.runtime)
    assert engine.authorize(_query(sw)).allowed
    assert _problem(sw, service.revoke_grant, outsider, grant_id=grant_id, reason="无关单位").status == 404
    assert _problem(sw, service.revoke_grant, sw.a_clerk, grant_id=grant_id, reason="受理员无权").status == 403
    with sw.runtime.db.write() as s:
        service.revoke_grant(s, actor=sw.b_approver, grant_id=grant_id, reason="发现超范围使用")
        assert service.get_agreement(s, actor=sw.a_admin, agreement_id=agreement_id).status == "terminated"
    d = engine.authorize(_query(sw))
    assert (d.allowed, d.code, d.status) == (False, "grant_revoked", 403)
    assert _problem(sw, service.revoke_grant, sw.op_admin, grant_id=grant_id, reason="再次撤销").code == "grant_revoked"
    assert actions_of(sw, grant_id) == ["sharing.grant.revoke"]


def test_expiry_takes_effect_without_any_change(sw: Sharing) -> None:
    grant_id, _ = approve_all(sw, _submit_id(sw))
    engine = engine_for(sw.runtime)
    with sw.runtime.db.read() as s:
        until = s.get(Grant, grant_id).valid_until.timestamp()
    assert engine.authorize(_query(sw), now=until - 1).allowed
    assert engine.authorize(_query(sw), now=until).code == "grant_expired"


def test_grant_usable_at_approval_when_the_platform_does_not_require_agreements(sw: Sharing) -> None:
    with sw.runtime.db.write() as s:
        service.update_settings(s, actor=sw.op_admin, changes={"agreement_before_use": False})
    grant_id, _ = _approved(sw)
    with sw.runtime.db.read() as s:
        assert s.get(Grant, grant_id).status == "active"
    assert engine_for(sw.runtime).authorize(_query(sw)).allowed


def test_validity_of_the_grant_follows_beijing_days(sw: Sharing) -> None:
    grant_id, _ = approve_all(sw, _submit_id(sw))
    with sw.runtime.db.read() as s:
        g = s.get(Grant, grant_id)
    from govshare.sharing.deadlines import CST

    assert g.valid_from.astimezone(CST).date() == today() and g.valid_from.astimezone(CST).hour == 0
    assert (g.valid_until - g.valid_from) == timedelta(days=365)


def _inbox(sw: Sharing, actor: Principal):  # noqa: ANN202
    from govshare.sharing import notify

    with sw.runtime.db.read() as s:
        return notify.inbox(s, actor=actor)
