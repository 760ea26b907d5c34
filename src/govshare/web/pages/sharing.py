"""共享 (sharing): applications (mine and those awaiting my answer, with working-day due dates), the apply form,
the provider's answer (approve, narrow, reject, ask for information), agreements (view, confirm, print), grants
(list, revoke), objections, the demand list, the notification inbox and the dashboard's sharing panels.

Every read and write goes through :mod:`govshare.sharing.service` (and ``sharing.notify`` for the inbox): a
request, agreement or grant of other departments is a 404 there, and so here.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem, forbidden
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.sharing import notify
from govshare.sharing import service as sharing
from govshare.sharing import vocab as sv
from govshare.sharing.schemas import (
    AgreementAmend,
    ApproveBody,
    InfoRequestBody,
    InfoSupplyBody,
    RejectBody,
    RequestCreate,
    TerminateBody,
)
from govshare.web import access
from govshare.web.dashboard import Panel, PanelContext, register_panel
from govshare.web.forms import FormErrors, text_fields, validate, write, write_or_refuse
from govshare.web.i18n import N_, Translator
from govshare.web.labels import register_action_labels
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import FLASH_MESSAGES, html_router, page, t_of
from govshare.web.render import SECURITY_HEADERS, redirect
from govshare.web.session import Form, Staff
from govshare.web.vocab import sharing_label, sharing_options

router = html_router()

register_section("sharing", N_("共享"), order=30)
register_item(
    MenuItem("sharing.requests", "sharing", N_("共享申请"), "/console/sharing/requests", 10, access.sees_sharing)
)
register_item(
    MenuItem("sharing.agreements", "sharing", N_("共享协议"), "/console/sharing/agreements", 20, access.sees_sharing)
)
register_item(MenuItem("sharing.grants", "sharing", N_("授权"), "/console/sharing/grants", 30, access.sees_sharing))
register_item(
    MenuItem("sharing.objections", "sharing", N_("校核纠错"), "/console/sharing/objections", 40, access.sees_objections)
)
register_item(MenuItem("sharing.demands", "sharing", N_("需求清单"), "/console/sharing/demands", 50))
register_item(MenuItem("sharing.inbox", "sharing", N_("消息"), "/console/inbox", 60))

register_action_labels(
    {
        "sharing.request.submit": N_("提交共享申请"),
        "sharing.request.register": N_("使用登记"),
        "sharing.request.approve": N_("同意共享申请"),
        "sharing.request.reject": N_("拒绝共享申请"),
        "sharing.request.request_info": N_("要求补充材料"),
        "sharing.request.supply_info": N_("补充材料"),
        "sharing.request.withdraw": N_("撤回共享申请"),
        "sharing.request.escalate": N_("逾期提交协调"),
        "sharing.request.coordinate": N_("协调共享申请"),
        "sharing.agreement.confirm": N_("确认共享协议"),
        "sharing.agreement.amend": N_("变更共享协议"),
        "sharing.agreement.decline_amendment": N_("拒绝协议变更"),
        "sharing.agreement.terminate": N_("终止共享协议"),
        "sharing.grant.revoke": N_("撤销授权"),
        "sharing.objection.raise": N_("提出校核纠错"),
        "sharing.objection.answer": N_("答复校核纠错"),
        "sharing.objection.close": N_("办结校核纠错"),
        "sharing.objection.reopen": N_("重新提出校核纠错"),
        "sharing.objection.escalate": N_("校核纠错逾期提醒"),
        "sharing.demand.post": N_("提出数据需求"),
        "sharing.demand.route": N_("分派数据需求"),
        "sharing.demand.answer": N_("答复数据需求"),
        "sharing.demand.decline": N_("不予受理数据需求"),
        "sharing.setting.update": N_("修改共享设置"),
        "sharing.policy.deny": N_("拒绝数据调用"),
        "sharing.quota.exceeded": N_("超出每日限额"),
        "exchange.query": N_("数据查询"),
    },
    {
        "access_request": N_("共享申请"),
        "agreement": N_("共享协议"),
        "grant": N_("授权"),
        "objection": N_("校核纠错"),
        "demand": N_("数据需求"),
    },
)
FLASH_MESSAGES.update(
    {
        "request_submitted": N_("申请已提交，提供单位将在期限内答复。"),
        "registered": N_("使用已登记，授权立即生效。"),
        "request_approved": N_("已同意，共享协议已生成，待双方确认。"),
        "request_rejected": N_("已拒绝。"),
        "info_requested": N_("已要求补充材料，答复期限暂停计算。"),
        "info_supplied": N_("材料已补充，答复期限继续计算。"),
        "agreement_confirmed": N_("已确认协议。"),
        "agreement_amended": N_("变更版本已提出，待对方确认后生效。"),
        "agreement_terminated": N_("协议已终止。"),
        "grant_revoked": N_("授权已撤销，下一次调用即被拒绝。"),
        "inbox_read": N_("消息已全部标为已读。"),
    }
)

#: The print view's only script is the service's print button (``onclick``); CSP allows exactly that handler.
PRINT_HANDLER = "window.print()"
_PRINT_HASH = base64.b64encode(hashlib.sha256(PRINT_HANDLER.encode()).digest()).decode()
PRINT_CSP = (
    f"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-hashes' 'sha256-{_PRINT_HASH}'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# ---- helpers ----------------------------------------------------------------------------------------
def _date(value: str, name: str, errors: FormErrors, t: Translator) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.fields[name] = t.gettext("日期格式应为 YYYY-MM-DD")
        return None


def _int(value: str, name: str, errors: FormErrors, t: Translator) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        errors.fields[name] = t.gettext("请输入整数")
        return None
    return int(value)


# ---- requests --------------------------------------------------------------------------------------
@router.get("/console/sharing/requests")
def requests(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    if not access.sees_sharing(principal):
        raise forbidden("无权查看共享申请", "no access to sharing requests")
    view = request.query_params.get("view") or ("incoming" if access.can_answer_requests(principal) else "mine")
    if view not in ("incoming", "mine", "all"):
        view = "mine"
    overdue_only = request.query_params.get("overdue") == "1"
    names = sharing.org_names(session)
    if view == "incoming":
        rows = sharing.list_requests(session, actor=principal, side="provider", overdue=True if overdue_only else None)
        rows = (
            [r for r in rows if r.status in [s.value for s in sv.OPEN_REQUEST_STATUSES]] if not overdue_only else rows
        )
    elif view == "mine":
        rows = sharing.list_requests(session, actor=principal, side="consumer", overdue=True if overdue_only else None)
    else:
        rows = sharing.list_requests(session, actor=principal, overdue=True if overdue_only else None)
    return page(
        request,
        principal,
        session,
        "console/sharing/requests.html",
        active="sharing.requests",
        title=t.gettext("共享申请"),
        view=view,
        overdue_only=overdue_only,
        rows=[sharing.request_read(session, r, names=names) for r in rows],
        sees_all=principal.is_platform_admin or principal.is_platform_auditor,
    )


def _request_page(
    request: Request,
    principal: Principal,
    session: Session,
    request_id: str,
    *,
    errors: FormErrors | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    req = sharing.get_request(session, actor=principal, request_id=request_id)
    read = sharing.request_read(session, req, events=True)
    provider_side = principal.org_id == req.provider_org_id
    consumer_side = principal.org_id == req.consumer_org_id
    open_now = req.status in [s.value for s in sv.OPEN_REQUEST_STATUSES]
    item_names: dict[str, str] = {}
    try:
        res = catalog.get_by_code(session, actor=principal, code=req.resource_code)
        item_names = {i.machine_name: i.name for i in res.items}
    except Problem:
        pass
    return page(
        request,
        principal,
        session,
        "console/sharing/request.html",
        active="sharing.requests",
        title=t.gettext("共享申请 %(number)s", number=req.number),
        status_code=status_code,
        page_url=f"/console/sharing/requests/{request_id}",
        r=read,
        item_names=item_names,
        can_answer=provider_side
        and access.can_answer_requests(principal)
        and req.status in (sv.RequestStatus.submitted, sv.RequestStatus.escalated),
        can_supply=consumer_side
        and access.can_file_requests(principal)
        and req.status == sv.RequestStatus.info_requested,
        open_now=open_now,
        reject_categories=sharing_options(t, sv.RejectCategory),
        errors=errors,
        failed_form=form,
        values=values or {},
        event_labels=EVENT_LABELS,
    )


EVENT_LABELS = {
    "submitted": N_("提交申请"),
    "registered": N_("使用登记"),
    "approved": N_("同意"),
    "rejected": N_("拒绝"),
    "info_requested": N_("要求补充材料"),
    "info_supplied": N_("补充材料"),
    "withdrawn": N_("撤回"),
    "escalated": N_("逾期提交协调"),
    "coordinated": N_("协调"),
    "returned": N_("退回提供方"),
}


@router.get("/console/sharing/requests/{request_id}")
def request_detail(request_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _request_page(request, principal, session, request_id)


@router.post("/console/sharing/requests/{request_id}/approve")
def approve(
    request_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values = text_fields(form, "valid_until", "daily_calls", "reason")
    items = [v for v in form.getlist("items") if isinstance(v, str)]
    masked = [v for v in form.getlist("masked_items") if isinstance(v, str)]
    valid_until = _date(values["valid_until"], "valid_until", errors, t)
    daily_calls = _int(values["daily_calls"], "daily_calls", errors, t)
    body = None
    if not errors:
        body = validate(
            ApproveBody,
            {
                "items": items,
                "masked_items": masked,
                "valid_until": valid_until,
                "daily_calls": daily_calls,
                "reason": values["reason"],
            },
            errors,
            t,
        )
    if body is not None:
        write(
            runtime,
            errors,
            t,
            {"items", "masked_items", "valid_until", "daily_calls", "reason"},
            lambda s: sharing.approve_request(s, actor=principal, request_id=request_id, data=body),
        )
    if errors:
        return _request_page(
            request, principal, session, request_id, errors=errors, form="approve", values=values, status_code=422
        )
    return redirect(f"/console/sharing/requests/{request_id}?done=request_approved", request)


@router.post("/console/sharing/requests/{request_id}/reject")
def reject(
    request_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values = text_fields(form, "category", "reason")
    body = validate(RejectBody, values, errors, t)
    if body is not None:
        write(
            runtime,
            errors,
            t,
            {"category", "reason"},
            lambda s: sharing.reject_request(s, actor=principal, request_id=request_id, data=body),
        )
    if errors:
        return _request_page(
            request, principal, session, request_id, errors=errors, form="reject", values=values, status_code=422
        )
    return redirect(f"/console/sharing/requests/{request_id}?done=request_rejected", request)


@router.post("/console/sharing/requests/{request_id}/info")
def ask_info(
    request_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values = text_fields(form, "question")
    body = validate(InfoRequestBody, values, errors, t)
    if body is not None:
        write(
            runtime,
            errors,
            t,
            {"question"},
            lambda s: sharing.request_info(s, actor=principal, request_id=request_id, data=body),
        )
    if errors:
        return _request_page(
            request, principal, session, request_id, errors=errors, form="info", values=values, status_code=422
        )
    return redirect(f"/console/sharing/requests/{request_id}?done=info_requested", request)


@router.post("/console/sharing/requests/{request_id}/supply")
def supply_info(
    request_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values = text_fields(form, "answer")
    body = validate(InfoSupplyBody, values, errors, t)
    if body is not None:
        write(
            runtime,
            errors,
            t,
            {"answer"},
            lambda s: sharing.supply_info(s, actor=principal, request_id=request_id, data=body),
        )
    if errors:
        return _request_page(
            request, principal, session, request_id, errors=errors, form="supply", values=values, status_code=422
        )
    return redirect(f"/console/sharing/requests/{request_id}?done=info_supplied", request)


# ---- applying --------------------------------------------------------------------------------------
APPLY_FIELDS = (
    "system_id",
    "purpose_category",
    "purpose",
    "legal_basis",
    "valid_from",
    "valid_until",
    "expected_daily_calls",
    "contact_name",
    "contact_phone",
)


def _apply_page(
    request: Request,
    principal: Principal,
    session: Session,
    code: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    if not access.can_file_requests(principal):
        raise forbidden("只有受理员、审批员或单位管理员可以提交共享申请", "requires role: clerk, approver or org_admin")
    r = catalog.get_by_code(session, actor=principal, code=code)
    read = catalog.resource_read(session, actor=principal, r=r)
    items = [
        {
            "i": i,
            "share": sharing_label_catalog(t, i.effective_share_type),
            "unconditional": i.effective_share_type == "unconditional",
        }
        for i in read.items
        if i.effective_share_type != "none" and not i.is_secret
    ]
    systems = [s for s in identity.list_systems(session, actor=principal) if s.org_id == principal.org_id and s.active]
    default = values or {
        "system_id": systems[0].id if systems else "",
        "items": [row["i"].machine_name for row in items],
        "contact_name": principal.name,
    }
    return page(
        request,
        principal,
        session,
        "console/sharing/apply.html",
        active="sharing.requests",
        title=t.gettext("申请使用：%(name)s", name=read.name),
        status_code=status_code,
        r=read,
        items=items,
        systems=[(s.id, f"{s.name}（{s.code}）") for s in systems],
        purposes=sharing_options(t, sv.PurposeCategory),
        values=default,
        errors=errors,
    )


def sharing_label_catalog(t: Translator, share_type: str | None) -> str:
    from govshare.catalog import vocab as cv
    from govshare.web.vocab import catalog_label

    return catalog_label(t, cv.ShareType, share_type)


@router.get("/console/sharing/apply")
def apply_form(request: Request, principal: Staff, session: ReadSession) -> Response:
    code = request.query_params.get("resource") or ""
    return _apply_page(request, principal, session, code)


@router.post("/console/sharing/apply")
def apply(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    code = form.get("resource_code")
    code = code if isinstance(code, str) else ""
    values: dict[str, Any] = text_fields(form, *APPLY_FIELDS)
    values["items"] = [v for v in form.getlist("items") if isinstance(v, str)]
    values["case_bound"] = form.get("case_bound") == "1"
    errors = FormErrors()
    data = {
        **{k: v for k, v in values.items() if v != ""},
        "resource_code": code,
        "valid_from": _date(values["valid_from"], "valid_from", errors, t),
        "valid_until": _date(values["valid_until"], "valid_until", errors, t),
        "expected_daily_calls": _int(values["expected_daily_calls"], "expected_daily_calls", errors, t),
    }
    body = None if errors else validate(RequestCreate, data, errors, t)
    created = None
    if body is not None:
        created = write(
            runtime,
            errors,
            t,
            set(APPLY_FIELDS) | {"items"},
            lambda s: sharing.submit_request(s, actor=principal, data=body),
        )
    if errors or created is None:
        return _apply_page(request, principal, session, code, values=values, errors=errors, status_code=422)
    done = "registered" if created.kind == sv.RequestKind.registration else "request_submitted"
    return redirect(f"/console/sharing/requests/{created.id}?done={done}", request)


# ---- agreements ------------------------------------------------------------------------------------
@router.get("/console/sharing/agreements")
def agreements(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    if not access.sees_sharing(principal):
        raise forbidden("无权查看共享协议", "no access to agreements")
    names = sharing.org_names(session)
    rows = [sharing.agreement_read(a) for a in sharing.list_agreements(session, actor=principal)]
    return page(
        request,
        principal,
        session,
        "console/sharing/agreements.html",
        active="sharing.agreements",
        title=t.gettext("共享协议"),
        rows=rows,
        names=names,
    )


def _agreement_page(
    request: Request,
    principal: Principal,
    session: Session,
    agreement_id: str,
    *,
    errors: FormErrors | None = None,
    failed_form: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    t = t_of(request)
    a = sharing.agreement_read(sharing.get_agreement(session, actor=principal, agreement_id=agreement_id))
    side = (
        "consumer"
        if principal.org_id == a.consumer_org_id
        else "provider"
        if principal.org_id == a.provider_org_id
        else None
    )
    mine_confirmed = (side == "consumer" and a.consumer_confirmed_at) or (
        side == "provider" and a.provider_confirmed_at
    )
    confirmer = side is not None and any(r in principal.roles for r in sharing.CONFIRMER_ROLES)
    versions = [
        sharing.agreement_read(v) for v in sharing.list_agreements(session, actor=principal) if v.number == a.number
    ]
    pending_amendment = any(v.status == sv.AgreementStatus.pending for v in versions)
    live = a.status in (sv.AgreementStatus.pending, sv.AgreementStatus.in_force)
    return page(
        request,
        principal,
        session,
        "console/sharing/agreement.html",
        active="sharing.agreements",
        title=t.gettext("共享协议 %(number)s", number=a.number),
        status_code=422 if errors else 200,
        page_url=f"/console/sharing/agreements/{agreement_id}",
        a=a,
        c=a.content,
        names=sharing.org_names(session),
        can_confirm=side is not None
        and a.status == sv.AgreementStatus.pending
        and not mine_confirmed
        and access.can_confirm_agreements(principal),
        # As sharing.service.amend_agreement / terminate_agreement: the parties' admins and approvers; the
        # platform operator may terminate too. A pending version of an agreement in force is "declined".
        can_amend=confirmer and a.status == sv.AgreementStatus.in_force and not pending_amendment,
        can_terminate=live and (confirmer or principal.is_platform_admin),
        declines_amendment=a.status == sv.AgreementStatus.pending
        and any(v.status == sv.AgreementStatus.in_force for v in versions),
        versions=versions,
        item_options=[
            (i["machine_name"], f"{i.get('name', '')} {i['machine_name']}") for i in a.content.get("items", [])
        ],
        treatment=lambda v: sharing_label(t, sv.ItemTreatment, v),
        errors=errors,
        failed_form=failed_form,
        values=values or {},
    )


@router.get("/console/sharing/agreements/{agreement_id}")
def agreement(agreement_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _agreement_page(request, principal, session, agreement_id)


@router.post("/console/sharing/agreements/{agreement_id}/confirm")
def confirm(
    agreement_id: str, request: Request, principal: Staff, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    write(runtime, errors, t, None, lambda s: sharing.confirm_agreement(s, actor=principal, agreement_id=agreement_id))
    if errors:
        return _agreement_page(request, principal, session, agreement_id, errors=errors)
    return redirect(f"/console/sharing/agreements/{agreement_id}?done=agreement_confirmed", request)


AMEND_FIELDS = ("note", "valid_until", "daily_calls", "daily_records", "contact_name", "contact_phone")


@router.post("/console/sharing/agreements/{agreement_id}/amend")
def amend(
    agreement_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """Propose a new version: later end, other volumes, fewer items, other contact (empty fields: unchanged)."""
    t = t_of(request)
    errors = FormErrors()
    values: dict[str, Any] = text_fields(form, *AMEND_FIELDS)
    items = [v for v in form.getlist("items") if isinstance(v, str) and v]
    current = sharing.get_agreement(session, actor=principal, agreement_id=agreement_id).content.get("items", [])
    data: dict[str, Any] = {
        "note": values["note"],
        "valid_until": _date(values["valid_until"], "valid_until", errors, t),
        "daily_calls": _int(values["daily_calls"], "daily_calls", errors, t),
        "daily_records": _int(values["daily_records"], "daily_records", errors, t),
        "contact_name": values["contact_name"] or None,
        "contact_phone": values["contact_phone"] or None,
        # the boxes start checked; an unchanged set is no change
        "items": items if sorted(items) != sorted(i["machine_name"] for i in current) else None,
    }
    body = None if errors else validate(AgreementAmend, data, errors, t)
    created = None
    if body is not None:
        created = write_or_refuse(
            runtime,
            errors,
            t,
            {*AMEND_FIELDS, "items"},
            lambda s: sharing.amend_agreement(s, actor=principal, agreement_id=agreement_id, data=body),
        )
    if errors or created is None:
        return _agreement_page(request, principal, session, agreement_id, errors=errors, failed_form="amend",
                               values=values)  # fmt: skip
    return redirect(f"/console/sharing/agreements/{created.id}?done=agreement_amended", request)


@router.post("/console/sharing/agreements/{agreement_id}/terminate")
def terminate(
    agreement_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values: dict[str, Any] = text_fields(form, "reason")
    body = validate(TerminateBody, values, errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"reason"},
            lambda s: sharing.terminate_agreement(s, actor=principal, agreement_id=agreement_id, reason=body.reason),
        )
    if errors:
        return _agreement_page(request, principal, session, agreement_id, errors=errors, failed_form="terminate",
                               values=values)  # fmt: skip
    return redirect(f"/console/sharing/agreements/{agreement_id}?done=agreement_terminated", request)


@router.get("/console/sharing/agreements/{agreement_id}/print")
def agreement_print(agreement_id: str, principal: Staff, session: ReadSession) -> Response:
    """The service's own A4 document (Chinese, the legal text), with a CSP that allows only its print button."""
    html = sharing.agreement_html(session, actor=principal, agreement_id=agreement_id, print_view=True)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": PRINT_CSP, "Cache-Control": "no-store"}
    return HTMLResponse(html, headers=headers)


# ---- grants ----------------------------------------------------------------------------------------
@router.get("/console/sharing/grants")
def grants(request: Request, principal: Staff, session: ReadSession, errors: FormErrors | None = None) -> Response:
    return _grants_page(request, principal, session)


def _grants_page(
    request: Request, principal: Principal, session: Session, *, errors: FormErrors | None = None, failed: str = ""
) -> Response:
    t = t_of(request)
    if not access.sees_sharing(principal):
        raise forbidden("无权查看授权", "no access to grants")
    rows = [sharing.grant_read(g) for g in sharing.list_grants(session, actor=principal)]
    systems = {s.id: s.name for s in identity.list_systems(session, actor=principal)}
    return page(
        request,
        principal,
        session,
        "console/sharing/grants.html",
        active="sharing.grants",
        title=t.gettext("授权"),
        status_code=422 if errors else 200,
        page_url="/console/sharing/grants",
        rows=rows,
        names=sharing.org_names(session),
        systems=systems,
        status_text=lambda v: sharing_label(t, sv.GrantStatus, v),
        purpose_text=lambda v: sharing_label(t, sv.PurposeCategory, v),
        errors=errors,
        failed=failed,
    )


@router.post("/console/sharing/grants/{grant_id}/revoke")
def revoke(
    grant_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    reason = text_fields(form, "reason")["reason"]
    if len(reason) < 2:
        errors.fields["reason"] = t.gettext("请说明撤销理由")
    else:
        write(
            runtime,
            errors,
            t,
            {"reason"},
            lambda s: sharing.revoke_grant(s, actor=principal, grant_id=grant_id, reason=reason),
        )
    if errors:
        return _grants_page(request, principal, session, errors=errors, failed=grant_id)
    return redirect("/console/sharing/grants?done=grant_revoked", request)


# ---- inbox -----------------------------------------------------------------------------------------
OBJECT_LINKS = {
    "access_request": "/console/sharing/requests/{}",
    "agreement": "/console/sharing/agreements/{}",
    "objection": "/console/sharing/objections/{}",
    "demand": "/console/sharing/demands/{}",
    "grant": "/console/sharing/grants#g-{}",
}


@router.get("/console/inbox")
def inbox(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    rows = []
    for n, read_at in notify.inbox(session, actor=principal, limit=100):
        link = OBJECT_LINKS.get(n.object_type or "", "")
        rows.append(
            {"n": n, "read": read_at is not None, "href": link.format(n.object_id) if link and n.object_id else None}
        )
    return page(
        request,
        principal,
        session,
        "console/sharing/inbox.html",
        active="sharing.inbox",
        title=t.gettext("消息"),
        rows=rows,
    )


@router.post("/console/inbox/read-all")
def inbox_read_all(request: Request, principal: Staff, runtime: RuntimeDep) -> Response:
    with runtime.db.write() as s:
        notify.mark_all_read(s, actor=principal)
    return redirect("/console/inbox?done=inbox_read", request)


# ---- dashboard panels --------------------------------------------------------------------------------
def _scoped(rows: list[dict[str, Any]], p: Principal) -> list[dict[str, Any]]:
    """The service counts per provider; a department sees its own row, the operator every row."""
    if p.is_platform_admin or p.is_platform_auditor:
        return rows
    return [r for r in rows if r["org_id"] == p.org_id]


def _requests_panel(ctx: PanelContext) -> dict[str, Any] | None:
    p = ctx.principal
    rows = _scoped(sharing.request_counts(ctx.session, actor=p), p)
    total = {k: sum(r[k] for r in rows) for k in ("pending", "overdue", "escalated", "approved", "rejected")}
    mine = sharing.list_requests(ctx.session, actor=p, side="consumer", limit=200) if p.org_id else []
    waiting = sum(1 for r in mine if r.status in [s.value for s in sv.OPEN_REQUEST_STATUSES])
    wide = p.is_platform_admin or p.is_platform_auditor
    return {
        "cards": [
            {
                "label": N_("待答复的申请"),
                "value": total["pending"],
                "href": "/console/sharing/requests?view=incoming",
                "key": "pending",
            },
            {
                "label": N_("逾期未答复"),
                "value": total["overdue"],
                "href": "/console/sharing/requests?view=incoming&overdue=1",
                "key": "overdue",
                "alert": total["overdue"] > 0,
            },
            {
                "label": N_("本单位在办申请"),
                "value": waiting,
                "href": "/console/sharing/requests?view=mine",
                "key": "mine",
            },
            {"label": N_("已同意"), "value": total["approved"], "href": None, "key": "approved"},
        ],
        "providers": [r for r in rows if r["pending"] or r["overdue"]][:8] if wide else [],
    }


def _objections_panel(ctx: PanelContext) -> dict[str, Any] | None:
    p = ctx.principal
    rows = _scoped(sharing.objection_counts(ctx.session, actor=p), p)
    open_, overdue = sum(r["open"] for r in rows), sum(r["overdue"] for r in rows)
    return {
        "cards": [
            {
                "label": N_("待核查的纠错"),
                "value": open_,
                "href": "/console/sharing/objections",
                "key": "objections_open",
            },
            {
                "label": N_("逾期未核查"),
                "value": overdue,
                "href": "/console/sharing/objections",
                "key": "objections_overdue",
                "alert": overdue > 0,
            },
        ],
        "providers": [],
    }


register_panel(
    Panel(
        "sharing_requests", N_("共享申请"), "console/panels/counts.html", _requests_panel, access.sees_sharing, order=5
    )
)
register_panel(
    Panel(
        "sharing_objections",
        N_("校核纠错"),
        "console/panels/counts.html",
        _objections_panel,
        access.sees_sharing,
        order=6,
    )
)
