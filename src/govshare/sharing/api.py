"""Sharing routes (thin: parse, call the service, shape the answer). Every state change is audited by the service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from govshare.deps import CurrentPrincipal, ReadSession, WriteSession
from govshare.errors import invalid
from govshare.sharing import deadlines as dl
from govshare.sharing import notify, service
from govshare.sharing.schemas import (
    AgreementAmend,
    AgreementRead,
    ApproveBody,
    CoordinateBody,
    DecisionQuery,
    DecisionRead,
    DemandAnswer,
    DemandCreate,
    DemandDecline,
    DemandRead,
    DemandRoute,
    DemandStats,
    DueDateRead,
    EscalationRead,
    GrantRead,
    GrantUsageRead,
    InboxRead,
    InfoRequestBody,
    InfoSupplyBody,
    NotificationOut,
    ObjectionAnswer,
    ObjectionClose,
    ObjectionCreate,
    ObjectionRead,
    ProviderCounts,
    RejectBody,
    RequestCounts,
    RequestCreate,
    RequestRead,
    RevokeBody,
    SettingsRead,
    SettingsUpdate,
    TerminateBody,
    WithdrawBody,
)
from govshare.sharing.vocab import vocabularies

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing 共享"])
Side = Literal["all", "consumer", "provider"]


# ---- reference --------------------------------------------------------------------------------------------
@router.get("/vocab", summary="Value lists with Chinese labels 代码表")
def vocab() -> dict:
    return vocabularies()


@router.get("/settings", response_model=SettingsRead, summary="Workflow settings 共享设置")
def get_settings(session: ReadSession, actor: CurrentPrincipal) -> SettingsRead:
    return SettingsRead(**service.settings(session))


@router.put("/settings", response_model=SettingsRead, summary="Change workflow settings (platform admin)")
def put_settings(body: SettingsUpdate, session: WriteSession, actor: CurrentPrincipal) -> SettingsRead:
    return SettingsRead(**service.update_settings(session, actor=actor, changes=body.model_dump(exclude_unset=True)))


@router.get("/calendar/due-date", response_model=DueDateRead, summary="Due date N working days after a day 工作日")
def due_date(
    actor: CurrentPrincipal,
    days: int = Query(ge=0, le=dl.MAX_WORKING_DAYS),
    start: date | None = None,
) -> DueDateRead:
    start = start or dl.today_cst()
    try:
        due = dl.add_working_days(start, days)
    except ValueError as exc:
        raise invalid("days", "working_days_invalid", "工作日数无效", str(exc)) from None
    return DueDateRead(
        start=start,
        working_days=days,
        due_date=due.date,
        approximate=due.approximate,
        note_zh=due.note_zh,
        note_en=due.note_en,
    )


# ---- access requests ----------------------------------------------------------------------------------------
@router.post("/requests", response_model=RequestRead, status_code=201, summary="File an access request 共享申请")
def submit(body: RequestCreate, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    req = service.submit_request(session, actor=actor, data=body)
    return service.request_read(session, req)


@router.post(
    "/registrations", response_model=RequestRead, status_code=201, summary="Register use of unconditional data 登记"
)
def register(body: RequestCreate, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    req = service.submit_request(session, actor=actor, data=body, registration_only=True)
    return service.request_read(session, req)


@router.get("/requests", response_model=list[RequestRead], summary="Requests of my department (either side)")
def list_requests(
    session: ReadSession,
    actor: CurrentPrincipal,
    side: Side = "all",
    status: str | None = None,
    overdue: bool | None = None,
    resource_code: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[RequestRead]:
    rows = service.list_requests(
        session,
        actor=actor,
        side=side,
        status=status,
        overdue=overdue,
        resource_code=resource_code,
        limit=limit,
        offset=offset,
    )
    names = service.org_names(session)
    return [service.request_read(session, r, names=names) for r in rows]


@router.get("/requests/stats", response_model=list[RequestCounts], summary="Per provider: pending, overdue …")
def request_stats(session: ReadSession, actor: CurrentPrincipal) -> list[RequestCounts]:
    return [RequestCounts(**r) for r in service.request_counts(session, actor=actor)]


@router.get("/requests/{request_id}", response_model=RequestRead, summary="One request with its history")
def get_request(request_id: str, session: ReadSession, actor: CurrentPrincipal) -> RequestRead:
    req = service.get_request(session, actor=actor, request_id=request_id)
    return service.request_read(session, req, events=True)


@router.post("/requests/{request_id}/approve", response_model=RequestRead, summary="Approve (possibly narrower) 同意")
def approve(request_id: str, body: ApproveBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    return service.request_read(
        session, service.approve_request(session, actor=actor, request_id=request_id, data=body)
    )


@router.post("/requests/{request_id}/reject", response_model=RequestRead, summary="Reject with reasons 拒绝")
def reject(request_id: str, body: RejectBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    return service.request_read(session, service.reject_request(session, actor=actor, request_id=request_id, data=body))


@router.post("/requests/{request_id}/request-info", response_model=RequestRead, summary="Ask for more 要求补充")
def ask_info(request_id: str, body: InfoRequestBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    return service.request_read(session, service.request_info(session, actor=actor, request_id=request_id, data=body))


@router.post("/requests/{request_id}/supply-info", response_model=RequestRead, summary="Supply information 补充")
def give_info(request_id: str, body: InfoSupplyBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    return service.request_read(session, service.supply_info(session, actor=actor, request_id=request_id, data=body))


@router.post("/requests/{request_id}/withdraw", response_model=RequestRead, summary="Withdraw 撤回")
def withdraw(request_id: str, body: WithdrawBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    req = service.withdraw_request(session, actor=actor, request_id=request_id, reason=body.reason)
    return service.request_read(session, req)


@router.post("/requests/{request_id}/coordinate", response_model=RequestRead, summary="Coordination decision 协调")
def coordinate(request_id: str, body: CoordinateBody, session: WriteSession, actor: CurrentPrincipal) -> RequestRead:
    return service.request_read(session, service.coordinate(session, actor=actor, request_id=request_id, data=body))


@router.post("/escalate", response_model=EscalationRead, summary="Escalate overdue requests and objections 督办")
def escalate(session: WriteSession, actor: CurrentPrincipal) -> EscalationRead:
    report = service.escalate_overdue(session, actor=actor)
    return EscalationRead(
        today=report.today,
        requests_escalated=report.requests_escalated,
        objections_escalated=report.objections_escalated,
    )


# ---- agreements ---------------------------------------------------------------------------------------------
@router.get("/agreements", response_model=list[AgreementRead], summary="Agreements of my department 共享协议")
def list_agreements(session: ReadSession, actor: CurrentPrincipal, status: str | None = None) -> list[AgreementRead]:
    return [service.agreement_read(a) for a in service.list_agreements(session, actor=actor, status=status)]


@router.get("/agreements/{agreement_id}", response_model=AgreementRead, summary="One agreement version")
def get_agreement(agreement_id: str, session: ReadSession, actor: CurrentPrincipal) -> AgreementRead:
    return service.agreement_read(service.get_agreement(session, actor=actor, agreement_id=agreement_id))


@router.get("/agreements/{agreement_id}/html", response_class=HTMLResponse, summary="Agreement as HTML")
def agreement_html(agreement_id: str, session: ReadSession, actor: CurrentPrincipal) -> HTMLResponse:
    return HTMLResponse(service.agreement_html(session, actor=actor, agreement_id=agreement_id))


@router.get("/agreements/{agreement_id}/print", response_class=HTMLResponse, summary="Agreement, A4 print view")
def agreement_print(agreement_id: str, session: ReadSession, actor: CurrentPrincipal) -> HTMLResponse:
    return HTMLResponse(service.agreement_html(session, actor=actor, agreement_id=agreement_id, print_view=True))


@router.post("/agreements/{agreement_id}/confirm", response_model=AgreementRead, summary="Confirm (one side) 确认")
def confirm(agreement_id: str, session: WriteSession, actor: CurrentPrincipal) -> AgreementRead:
    return service.agreement_read(service.confirm_agreement(session, actor=actor, agreement_id=agreement_id))


@router.post("/agreements/{agreement_id}/amend", response_model=AgreementRead, summary="Propose a new version 变更")
def amend(agreement_id: str, body: AgreementAmend, session: WriteSession, actor: CurrentPrincipal) -> AgreementRead:
    return service.agreement_read(service.amend_agreement(session, actor=actor, agreement_id=agreement_id, data=body))


@router.post("/agreements/{agreement_id}/terminate", response_model=AgreementRead, summary="Terminate 终止")
def terminate(agreement_id: str, body: TerminateBody, session: WriteSession, actor: CurrentPrincipal) -> AgreementRead:
    a = service.terminate_agreement(session, actor=actor, agreement_id=agreement_id, reason=body.reason)
    return service.agreement_read(a)


# ---- grants and the decision ----------------------------------------------------------------------------------
@router.get("/grants", response_model=list[GrantRead], summary="Grants (授权) of my department or system")
def list_grants(
    session: ReadSession,
    actor: CurrentPrincipal,
    side: Side = "all",
    system_id: str | None = None,
    status: str | None = None,
) -> list[GrantRead]:
    rows = service.list_grants(session, actor=actor, side=side, system_id=system_id, status=status)
    return [service.grant_read(g) for g in rows]


@router.get("/grants/{grant_id}", response_model=GrantRead, summary="One grant")
def get_grant(grant_id: str, session: ReadSession, actor: CurrentPrincipal) -> GrantRead:
    return service.grant_read(service.get_grant(session, actor=actor, grant_id=grant_id))


@router.get("/grants/{grant_id}/usage", response_model=GrantUsageRead, summary="Quota use on a day (China time)")
def grant_usage(
    grant_id: str, session: ReadSession, actor: CurrentPrincipal, day: date | None = None
) -> GrantUsageRead:
    return GrantUsageRead(
        **service.grant_usage(session, actor=actor, grant_id=grant_id, day=day.isoformat() if day else None)
    )


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead, summary="Revoke at once 撤销授权")
def revoke(grant_id: str, body: RevokeBody, session: WriteSession, actor: CurrentPrincipal) -> GrantRead:
    return service.grant_read(service.revoke_grant(session, actor=actor, grant_id=grant_id, reason=body.reason))


@router.post("/decisions", response_model=DecisionRead, summary="Would this call be allowed? (no quota spent)")
def decide(body: DecisionQuery, session: ReadSession, actor: CurrentPrincipal) -> DecisionRead:
    return DecisionRead(**service.decision_preview(session, actor=actor, query=body))


# ---- objections ---------------------------------------------------------------------------------------------
@router.post("/objections", response_model=ObjectionRead, status_code=201, summary="Raise an objection 校核纠错")
def raise_objection(body: ObjectionCreate, session: WriteSession, actor: CurrentPrincipal) -> ObjectionRead:
    return service.objection_read(service.raise_objection(session, actor=actor, data=body))


@router.get("/objections", response_model=list[ObjectionRead], summary="Objections of my department")
def list_objections(
    session: ReadSession,
    actor: CurrentPrincipal,
    side: Side = "all",
    status: str | None = None,
    overdue: bool | None = None,
) -> list[ObjectionRead]:
    rows = service.list_objections(session, actor=actor, side=side, status=status, overdue=overdue)
    return [service.objection_read(o) for o in rows]


@router.get("/objections/stats", response_model=list[ProviderCounts], summary="Per provider: open, overdue …")
def objection_stats(session: ReadSession, actor: CurrentPrincipal) -> list[ProviderCounts]:
    return [ProviderCounts(**r) for r in service.objection_counts(session, actor=actor)]


@router.get("/objections/{objection_id}", response_model=ObjectionRead, summary="One objection")
def get_objection(objection_id: str, session: ReadSession, actor: CurrentPrincipal) -> ObjectionRead:
    return service.objection_read(service.get_objection(session, actor=actor, objection_id=objection_id))


@router.post("/objections/{objection_id}/answer", response_model=ObjectionRead, summary="Correct or explain 答复")
def answer_objection(
    objection_id: str, body: ObjectionAnswer, session: WriteSession, actor: CurrentPrincipal
) -> ObjectionRead:
    o = service.answer_objection(session, actor=actor, objection_id=objection_id, data=body)
    return service.objection_read(o)


@router.post("/objections/{objection_id}/close", response_model=ObjectionRead, summary="Accept or dispute 办结")
def close_objection(
    objection_id: str, body: ObjectionClose, session: WriteSession, actor: CurrentPrincipal
) -> ObjectionRead:
    return service.objection_read(service.close_objection(session, actor=actor, objection_id=objection_id, data=body))


# ---- demand list --------------------------------------------------------------------------------------------
@router.post("/demands", response_model=DemandRead, status_code=201, summary="Post a data demand 需求清单")
def post_demand(body: DemandCreate, session: WriteSession, actor: CurrentPrincipal) -> DemandRead:
    return service.demand_read(service.post_demand(session, actor=actor, data=body))


@router.get("/demands", response_model=list[DemandRead], summary="The demand list")
def list_demands(
    session: ReadSession,
    actor: CurrentPrincipal,
    status: str | None = None,
    routed_to_me: bool = False,
    mine: bool = False,
) -> list[DemandRead]:
    rows = service.list_demands(session, actor=actor, status=status, routed_to_me=routed_to_me, mine=mine)
    return [service.demand_read(d) for d in rows]


@router.get("/demands/stats", response_model=DemandStats, summary="Demand counts (for demand analysis)")
def demand_stats(session: ReadSession, actor: CurrentPrincipal) -> DemandStats:
    return DemandStats(**service.demand_stats(session, actor=actor))


@router.get("/demands/{demand_id}", response_model=DemandRead, summary="One demand")
def get_demand(demand_id: str, session: ReadSession, actor: CurrentPrincipal) -> DemandRead:
    return service.demand_read(service.get_demand(session, actor=actor, demand_id=demand_id))


@router.post("/demands/{demand_id}/route", response_model=DemandRead, summary="Route to a department 分派")
def route_demand(demand_id: str, body: DemandRoute, session: WriteSession, actor: CurrentPrincipal) -> DemandRead:
    return service.demand_read(service.route_demand(session, actor=actor, demand_id=demand_id, data=body))


@router.post("/demands/{demand_id}/answer", response_model=DemandRead, summary="Answer: catalogued or explained")
def answer_demand(demand_id: str, body: DemandAnswer, session: WriteSession, actor: CurrentPrincipal) -> DemandRead:
    return service.demand_read(service.answer_demand(session, actor=actor, demand_id=demand_id, data=body))


@router.post("/demands/{demand_id}/decline", response_model=DemandRead, summary="Decline (platform operator)")
def decline_demand(demand_id: str, body: DemandDecline, session: WriteSession, actor: CurrentPrincipal) -> DemandRead:
    return service.demand_read(service.decline_demand(session, actor=actor, demand_id=demand_id, reason=body.reason))


# ---- notifications ------------------------------------------------------------------------------------------
@router.get("/notifications", response_model=InboxRead, summary="My inbox 消息")
def inbox(
    session: ReadSession,
    actor: CurrentPrincipal,
    unread_only: bool = False,
    limit: int = Query(default=50, ge=1, le=200),
    before: datetime | None = None,
) -> InboxRead:
    rows = notify.inbox(session, actor=actor, unread_only=unread_only, limit=limit, before=before)
    items = [
        NotificationOut(
            id=n.id,
            created_at=n.created_at,
            kind=n.kind,
            title_zh=n.title_zh,
            title_en=n.title_en,
            body=n.body,
            object_type=n.object_type,
            object_id=n.object_id,
            read_at=read_at,
        )
        for n, read_at in rows
    ]
    return InboxRead(unread=notify.unread_count(session, actor=actor), items=items)


@router.post("/notifications/{notification_id}/read", status_code=204, summary="Mark one read")
def mark_read(notification_id: str, session: WriteSession, actor: CurrentPrincipal) -> None:
    notify.mark_read(session, actor=actor, notification_id=notification_id)


@router.post("/notifications/read-all", summary="Mark all read")
def mark_all_read(session: WriteSession, actor: CurrentPrincipal) -> dict[str, int]:
    return {"marked": notify.mark_all_read(session, actor=actor)}
