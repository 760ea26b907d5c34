"""Objections (校核纠错) with deadlines and counts per provider; the demand list (需求清单); the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from govshare.errors import Problem
from govshare.identity.principal import Principal
from govshare.sharing import deadlines as dl
from govshare.sharing import notify, service
from govshare.sharing.models import Objection
from govshare.sharing.schemas import (
    DemandAnswer,
    DemandCreate,
    DemandRoute,
    ObjectionAnswer,
    ObjectionClose,
    ObjectionCreate,
)
from tests.sharing.conftest import Sharing, actions_of, approve_all, today


def _problem(sw: Sharing, fn, actor: Principal, **kw) -> Problem:  # noqa: ANN001
    with pytest.raises(Problem) as exc, sw.runtime.db.write() as s:
        fn(s, actor=actor, **kw)
    return exc.value


def _call(sw: Sharing, fn, actor: Principal, **kw):  # noqa: ANN001, ANN202
    with sw.runtime.db.write() as s:
        return fn(s, actor=actor, **kw)


def _granted(sw: Sharing) -> None:
    with sw.runtime.db.write() as s:
        rid = service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond)).id
    approve_all(sw, rid)


OBJECTION = dict(
    record_ref="11010519491231002X",
    items=["address"],
    description="住址与户籍登记不一致",
    evidence="户籍系统记录: 示范市东城区…",
)


def test_objection_lifecycle_with_deadline_and_correction_reference(sw: Sharing, outsider: Principal) -> None:
    body = ObjectionCreate(resource_code=sw.cond, **OBJECTION)
    # Only data a department was granted can be objected to.
    assert _problem(sw, service.raise_objection, sw.a_clerk, data=body).status == 403
    _granted(sw)
    assert _problem(sw, service.raise_objection, sw.b_clerk, data=body).status == 403  # provider's own data
    o = _call(sw, service.raise_objection, sw.a_clerk, data=body)
    assert o.status == "open" and o.provider_org_id == sw.world.b.org_id
    assert (o.working_days, o.due_date) == (5, dl.add_working_days(today(), 5).date)
    assert o.number.startswith("JC")
    with sw.runtime.db.read() as s:
        assert [n.kind for n, _ in notify.inbox(s, actor=sw.b_catalog)][0] == "objection_raised"
        # Status visible to both parties; nobody else.
        for actor in (sw.a_clerk, sw.b_approver, sw.op_admin):
            assert service.get_objection(s, actor=actor, objection_id=o.id).status == "open"
        with pytest.raises(Problem) as exc:
            service.get_objection(s, actor=outsider, objection_id=o.id)
        assert exc.value.status == 404
    answer = ObjectionAnswer(
        outcome="corrected",
        answer="已按户籍信息更正住址",
        corrected_items=["address"],
        correction_note="住址更正为户籍登记地址",
    )
    for actor in (sw.a_approver, sw.b_clerk, sw.b_admin):
        assert _problem(sw, service.answer_objection, actor, objection_id=o.id, data=answer).status == 403
    o = _call(sw, service.answer_objection, sw.b_catalog, objection_id=o.id, data=answer)
    assert o.status == "corrected" and o.correction["objection_number"] == o.number
    assert o.correction["items"] == ["address"] and o.correction["record_ref"] == "11010519491231002X"
    assert _problem(sw, service.close_objection, sw.b_catalog, objection_id=o.id, data=ObjectionClose()).status == 403
    with pytest.raises(ValidationError):
        ObjectionClose(accept=False)  # disputing needs a note
    o = _call(
        sw,
        service.close_objection,
        sw.a_clerk,
        objection_id=o.id,
        data=ObjectionClose(accept=False, note="门牌号仍然不对"),
    )
    assert o.status == "open" and o.due_date == dl.add_working_days(today(), 5).date
    o = _call(
        sw,
        service.answer_objection,
        sw.b_approver,
        objection_id=o.id,
        data=ObjectionAnswer(outcome="explained", answer="经核实门牌号无误, 以户籍为准"),
    )
    assert o.status == "explained"
    o = _call(sw, service.close_objection, sw.a_clerk, objection_id=o.id, data=ObjectionClose(note="认可"))
    assert o.status == "closed" and o.closed_by == sw.a_clerk.id
    assert actions_of(sw, o.id) == [
        "sharing.objection.raise",
        "sharing.objection.answer",
        "sharing.objection.reopen",
        "sharing.objection.answer",
        "sharing.objection.close",
    ]


def test_open_and_overdue_objections_are_counted_per_provider(sw: Sharing) -> None:
    _granted(sw)
    body = ObjectionCreate(resource_code=sw.cond, **OBJECTION)
    first = _call(sw, service.raise_objection, sw.a_clerk, data=body)
    second = _call(sw, service.raise_objection, sw.a_approver, data=body)
    _call(sw, service.raise_objection, sw.a_admin, data=body)
    _call(
        sw,
        service.answer_objection,
        sw.b_catalog,
        objection_id=second.id,
        data=ObjectionAnswer(outcome="explained", answer="数据无误, 已核实"),
    )
    # Time passes: the first objection's deadline lies behind us.
    with sw.runtime.db.write() as s:
        s.execute(update(Objection).where(Objection.id == first.id).values(due_date=today() - timedelta(days=1)))
    with sw.runtime.db.read() as s:
        counts = service.objection_counts(s, actor=sw.a_clerk)
        overdue = service.list_objections(s, actor=sw.b_approver, side="provider", overdue=True)
    assert counts == [
        {
            "org_id": sw.world.b.org_id,
            "org_name": "示范市民政局",
            "open": 2,
            "overdue": 1,
            "answered": 1,
            "closed": 0,
            "escalated": 0,
        }
    ]
    assert [o.id for o in overdue] == [first.id]
    with sw.runtime.db.write() as s:
        report = service.escalate_overdue(s, actor=sw.op_admin)
    assert report.objections_escalated == [first.number]
    with sw.runtime.db.read() as s:
        assert service.objection_counts(s, actor=sw.op_admin)[0]["escalated"] == 1
        assert service.objection_read(s.get(Objection, first.id)).overdue
        kinds = [n.kind for n, _ in notify.inbox(s, actor=sw.op_admin)]
    assert "objection_overdue" in kinds


def test_demand_list(sw: Sharing) -> None:
    body = DemandCreate(
        title="流动人口居住登记信息",
        reason="核查低保申请人的实际居住情况",
        purpose_category="social_assistance",
        suspected_org_id=sw.world.a.org_id,
    )
    d = _call(sw, service.post_demand, sw.b_clerk, data=body)
    assert d.status == "open" and d.org_id == sw.world.b.org_id
    with sw.runtime.db.read() as s:
        assert "demand_posted" in [n.kind for n, _ in notify.inbox(s, actor=sw.op_admin)]
        assert [x.id for x in service.list_demands(s, actor=sw.a_clerk)] == [d.id]  # a shared board
    route = DemandRoute(org_id=sw.world.a.org_id, note="公安局掌握居住登记")
    assert _problem(sw, service.route_demand, sw.b_admin, demand_id=d.id, data=route).status == 403
    d = _call(sw, service.route_demand, sw.op_admin, demand_id=d.id, data=route)
    assert d.status == "routed" and d.routed_org_id == sw.world.a.org_id
    # Only the routed department answers; a catalogued answer must name its own published resource.
    catalogued = DemandAnswer(outcome="catalogued", resource_code=sw.cond, answer="已编目")
    assert _problem(sw, service.answer_demand, sw.b_catalog, demand_id=d.id, data=catalogued).status == 403
    assert _problem(sw, service.answer_demand, sw.a_clerk, demand_id=d.id, data=catalogued).status == 403
    assert _problem(sw, service.answer_demand, sw.a_admin, demand_id=d.id, data=catalogued).code == (
        "resource_not_yours"
    )
    with pytest.raises(ValidationError):
        DemandAnswer(outcome="catalogued", answer="已编目但没给代码")
    d = _call(
        sw,
        service.answer_demand,
        sw.a_admin,
        demand_id=d.id,
        data=DemandAnswer(outcome="explained", answer="居住登记数据由省厅统一管理, 建议向省平台申请"),
    )
    assert d.status == "explained"
    # A second demand answered by cataloguing (民政局 holds it), a third declined.
    d2 = _call(sw, service.post_demand, sw.a_clerk, data=DemandCreate(title="低保对象名单", reason="治安管理需要核对"))
    _call(sw, service.route_demand, sw.op_admin, demand_id=d2.id, data=DemandRoute(org_id=sw.world.b.org_id))
    d2 = _call(
        sw,
        service.answer_demand,
        sw.b_catalog,
        demand_id=d2.id,
        data=DemandAnswer(outcome="catalogued", resource_code=sw.cond, answer="已编目, 请按有条件共享申请"),
    )
    assert d2.status == "catalogued" and d2.resource_code == sw.cond
    d3 = _call(sw, service.post_demand, sw.a_clerk, data=DemandCreate(title="全部人员信息", reason="以备不时之需"))
    d3 = _call(sw, service.decline_demand, sw.op_admin, demand_id=d3.id, reason="需求不明确, 不符合最小必要原则")
    assert d3.status == "declined"
    with sw.runtime.db.read() as s:
        stats = service.demand_stats(s, actor=sw.a_clerk)
    assert stats["total"] == 3 and stats["by_status"] == {"explained": 1, "catalogued": 1, "declined": 1}
    assert {r["org_name"]: r["count"] for r in stats["by_requesting_org"]} == {"示范市公安局": 2, "示范市民政局": 1}
    assert sum(r["count"] for r in stats["by_routed_org"]) == 2
    assert actions_of(sw, d.id) == ["sharing.demand.post", "sharing.demand.route", "sharing.demand.answer"]


def test_inbox_is_per_user_and_read_markers_are_personal(sw: Sharing) -> None:
    with sw.runtime.db.write() as s:
        service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond))
    with sw.runtime.db.read() as s:
        mine = notify.inbox(s, actor=sw.b_approver)
        assert len(mine) == 1 and notify.unread_count(s, actor=sw.b_approver) == 1
        assert notify.inbox(s, actor=sw.b_clerk) == []  # addressed to approvers only
    with sw.runtime.db.write() as s:
        notify.mark_read(s, actor=sw.b_approver, notification_id=mine[0][0].id)
        notify.mark_read(s, actor=sw.b_approver, notification_id=mine[0][0].id)  # idempotent
        with pytest.raises(Problem):
            notify.mark_read(s, actor=sw.a_clerk, notification_id=mine[0][0].id)  # not addressed to them
    with sw.runtime.db.read() as s:
        assert notify.unread_count(s, actor=sw.b_approver) == 0
        assert notify.inbox(s, actor=sw.b_approver, unread_only=True) == []


def test_outbound_hooks_deliver_after_commit_only(sw: Sharing) -> None:
    delivered: list[str] = []

    class Capture:
        def deliver(self, message) -> None:  # noqa: ANN001
            delivered.append(message.kind)

    notify.set_hooks([notify.LoggingHook(), Capture()])
    try:
        with pytest.raises(RuntimeError), sw.runtime.db.write() as s:
            service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond))
            raise RuntimeError("rolled back")
        assert delivered == []
        with sw.runtime.db.write() as s:
            service.submit_request(s, actor=sw.a_clerk, data=sw.request_body(sw.cond))
            assert delivered == []
        assert delivered == ["request_submitted"]
    finally:
        notify.set_hooks([notify.LoggingHook()])
