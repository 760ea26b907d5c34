"""Access requests: every transition with its role and organization checks, deadlines, escalation, coordination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from govshare.errors import Problem
from govshare.identity.principal import PLATFORM, Principal
from govshare.sharing import deadlines as dl
from govshare.sharing import notify, service
from govshare.sharing.policy import PolicyQuery, engine_for
from govshare.sharing.schemas import (
    ApproveBody,
    CoordinateBody,
    InfoRequestBody,
    InfoSupplyBody,
    RejectBody,
)
from tests.sharing.conftest import NONE_BASIS, Sharing, actions_of, today


def _submit(sw: Sharing, actor: Principal | None = None, **overrides):  # noqa: ANN202
    with sw.runtime.db.write() as s:
        return service.submit_request(s, actor=actor or sw.a_clerk, data=sw.request_body(sw.cond, **overrides))


def _call(sw: Sharing, fn, actor: Principal, **kw):  # noqa: ANN001, ANN202
    with sw.runtime.db.write() as s:
        return fn(s, actor=actor, **kw)


def _problem(sw: Sharing, fn, actor: Principal, **kw) -> Problem:  # noqa: ANN001
    with pytest.raises(Problem) as exc:
        _call(sw, fn, actor, **kw)
    return exc.value


def _inbox_kinds(sw: Sharing, actor: Principal) -> list[str]:
    with sw.runtime.db.read() as s:
        return [n.kind for n, _ in notify.inbox(s, actor=actor)]


def test_application_gets_a_working_day_due_date_and_reaches_the_provider(sw: Sharing) -> None:
    req = _submit(sw)
    assert req.kind == "application" and req.status == "submitted"
    expected = dl.add_working_days(today(), 10)
    assert (req.due_date, req.due_approximate) == (expected.date, expected.approximate)
    assert req.provider_org_id == sw.world.b.org_id and req.consumer_org_id == sw.world.a.org_id
    assert "request_submitted" in _inbox_kinds(sw, sw.b_approver)
    assert "request_submitted" not in _inbox_kinds(sw, sw.a_approver)  # addressed to the provider only
    assert actions_of(sw, req.id) == ["sharing.request.submit"]
    with sw.runtime.db.read() as s:
        read = service.request_read(s, req, events=True)
    assert read.days_left == 10 and not read.overdue and [e.kind for e in read.events] == ["submitted"]


def test_reply_deadline_is_a_platform_setting(sw: Sharing) -> None:
    assert _problem(sw, service.update_settings, sw.a_admin, changes={"reply_working_days": 5}).status == 403
    p = _problem(sw, service.update_settings, sw.op_admin, changes={"reply_working_days": 0})
    assert (p.status, p.code, p.field) == (422, "setting_invalid", "reply_working_days")
    assert _problem(sw, service.update_settings, sw.op_admin, changes={"nope": 1}).code == "setting_unknown"
    _call(sw, service.update_settings, sw.op_admin, changes={"reply_working_days": "5"})  # as the CLI passes it
    req = _submit(sw)
    assert req.reply_working_days == 5 and req.due_date == dl.add_working_days(today(), 5).date
    assert "sharing.setting.update" in actions_of(sw, "platform")


def test_unconditional_use_is_registered_without_approval(sw: Sharing) -> None:
    with sw.runtime.db.write() as s:
        req = service.submit_request(
            s, actor=sw.a_clerk, data=sw.request_body(sw.uncond, items=[], legal_basis=""), registration_only=True
        )
    assert req.kind == "registration" and req.status == "registered" and req.due_date is None
    assert req.items == ["org_code", "org_name", "legal_rep"]
    q = PolicyQuery(sw.world.a.system_id, sw.world.a.org_id, sw.uncond, "social_assistance", ("org_name",))
    assert engine_for(sw.runtime).authorize(q).allowed
    assert actions_of(sw, req.id) == ["sharing.request.register"]
    # The purpose is required even without approval.
    with pytest.raises(ValidationError):
        sw.request_body(sw.uncond, purpose="")
    # Conditional items cannot be "registered".
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond), registration_only=True)
    assert p.code == "approval_required"


def test_a_system_registers_for_itself_only_and_never_applies(sw: Sharing) -> None:
    system = Principal(kind="system", id=sw.world.a.system_id, org_id=sw.world.a.org_id, name="公安局业务系统")
    req = _call(sw, service.submit_request, system, data=sw.request_body(sw.uncond, items=["org_name"]))
    assert req.status == "registered" and req.requested_by == system.id
    other = Principal(kind="system", id=sw.world.b.system_id, org_id=sw.world.b.org_id, name="民政局业务系统")
    assert _problem(sw, service.submit_request, other, data=sw.request_body(sw.uncond)).status == 404
    assert _problem(sw, service.submit_request, system, data=sw.request_body(sw.cond)).status == 403


def test_not_shared_resources_and_items_cannot_be_requested(sw: Sharing) -> None:
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.none, items=[]))
    assert (p.status, p.code) == (422, "share_type_none") and NONE_BASIS in p.message_zh and NONE_BASIS in p.message_en
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond, items=["name", "case_note"]))
    assert (p.code, p.field) == ("item_not_shared", "items") and "核查笔记" in p.message_zh
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond, items=["nope"]))
    assert p.code == "item_unknown"
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body("209001/999999"))
    assert (p.status, p.code) == (404, "resource_not_found")
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond, legal_basis=""))
    assert p.code == "legal_basis_required"
    p = _problem(
        sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond, valid_from=today() - timedelta(1))
    )
    assert p.code == "validity_in_past"


def test_filing_needs_a_requester_role_in_the_systems_department(sw: Sharing) -> None:
    # 民政局's approver cannot file for 公安局's system (the system is not visible to it).
    assert _problem(sw, service.submit_request, sw.b_approver, data=sw.request_body(sw.cond)).status == 404
    auditor_only = Principal(kind="user", id="x", org_id=sw.world.a.org_id, name="审计员", roles=frozenset({"auditor"}))
    assert _problem(sw, service.submit_request, auditor_only, data=sw.request_body(sw.cond)).status == 403
    _submit(sw)
    p = _problem(sw, service.submit_request, sw.a_clerk, data=sw.request_body(sw.cond))
    assert (p.status, p.code) == (409, "request_duplicate")


@pytest.mark.parametrize("who", ["a_approver", "a_admin", "b_clerk", "b_admin", "b_catalog", "op_admin", "platform"])
def test_only_the_providers_approver_answers(sw: Sharing, who: str) -> None:
    req = _submit(sw)
    actor = PLATFORM if who == "platform" else getattr(sw, who)
    for fn, kw in (
        (service.approve_request, {"data": ApproveBody()}),
        (service.reject_request, {"data": RejectBody(category="other", reason="不符合条件的申请")}),
        (service.request_info, {"data": InfoRequestBody(question="请补充依据文件")}),
    ):
        p = _problem(sw, fn, actor, request_id=req.id, **kw)
        assert p.status == 403, (who, p.code)
    with sw.runtime.db.read() as s:
        assert service.get_request(s, actor=sw.a_clerk, request_id=req.id).status == "submitted"


def test_reading_is_for_the_two_parties_and_the_operator(sw: Sharing, outsider: Principal) -> None:
    req = _submit(sw)
    with sw.runtime.db.read() as s:
        for actor in (sw.a_clerk, sw.b_approver, sw.b_clerk, sw.op_admin):
            assert service.get_request(s, actor=actor, request_id=req.id).id == req.id
        with pytest.raises(Problem) as exc:
            service.get_request(s, actor=outsider, request_id=req.id)
        assert (exc.value.status, exc.value.code) == (404, "access_request_not_found")
        assert service.list_requests(s, actor=outsider) == []
        assert [r.id for r in service.list_requests(s, actor=sw.b_approver, side="provider")] == [req.id]
        assert service.list_requests(s, actor=sw.b_approver, side="consumer") == []
        assert [r.id for r in service.list_requests(s, actor=sw.op_admin)] == [req.id]
    p = _problem(sw, service.supply_info, outsider, request_id=req.id, data=InfoSupplyBody(answer="无关"))
    assert p.status == 404


def test_narrowing_on_approval(sw: Sharing) -> None:
    req = _submit(sw, valid_until=today() + timedelta(days=300))
    shorter = today() + timedelta(days=90)
    cases = [
        (ApproveBody(items=["id_number"]), "narrowing_reason_required"),
        (ApproveBody(items=["id_number", "income"], reason="增加收入信息"), "items_not_requested"),
        (ApproveBody(valid_until=today() + timedelta(days=400), reason="延长"), "validity_extended"),
        (ApproveBody(masked_items=["income"], reason="脱敏"), "masked_not_approved"),
        (ApproveBody(items=[], reason="全部不同意"), "items_required"),
    ]
    for body, code in cases:
        assert _problem(sw, service.approve_request, sw.b_approver, request_id=req.id, data=body).code == code
    body = ApproveBody(
        items=["id_number", "name"],
        masked_items=["name"],
        valid_until=shorter,
        daily_calls=50,
        reason="住址不属于核查所需; 姓名脱敏即可; 试用期三个月",
    )
    req = _call(sw, service.approve_request, sw.b_approver, request_id=req.id, data=body)
    assert req.status == "approved" and req.narrowed and req.approved_items == ["id_number", "name"]
    assert req.approved_valid_until == shorter and req.decision_via == "provider"
    with sw.runtime.db.read() as s:
        grant = service.get_grant(s, actor=sw.a_clerk, grant_id=req.grant_id)
        assert (grant.items, grant.masked_items, grant.daily_calls) == (["id_number"], ["name"], 50)
        assert grant.status == "pending_agreement"  # usable once both parties confirmed the agreement
        assert grant.valid_until.astimezone(dl.CST).date() == shorter + timedelta(days=1)
        agreement = service.get_agreement(s, actor=sw.a_clerk, agreement_id=service.current_agreement_id(s, grant.id))
        treatments = {i["machine_name"]: i["treatment"] for i in agreement.content["items"]}
        assert treatments == {"id_number": "clear", "name": "masked"}
    assert "request_approved" in _inbox_kinds(sw, sw.a_clerk)
    assert actions_of(sw, req.id) == ["sharing.request.submit", "sharing.request.approve"]
    p = _problem(sw, service.approve_request, sw.b_approver, request_id=req.id, data=ApproveBody())
    assert (p.status, p.code) == (409, "invalid_transition")


def test_rejection_needs_category_and_reason(sw: Sharing) -> None:
    with pytest.raises(ValidationError):
        RejectBody(category="other", reason="  ")
    with pytest.raises(ValidationError):
        RejectBody(reason="缺少依据的申请")  # type: ignore[call-arg]
    req = _submit(sw)
    body = RejectBody(category="no_legal_basis", reason="所附依据不涉及公安部门使用低保数据")
    req = _call(sw, service.reject_request, sw.b_approver, request_id=req.id, data=body)
    assert (req.status, req.reject_category, req.decision_reason) == ("rejected", "no_legal_basis", body.reason)
    assert "request_rejected" in _inbox_kinds(sw, sw.a_clerk)
    assert _problem(sw, service.withdraw_request, sw.a_clerk, request_id=req.id).code == "invalid_transition"
    assert actions_of(sw, req.id) == ["sharing.request.submit", "sharing.request.reject"]


def test_asking_for_information_pauses_the_clock(sw: Sharing) -> None:
    req = _submit(sw)
    due_before = req.due_date
    req = _call(sw, service.request_info, sw.b_approver, request_id=req.id, data=InfoRequestBody(question="请补充文件"))
    assert req.status == "info_requested" and req.clock_paused_on == today()
    assert req.clock_remaining == dl.remaining_when_paused(due_before, today())
    with sw.runtime.db.read() as s:
        read = service.request_read(s, req)
    assert read.clock_paused and read.days_left is None and not read.overdue
    # Paused: the provider cannot answer, and only the requesting department can supply the information.
    assert _problem(sw, service.approve_request, sw.b_approver, request_id=req.id, data=ApproveBody()).status == 409
    assert (
        _problem(
            sw, service.supply_info, sw.b_approver, request_id=req.id, data=InfoSupplyBody(answer="越权补充")
        ).status
        == 403
    )
    # Escalation leaves paused requests alone.
    with sw.runtime.db.write() as s:
        assert service.escalate_overdue(s, today=due_before + timedelta(days=30)).requests_escalated == []
    remaining = req.clock_remaining
    req = _call(sw, service.supply_info, sw.a_clerk, request_id=req.id, data=InfoSupplyBody(answer="已补充文件"))
    assert req.status == "submitted" and req.due_date == dl.resume(remaining, today()).date
    assert req.info_response == "已补充文件" and req.clock_paused_on is None
    with sw.runtime.db.read() as s:
        kinds = [e.kind for e in service.request_events(s, req.id)]
    assert kinds == ["submitted", "info_requested", "info_supplied"]
    assert actions_of(sw, req.id)[-2:] == ["sharing.request.request_info", "sharing.request.supply_info"]


def test_withdrawal_by_the_requesting_department(sw: Sharing) -> None:
    req = _submit(sw)
    assert _problem(sw, service.withdraw_request, sw.b_approver, request_id=req.id).status == 403
    req = _call(sw, service.withdraw_request, sw.a_approver, request_id=req.id, reason="业务调整")
    assert req.status == "withdrawn"
    assert _problem(sw, service.approve_request, sw.b_approver, request_id=req.id, data=ApproveBody()).status == 409


def test_overdue_requests_are_escalated_and_coordinated(sw: Sharing) -> None:
    first = _submit(sw)
    second = _submit(sw, purpose_category="enforcement", purpose="治安管理中核查当事人家庭情况")
    late_day = first.due_date + timedelta(days=1)
    with sw.runtime.db.read() as s:
        assert service.clock_of(first, late_day)[0] is True
        assert service.clock_of(first, first.due_date)[0] is False
    assert _problem(sw, service.escalate_overdue, sw.b_admin, today=late_day).status == 403
    with sw.runtime.db.write() as s:
        report = service.escalate_overdue(s, actor=PLATFORM, today=first.due_date)
    assert report.requests_escalated == []  # the due day itself is still in time
    with sw.runtime.db.write() as s:
        report = service.escalate_overdue(s, actor=sw.op_admin, today=late_day)
    assert sorted(report.requests_escalated) == sorted([first.number, second.number])
    with sw.runtime.db.write() as s:
        assert service.escalate_overdue(s, today=late_day).requests_escalated == []  # idempotent
    assert "request_escalated" in _inbox_kinds(sw, sw.op_admin)
    assert "request_overdue" in _inbox_kinds(sw, sw.b_approver)
    assert "request_escalated" in _inbox_kinds(sw, sw.a_clerk)
    assert actions_of(sw, first.id)[-1] == "sharing.request.escalate"
    # Coordination is the operator's: not the provider's, not the consumer's.
    back = CoordinateBody(decision="return", note="请民政局三个工作日内答复", working_days=3)
    for actor in (sw.b_approver, sw.a_admin):
        assert _problem(sw, service.coordinate, actor, request_id=first.id, data=back).status == 403
    req = _call(sw, service.coordinate, sw.op_admin, request_id=first.id, data=back)
    assert req.status == "submitted" and req.due_date == dl.add_working_days(today(), 3).date
    assert _problem(sw, service.coordinate, sw.op_admin, request_id=first.id, data=back).code == "invalid_transition"
    # The provider may still answer an escalated request itself.
    req2 = _call(sw, service.approve_request, sw.b_approver, request_id=second.id, data=ApproveBody())
    assert req2.status == "approved" and req2.decision_via == "provider"
    # Escalated again, then decided by coordination.
    with sw.runtime.db.write() as s:
        service.escalate_overdue(s, today=req.due_date + timedelta(days=1))
    no_category = CoordinateBody(decision="reject", note="经协调不予同意")
    assert _problem(sw, service.coordinate, sw.op_admin, request_id=first.id, data=no_category).code == (
        "reject_category_required"
    )
    decided = CoordinateBody(
        decision="approve", note="经协调, 同意提供身份证号和姓名", approve=ApproveBody(items=["id_number", "name"])
    )
    req = _call(sw, service.coordinate, sw.op_admin, request_id=first.id, data=decided)
    assert req.status == "approved" and req.decision_via == "coordination" and req.narrowed
    assert req.decision_reason == "经协调, 同意提供身份证号和姓名"
    with sw.runtime.db.read() as s:
        kinds = [e.kind for e in service.request_events(s, first.id)]
    assert kinds == ["submitted", "escalated", "coordinated", "escalated", "coordinated"]
    assert actions_of(sw, first.id).count("sharing.request.coordinate") == 2


def test_escalate_command(sw: Sharing, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from govshare.cli import app
    from govshare.sharing import cli

    req = _submit(sw)
    monkeypatch.setattr(cli, "_runtime", lambda: _Borrowed(sw.runtime))
    late = (req.due_date + timedelta(days=1)).isoformat()
    result = CliRunner().invoke(app, ["sharing", "escalate", "--today", late, "--json"])
    assert result.exit_code == 0, result.output
    assert req.number in result.output
    result = CliRunner().invoke(app, ["sharing", "due-date", "10", "--start", "2025-09-26"])
    assert "2025-10-16" in result.output


class _Borrowed:
    """The test's runtime, lent to a CLI command that would close its own."""

    def __init__(self, runtime) -> None:  # noqa: ANN001
        self.db = runtime.db

    def close(self) -> None:
        pass
