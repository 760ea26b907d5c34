"""需求清单 (the demand list): a department posts the data it needs; the platform operator routes it to a
department that may hold the data, or declines it; that department answers (catalogued as a resource, or
explained). Every department's staff reads the board.

The service decides every right (:func:`govshare.sharing.service.post_demand` …); the pages offer only the
forms it would accept and show its refusals.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govshare.deps import ReadSession, RuntimeDep
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.sharing import service as sharing
from govshare.sharing import vocab as sv
from govshare.sharing.schemas import DemandAnswer, DemandCreate, DemandDecline, DemandRoute
from govshare.web.forms import FormErrors, optional, text_fields, validate, write_or_refuse
from govshare.web.i18n import N_
from govshare.web.pages.common import FLASH_MESSAGES, html_router, page, t_of
from govshare.web.render import redirect
from govshare.web.session import Form, Staff
from govshare.web.vocab import sharing_label, sharing_options

router = html_router()

FLASH_MESSAGES.update(
    {
        "demand_posted": N_("需求已提交，平台将分派给可能掌握数据的部门。"),
        "demand_routed": N_("需求已分派。"),
        "demand_declined": N_("需求已不予受理。"),
        "demand_answered": N_("需求已答复。"),
    }
)
DEMAND_FIELDS = ("title", "description", "reason", "purpose_category", "suspected_org_id", "suspected_holder")
ANSWER_OUTCOMES = (("catalogued", N_("已编目（填写资源代码）")), ("explained", N_("说明情况")))


def can_post(p: Principal) -> bool:
    """As :func:`govshare.sharing.service.post_demand`: requesters and catalog managers of a department."""
    roles = (*sharing.REQUESTER_ROLES, *sharing.DEMAND_ANSWER_ROLES)
    return p.kind == "user" and bool(p.org_id) and any(r in p.roles for r in roles)


def _orgs(session: Session, p: Principal) -> list[tuple[str, str]]:
    return [(o.id, o.name) for o in identity.list_organizations(session, actor=p)]


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
    view = request.query_params.get("view") or "all"
    if view not in ("all", "mine", "routed", "open"):
        view = "all"
    rows = [
        sharing.demand_read(d)
        for d in sharing.list_demands(
            session,
            actor=principal,
            mine=view == "mine",
            routed_to_me=view == "routed",
            status=sv.DemandStatus.open.value if view == "open" else None,
        )
    ]
    posting = can_post(principal)
    return page(
        request,
        principal,
        session,
        "console/sharing/demands.html",
        active="sharing.demands",
        title=t.gettext("需求清单"),
        status_code=status_code,
        page_url="/console/sharing/demands",
        rows=rows,
        view=view,
        names=sharing.org_names(session),
        purpose_text=lambda v: sharing_label(t, sv.PurposeCategory, v),
        can_post=posting,
        purposes=sharing_options(t, sv.PurposeCategory) if posting else [],
        orgs=_orgs(session, principal) if posting else [],
        values=values or {},
        errors=errors,
        operator=principal.is_platform_admin,
    )


@router.get("/console/sharing/demands")
def demands(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _list_page(request, principal, session)


@router.post("/console/sharing/demands")
def post(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    values: dict[str, Any] = text_fields(form, *DEMAND_FIELDS)
    errors = FormErrors()
    body = validate(DemandCreate, optional(values, "purpose_category", "suspected_org_id"), errors, t)
    created = None
    if body is not None:
        created = write_or_refuse(
            runtime, errors, t, set(DEMAND_FIELDS), lambda s: sharing.post_demand(s, actor=principal, data=body)
        )
    if errors or created is None:
        return _list_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect(f"/console/sharing/demands/{created.id}?done=demand_posted", request)


def _demand_page(
    request: Request,
    principal: Principal,
    session: Session,
    demand_id: str,
    *,
    errors: FormErrors | None = None,
    failed_form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    d = sharing.get_demand(session, actor=principal, demand_id=demand_id)
    read = sharing.demand_read(d)
    operator = principal.is_platform_admin
    routable = d.status in (sv.DemandStatus.open, sv.DemandStatus.routed)
    can_answer = (
        d.status == sv.DemandStatus.routed
        and principal.org_id == d.routed_org_id
        and any(r in principal.roles for r in sharing.DEMAND_ANSWER_ROLES)
    )
    return page(
        request,
        principal,
        session,
        "console/sharing/demand.html",
        active="sharing.demands",
        title=t.gettext("数据需求 %(number)s", number=d.number),
        status_code=status_code,
        page_url=f"/console/sharing/demands/{demand_id}",
        d=read,
        names=sharing.org_names(session),
        purpose_text=lambda v: sharing_label(t, sv.PurposeCategory, v),
        can_route=operator and routable,
        can_decline=operator and routable,
        can_answer=can_answer,
        orgs=_orgs(session, principal) if operator and routable else [],
        outcomes=[(v, t.gettext(label)) for v, label in ANSWER_OUTCOMES],
        errors=errors,
        failed_form=failed_form,
        values=values or {},
    )


@router.get("/console/sharing/demands/{demand_id}")
def demand(demand_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _demand_page(request, principal, session, demand_id)


@router.post("/console/sharing/demands/{demand_id}/route")
def route(
    demand_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values: dict[str, Any] = text_fields(form, "org_id", "note")
    errors = FormErrors()
    if not values["org_id"]:
        errors.fields["org_id"] = t.gettext("请选择部门")
    body = None if errors else validate(DemandRoute, values, errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"org_id", "note"},
            lambda s: sharing.route_demand(s, actor=principal, demand_id=demand_id, data=body),
        )
    if errors:
        return _demand_page(request, principal, session, demand_id, errors=errors, failed_form="route",
                            values=values, status_code=422)  # fmt: skip
    return redirect(f"/console/sharing/demands/{demand_id}?done=demand_routed", request)


@router.post("/console/sharing/demands/{demand_id}/decline")
def decline(
    demand_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values: dict[str, Any] = text_fields(form, "reason")
    errors = FormErrors()
    body = validate(DemandDecline, values, errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"reason"},
            lambda s: sharing.decline_demand(s, actor=principal, demand_id=demand_id, reason=body.reason),
        )
    if errors:
        return _demand_page(request, principal, session, demand_id, errors=errors, failed_form="decline",
                            values=values, status_code=422)  # fmt: skip
    return redirect(f"/console/sharing/demands/{demand_id}?done=demand_declined", request)


@router.post("/console/sharing/demands/{demand_id}/answer")
def answer(
    demand_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values: dict[str, Any] = text_fields(form, "outcome", "resource_code", "answer")
    errors = FormErrors()
    if values["outcome"] == "catalogued" and not values["resource_code"]:
        errors.fields["resource_code"] = t.gettext("已编目时请填写资源代码")
    body = None if errors else validate(DemandAnswer, optional(values, "resource_code"), errors, t)
    if body is not None:
        write_or_refuse(
            runtime,
            errors,
            t,
            {"outcome", "resource_code", "answer"},
            lambda s: sharing.answer_demand(s, actor=principal, demand_id=demand_id, data=body),
        )
    if errors:
        return _demand_page(request, principal, session, demand_id, errors=errors, failed_form="answer",
                            values=values, status_code=422)  # fmt: skip
    return redirect(f"/console/sharing/demands/{demand_id}?done=demand_answered", request)
