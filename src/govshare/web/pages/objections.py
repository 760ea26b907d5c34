"""校核纠错 (objections): the list with due dates and overdue highlighting, raising one about granted data, and
the objection's page — its history, the provider's answer (correct or explain) and the raiser's close (accept
or dispute, which reopens it with a fresh deadline).

Every read and write goes through :mod:`govshare.sharing.service`: an objection of other departments is a 404
there, a wrong role a 403, a wrong state a 409; the forms only offer what the service would allow.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.audit.models import AuditRecord
from govshare.catalog import service as catalog
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem, forbidden
from govshare.identity.principal import Principal
from govshare.sharing import service as sharing
from govshare.sharing import vocab as sv
from govshare.sharing.models import Grant
from govshare.sharing.schemas import ObjectionAnswer, ObjectionClose, ObjectionCreate
from govshare.web import access
from govshare.web.forms import FormErrors, text_fields, validate, write_or_refuse
from govshare.web.i18n import N_, Translator
from govshare.web.labels import action_text
from govshare.web.pages.common import FLASH_MESSAGES, html_router, page, t_of
from govshare.web.render import redirect
from govshare.web.session import Form, Staff

router = html_router()

FLASH_MESSAGES.update(
    {
        "objection_raised": N_("校核纠错已提出，提供单位须在期限内核查答复。"),
        "objection_answered": N_("已答复，等待提出单位办结。"),
        "objection_closed": N_("已办结。"),
        "objection_reopened": N_("已提出仍有异议，提供单位须重新核查。"),
    }
)

OBJECTION_ANSWER_ROLES = sharing.OBJECTION_ANSWER_ROLES
REQUESTER_ROLES = sharing.REQUESTER_ROLES
OUTCOMES = (("corrected", N_("已更正")), ("explained", N_("数据无误，说明理由")))


def can_raise(p: Principal) -> bool:
    """As :func:`govshare.sharing.service.raise_objection`: a department's requesters."""
    return p.kind == "user" and bool(p.org_id) and any(r in p.roles for r in REQUESTER_ROLES)


def _granted_resources(session: Session, p: Principal) -> list[tuple[str, str]]:
    """Resources the department was granted (an objection is about data it received)."""
    if not p.org_id:
        return []
    codes = session.scalars(
        select(Grant.resource_code).where(Grant.consumer_org_id == p.org_id).distinct().order_by(Grant.resource_code)
    )
    out = []
    for code in codes:
        try:
            name = catalog.get_by_code(session, actor=p, code=code).name
        except Problem:
            name = code
        out.append((code, f"{name}（{code}）"))
    return out


# ---- the list ------------------------------------------------------------------------------------------
def _list_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    if not access.sees_objections(principal):
        raise forbidden("无权查看校核纠错", "no access to objections")
    side = request.query_params.get("side") or "all"
    if side not in ("all", "provider", "consumer"):
        side = "all"
    overdue = request.query_params.get("overdue") == "1"
    rows = [
        sharing.objection_read(o)
        for o in sharing.list_objections(session, actor=principal, side=side, overdue=True if overdue else None)
    ]
    return page(
        request,
        principal,
        session,
        "console/sharing/objections.html",
        active="sharing.objections",
        title=t.gettext("校核纠错"),
        status_code=status_code,
        page_url="/console/sharing/objections",
        rows=rows,
        side=side,
        overdue_only=overdue,
        names=sharing.org_names(session),
        can_raise=can_raise(principal),
        resources=_granted_resources(session, principal) if can_raise(principal) else [],
        values=values or {},
        errors=errors,
    )


@router.get("/console/sharing/objections")
def objections(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _list_page(request, principal, session)


@router.post("/console/sharing/objections")
def raise_objection(
    request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    if not can_raise(principal):
        raise forbidden("只有受理员、审批员或单位管理员可以提出校核纠错", "requires role: clerk, approver or org_admin")
    values: dict[str, Any] = text_fields(form, "resource_code", "record_ref", "items", "description", "evidence")
    errors = FormErrors()
    data = {**values, "items": [i for i in values["items"].replace("，", ",").split(",") if i.strip()]}
    body = validate(ObjectionCreate, data, errors, t)
    created = None
    if body is not None:
        created = write_or_refuse(
            runtime,
            errors,
            t,
            {"resource_code", "record_ref", "items", "description", "evidence"},
            lambda s: sharing.raise_objection(s, actor=principal, data=body),
        )
    if errors or created is None:
        return _list_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect(f"/console/sharing/objections/{created.id}?done=objection_raised", request)


# ---- one objection -------------------------------------------------------------------------------------
def _history(session: Session, objection_id: str, t: Translator, names: dict[str, str]) -> list[dict[str, Any]]:
    """The objection's own audit records, oldest first (raised, answered, reopened, closed, reminded)."""
    rows = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.object_type == "objection", AuditRecord.object_id == objection_id)
        .order_by(AuditRecord.seq)
        .limit(200)
    )
    out = []
    for r in rows:
        try:
            detail = json.loads(r.detail) if r.detail else {}
        except ValueError:
            detail = {}
        out.append(
            {
                "ts_us": r.ts_us,
                "action": r.action,
                "what": action_text(t, r.action),
                "org": names.get(r.actor_org_id or "", "") if r.actor_kind != "platform" else t.gettext("平台"),
                "outcome": detail.get("outcome"),
                "note": detail.get("note") or "",
                "late": bool(detail.get("late")),
            }
        )
    return out


def _objection_page(
    request: Request,
    principal: Principal,
    session: Session,
    objection_id: str,
    *,
    errors: FormErrors | None = None,
    failed_form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    o = sharing.get_objection(session, actor=principal, objection_id=objection_id)
    read = sharing.objection_read(o)
    names = sharing.org_names(session)
    can_answer = (
        principal.org_id == o.provider_org_id
        and any(r in principal.roles for r in OBJECTION_ANSWER_ROLES)
        and o.status == sv.ObjectionStatus.open
    )
    can_close = (
        principal.org_id == o.consumer_org_id
        and any(r in principal.roles for r in REQUESTER_ROLES)
        and o.status in (sv.ObjectionStatus.corrected, sv.ObjectionStatus.explained)
    )
    return page(
        request,
        principal,
        session,
        "console/sharing/objection.html",
        active="sharing.objections",
        title=t.gettext("校核纠错 %(number)s", number=o.number),
        status_code=status_code,
        page_url=f"/console/sharing/objections/{objection_id}",
        o=read,
        names=names,
        history=_history(session, o.id, t, names),
        can_answer=can_answer,
        can_close=can_close,
        outcomes=[(v, t.gettext(label)) for v, label in OUTCOMES],
        item_options=[(n, n) for n in read.items],
        errors=errors,
        failed_form=failed_form,
        values=values or {},
    )


@router.get("/console/sharing/objections/{objection_id}")
def objection(objection_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _objection_page(request, principal, session, objection_id)


@router.post("/console/sharing/objections/{objection_id}/answer")
def answer(
    objection_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values: dict[str, Any] = text_fields(form, "outcome", "answer", "correction_note")
    corrected = [v for v in form.getlist("corrected_items") if isinstance(v, str) and v]
    body = validate(ObjectionAnswer, {**values, "corrected_items": corrected}, errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"outcome", "answer", "correction_note", "corrected_items"},
            lambda s: sharing.answer_objection(s, actor=principal, objection_id=objection_id, data=body),
        )
    if errors:
        return _objection_page(
            request, principal, session, objection_id, errors=errors, failed_form="answer", values=values,
            status_code=422,
        )  # fmt: skip
    return redirect(f"/console/sharing/objections/{objection_id}?done=objection_answered", request)


@router.post("/console/sharing/objections/{objection_id}/close")
def close(
    objection_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    values: dict[str, Any] = text_fields(form, "decision", "note")
    accept = values["decision"] != "dispute"
    if not accept and len(values["note"]) < 2:
        errors.fields["note"] = t.gettext("仍有异议时请说明理由")
    body = None if errors else validate(ObjectionClose, {"accept": accept, "note": values["note"]}, errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"note"},
            lambda s: sharing.close_objection(s, actor=principal, objection_id=objection_id, data=body),
        )
    if errors:
        return _objection_page(
            request, principal, session, objection_id, errors=errors, failed_form="close", values=values,
            status_code=422,
        )  # fmt: skip
    done = "objection_closed" if accept else "objection_reopened"
    return redirect(f"/console/sharing/objections/{objection_id}?done={done}", request)
