"""Sharing workflow logic: the only code that writes requests, grants, agreements, objections and demands.

Every function takes the acting :class:`Principal` and a ``session``; it checks the caller's right and
organization, makes the change, appends the audit record and the notifications in the same transaction, and
bumps the policy epoch when a decision input changed (so every gateway process drops its cache).

Access request (共享申请) lifecycle:

    submitted ──approve──▶ approved (grant + agreement v1)      registration: registered at once (grant active)
        │  └──reject──▶ rejected
        │  └──request_info──▶ info_requested ──supply_info──▶ submitted (clock resumes)
        │  └──withdraw──▶ withdrawn
        └──(overdue; escalate_overdue)──▶ escalated ──approve/reject by the provider, or coordinate by 数据局
                                                     (approve / reject / return with a new deadline)

Who may do what:
- file a request, supply information, withdraw, raise and close objections, post demands: staff of the consumer
  department with ``org_admin``, ``approver`` or ``clerk`` (systems may file registrations for themselves);
- answer a request: the provider department's ``approver`` (nobody else — not even a platform admin, who decides
  only through coordination once a request is escalated);
- confirm, amend or terminate an agreement: ``org_admin`` or ``approver`` of either party;
- answer objections: the provider's ``approver`` or ``catalog_manager``; answer demands: the routed department's
  ``catalog_manager`` or ``org_admin``; route demands and coordinate: the platform operator's administrators.
Reading: a request, grant, agreement or objection is visible to its two parties and to the platform operator's
administrators and auditors; anyone else gets 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govshare.db import utcnow
from govshare.errors import Problem, conflict, forbidden, invalid, not_found
from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM, ROLE_LABELS_ZH, Principal, Role
from govshare.runtime import audit_of, runtime_of
from govshare.sharing import agreement_doc, catalog_port, notify
from govshare.sharing import deadlines as dl
from govshare.sharing.catalog_port import ResourceInfo
from govshare.sharing.models import (
    AccessRequest,
    Agreement,
    Demand,
    Grant,
    Objection,
    PolicyEpoch,
    RequestEvent,
    SharingSetting,
)
from govshare.sharing.policy import EPOCH_ID, PolicyQuery, engine_for, notify_local_change
from govshare.sharing.quota import day_key, usage
from govshare.sharing.schemas import (
    AgreementAmend,
    AgreementRead,
    ApproveBody,
    CoordinateBody,
    DecisionQuery,
    DemandAnswer,
    DemandCreate,
    DemandRead,
    DemandRoute,
    GrantRead,
    InfoRequestBody,
    InfoSupplyBody,
    ObjectionAnswer,
    ObjectionClose,
    ObjectionCreate,
    ObjectionRead,
    RejectBody,
    RequestCreate,
    RequestEventRead,
    RequestRead,
    SettingsUpdate,
)
from govshare.sharing.vocab import (
    CLOCK_RUNNING,
    OPEN_REQUEST_STATUSES,
    AgreementStatus,
    DemandStatus,
    GrantStatus,
    ObjectionStatus,
    PurposeCategory,
    RejectCategory,
    RequestKind,
    RequestStatus,
    label,
)

REQUESTER_ROLES = (Role.org_admin, Role.approver, Role.clerk)
CONFIRMER_ROLES = (Role.org_admin, Role.approver)
OBJECTION_ANSWER_ROLES = (Role.approver, Role.catalog_manager)
DEMAND_ANSWER_ROLES = (Role.catalog_manager, Role.org_admin)

# ---- settings ---------------------------------------------------------------------------------------------
DEFAULTS: dict[str, Any] = {
    "reply_working_days": 10,  # 条例: 10 个工作日 (some provinces: 5)
    "objection_working_days": 5,
    "agreement_before_use": True,  # the grant works only once both parties confirmed the agreement
    "max_validity_days": 1096,  # three years
}
_TYPES = {
    "reply_working_days": int,
    "objection_working_days": int,
    "agreement_before_use": bool,
    "max_validity_days": int,
}


def _parse(key: str, raw: Any) -> Any:
    if _TYPES[key] is bool:
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
    return int(raw)


def settings(session: Session) -> dict[str, Any]:
    """Effective settings: defaults ← ``GOVSHARE_SHARING_*`` deployment settings (if defined) ← platform table."""
    values = dict(DEFAULTS)
    try:
        deployment = runtime_of(session).settings
    except RuntimeError:
        deployment = None
    for key in DEFAULTS:
        value = getattr(deployment, f"sharing_{key}", None) if deployment is not None else None
        if value is not None:
            values[key] = _parse(key, value)
    for row in session.scalars(select(SharingSetting)):
        if row.key in DEFAULTS:
            try:
                values[row.key] = _parse(row.key, row.value)
            except ValueError:
                pass  # a hand-edited bad value falls back to the default rather than breaking every request
    return values


def update_settings(session: Session, *, actor: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    if not actor.is_platform_admin:
        raise forbidden("只有平台管理员可以修改共享设置", "only platform administrators change sharing settings")
    unknown = [k for k in changes if k not in DEFAULTS]
    if unknown:
        raise invalid(unknown[0], "setting_unknown", f"未知设置项: {unknown[0]}", f"unknown setting: {unknown[0]}")
    try:
        checked = SettingsUpdate.model_validate(changes)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise invalid(name, "setting_invalid", f"设置值无效: {name}", f"invalid setting {name}: {err['msg']}") from None
    changes = checked.model_dump(exclude_none=True)
    now = utcnow()
    for key, value in changes.items():
        row = session.get(SharingSetting, key)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if row is None:
            session.add(SharingSetting(key=key, value=text, updated_at=now, updated_by=actor.id))
        else:
            row.value, row.updated_at, row.updated_by = text, now, actor.id
    session.flush()
    _audit(session, actor, "sharing.setting.update", "sharing_setting", "platform", None, changes=changes)
    return settings(session)


# ---- plumbing ---------------------------------------------------------------------------------------------
def _audit(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str,
    object_org_id: str | None,
    *,
    purpose: str | None = None,
    **detail: Any,
) -> None:
    audit_of(session).record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_org_id=object_org_id,
        purpose=purpose,
        detail=detail or None,
    )


def bump_epoch(session: Session) -> None:
    """A decision input changed: move the policy epoch in this transaction (every gateway process will reload)."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(PolicyEpoch).values(id=EPOCH_ID, value=1, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={"value": PolicyEpoch.value + 1, "updated_at": stmt.excluded.updated_at}
    )
    session.execute(stmt)
    notify.after_commit(session, "policy_epoch", notify_local_change)


def catalog_changed(session: Session, *, resource_code: str | None = None) -> None:
    """For the catalog service: call in the transaction that publishes, changes or revokes a listed resource."""
    bump_epoch(session)


def _number(prefix: str) -> str:
    """Human reference numbers (申请编号 …): prefix + Beijing date + 6 random hex (no volumes leak)."""
    return f"{prefix}{dl.today_cst():%Y%m%d}{secrets.token_hex(3).upper()}"


def org_names(session: Session) -> dict[str, str]:
    return {o.id: o.name for o in identity.list_organizations(session, actor=PLATFORM)}


def _operator_id(session: Session) -> str | None:
    op = identity.platform_operator(session)
    return op.id if op else None


def _sees_all(actor: Principal) -> bool:
    """The platform operator's administrators and auditors read every department's sharing records."""
    return actor.is_platform_admin or actor.is_platform_auditor


def _party_or_404(actor: Principal, obj: Any, kind: str, kind_zh: str) -> Any:
    """``obj`` if the caller is one of its two parties (or the operator's view); 404 otherwise (no existence leak)."""
    parties = (obj.consumer_org_id, obj.provider_org_id) if obj is not None else ()
    if obj is None or not (_sees_all(actor) or (actor.org_id is not None and actor.org_id in parties)):
        raise not_found(kind, kind_zh)
    return obj


def _require_member(actor: Principal, org_id: str, roles: tuple[Role, ...], what_zh: str, what_en: str) -> None:
    """Staff of ``org_id`` holding one of ``roles``. Deliberately no platform-admin bypass: a department's answer
    is that department's act (the operator acts through coordination)."""
    if actor.org_id != org_id or not any(r in actor.roles for r in roles):
        names = "、".join(ROLE_LABELS_ZH[r] for r in roles)
        raise forbidden(f"只有该单位的{names}可以{what_zh}", f"only the department's {'/'.join(roles)} may {what_en}")


def _transition(obj_status: str, allowed: tuple[str, ...], what_zh: str, what_en: str, labels: type) -> None:
    if obj_status not in allowed:
        raise conflict(
            "invalid_transition",
            f"当前状态为「{label(labels, obj_status)}」, 不能{what_zh}",
            f"cannot {what_en} in status {obj_status}",
            field="status",
        )


def _validity_instants(valid_from: date, valid_until: date) -> tuple[datetime, datetime]:
    """Dates (Beijing days, inclusive) as instants: from 00:00 of the first day to 00:00 after the last."""
    start = datetime(valid_from.year, valid_from.month, valid_from.day, tzinfo=dl.CST)
    end = datetime(valid_until.year, valid_until.month, valid_until.day, tzinfo=dl.CST) + timedelta(days=1)
    return start, end


def _event(session: Session, req: AccessRequest, actor: Principal, kind: str, note: str = "", **detail: Any) -> None:
    session.add(
        RequestEvent(
            request_id=req.id,
            at=utcnow(),
            kind=kind,
            actor_id=actor.id,
            actor_name=actor.name,
            actor_org_id=actor.org_id,
            note=note,
            detail=detail,
        )
    )


# ---- requests: filing ---------------------------------------------------------------------------------------
def _notify_admins(
    session: Session, org_ids: Iterable[str], kind: str, zh: str, en: str, obj: tuple[str, str], body: str = ""
) -> None:
    """Tell the org admins of each department in ``org_ids`` (both parties of an agreement or grant)."""
    for org_id in sorted(set(org_ids)):
        notify.notify(
            session,
            kind=kind,
            title_zh=zh,
            title_en=en,
            body=body,
            org_id=org_id,
            role=Role.org_admin.value,
            object_type=obj[0],
            object_id=obj[1],
        )


def _shareable(res: ResourceInfo, names: list[str]) -> list[str]:
    """Validate the requested items; 不予共享 and 涉密 items cannot be requested (the error names the basis)."""
    if res.share_type in (None, "none"):
        basis = res.share_basis or res.share_condition or "未说明"
        raise Problem(
            422,
            "share_type_none",
            f"资源「{res.name}」为不予共享, 不能申请。依据: {basis}",
            f"resource {res.code} is not shared (不予共享) and cannot be requested; basis: {basis}",
            field="resource_code",
            extra={"basis": basis, "condition": res.share_condition},
        )
    if not names:
        names = [i.machine_name for i in res.items if i.share_type != "none" and not i.is_secret]
        if not names:
            raise invalid("items", "items_required", "该资源没有可共享的信息项", "the resource has no shareable item")
        return names
    unknown = [n for n in names if res.item(n) is None]
    if unknown:
        raise Problem(
            422,
            "item_unknown",
            f"资源 {res.code} 没有信息项: {', '.join(unknown)}",
            f"resource {res.code} has no item(s): {', '.join(unknown)}",
            field="items",
            extra={"unknown": unknown},
        )
    refused = [n for n in names if res.item(n).share_type == "none" or res.item(n).is_secret]  # type: ignore[union-attr]
    if refused:
        basis = res.share_basis or res.share_condition or "信息项为不予共享或涉密"
        names_zh = "、".join(f"{res.item(n).name}({n})" for n in refused)  # type: ignore[union-attr]
        raise Problem(
            422,
            "item_not_shared",
            f"信息项不予共享, 不能申请: {names_zh}。依据: {basis}",
            f"item(s) not shared (不予共享/涉密) and cannot be requested: {', '.join(refused)}; basis: {basis}",
            field="items",
            extra={"items": refused, "basis": basis},
        )
    return names


def submit_request(
    session: Session, *, actor: Principal, data: RequestCreate, registration_only: bool = False
) -> AccessRequest:
    """File an application, or register the use of unconditional items (no approval; the grant works at once)."""
    system = identity.get_system(session, actor=actor, system_id=data.system_id)
    if actor.org_id != system.org_id:
        raise not_found("system", "应用系统")  # the operator's admins see every system but file only for their own
    if not system.active:
        raise conflict("system_inactive", "应用系统已停用", "the system is disabled", field="system_id")
    if actor.is_system:
        if actor.id != system.id:
            raise forbidden("应用系统只能为自己登记使用", "a system may register use only for itself")
    else:
        _require_member(actor, system.org_id, REQUESTER_ROLES, "提交共享申请", "file access requests")
    res = catalog_port.listed_resource(session, code=data.resource_code, resource_id=data.resource_id)
    items = _shareable(res, list(data.items))
    unconditional = all(res.item(n).share_type == "unconditional" for n in items)  # type: ignore[union-attr]
    if registration_only and not unconditional:
        conditional = [n for n in items if res.item(n).share_type != "unconditional"]  # type: ignore[union-attr]
        raise Problem(
            422,
            "approval_required",
            f"以下信息项为有条件共享, 须提交共享申请: {', '.join(conditional)}",
            f"conditionally shared items need an application: {', '.join(conditional)}",
            field="items",
            extra={"items": conditional},
        )
    if actor.is_system and not unconditional:
        raise forbidden("共享申请须由工作人员提交", "applications are filed by staff, not by systems")
    kind = RequestKind.registration if unconditional else RequestKind.application
    if kind == RequestKind.application and len(data.legal_basis) < 2:
        raise invalid("legal_basis", "legal_basis_required", "共享申请须说明申请依据", "an application needs a basis")
    conf = settings(session)
    today = dl.today_cst()
    valid_from = data.valid_from or today
    valid_until = data.valid_until or (valid_from + timedelta(days=365) - timedelta(days=1))
    if valid_from < today:
        raise invalid("valid_from", "validity_in_past", "使用期限不能早于今天", "validity cannot start in the past")
    if valid_until < valid_from:
        raise invalid("valid_until", "validity_invalid", "使用期限止不能早于起始日", "validity ends before it starts")
    if (valid_until - valid_from).days + 1 > conf["max_validity_days"]:
        raise invalid(
            "valid_until",
            "validity_too_long",
            f"使用期限最长 {conf['max_validity_days']} 天",
            f"validity is at most {conf['max_validity_days']} days",
        )
    duplicate = session.scalar(
        select(AccessRequest.number).where(
            AccessRequest.system_id == system.id,
            AccessRequest.resource_code == res.code,
            AccessRequest.purpose_category == data.purpose_category.value,
            AccessRequest.status.in_([s.value for s in OPEN_REQUEST_STATUSES]),
        )
    )
    if duplicate:
        raise conflict(
            "request_duplicate",
            f"该系统已有相同资源和用途的申请在办: {duplicate}",
            f"an open request for the same resource and purpose exists: {duplicate}",
        )
    now = utcnow()
    req = AccessRequest(
        number=_number("SQ" if kind == RequestKind.application else "DJ"),
        kind=kind.value,
        status=(RequestStatus.submitted if kind == RequestKind.application else RequestStatus.registered).value,
        consumer_org_id=system.org_id,
        system_id=system.id,
        requested_by=actor.id,
        requested_by_name=actor.name,
        provider_org_id=res.provider_org_id,
        resource_id=res.id,
        resource_code=res.code,
        resource_name=res.name,
        resource_version=res.version,
        items=items,
        purpose_category=data.purpose_category.value,
        purpose=data.purpose,
        legal_basis=data.legal_basis,
        service_items=list(data.service_items),
        valid_from=valid_from,
        valid_until=valid_until,
        expected_daily_calls=data.expected_daily_calls,
        expected_daily_records=data.expected_daily_records,
        case_bound=data.case_bound,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        submitted_at=now,
        created_at=now,
        updated_at=now,
    )
    if kind == RequestKind.application:
        due = dl.add_working_days(today, conf["reply_working_days"])
        req.reply_working_days = conf["reply_working_days"]
        req.due_date, req.due_approximate = due.date, due.approximate
    session.add(req)
    session.flush()
    _event(session, req, actor, "submitted" if kind == RequestKind.application else "registered")
    purpose = f"{req.purpose_category}: {req.purpose}"
    if kind == RequestKind.registration:
        start, end = _validity_instants(valid_from, valid_until)
        grant = Grant(
            kind=kind.value,
            request_id=req.id,
            consumer_org_id=req.consumer_org_id,
            system_id=req.system_id,
            provider_org_id=req.provider_org_id,
            resource_id=req.resource_id,
            resource_code=req.resource_code,
            items=items,
            masked_items=[],
            purpose_category=req.purpose_category,
            purpose=req.purpose,
            case_required=req.case_bound,
            valid_from=start,
            valid_until=end,
            daily_calls=None,
            daily_records=None,
            status=GrantStatus.active.value,
            created_at=now,
            updated_at=now,
        )
        session.add(grant)
        session.flush()
        req.grant_id = grant.id
        _audit(
            session,
            actor,
            "sharing.request.register",
            "access_request",
            req.id,
            req.provider_org_id,
            purpose=purpose,
            number=req.number,
            resource_code=res.code,
            items=items,
            grant_id=grant.id,
            system_id=system.id,
        )
        bump_epoch(session)
        notify.notify(
            session,
            kind="registration",
            title_zh=f"{actor.name} 登记使用「{res.name}」",
            title_en=f"use of {res.code} registered",
            body=f"用途: {req.purpose}",
            org_id=req.provider_org_id,
            role=Role.approver.value,
            object_type="access_request",
            object_id=req.id,
        )
    else:
        _audit(
            session,
            actor,
            "sharing.request.submit",
            "access_request",
            req.id,
            req.provider_org_id,
            purpose=purpose,
            number=req.number,
            resource_code=res.code,
            items=items,
            due_date=str(req.due_date),
            system_id=system.id,
        )
        notify.notify(
            session,
            kind="request_submitted",
            title_zh=f"新的共享申请 {req.number}: 「{res.name}」, 请于 {req.due_date} 前答复",
            title_en=f"new access request {req.number} for {res.code}, answer by {req.due_date}",
            body=f"用途: {req.purpose}",
            org_id=req.provider_org_id,
            role=Role.approver.value,
            object_type="access_request",
            object_id=req.id,
        )
    return req


# ---- requests: reading --------------------------------------------------------------------------------------
def get_request(session: Session, *, actor: Principal, request_id: str) -> AccessRequest:
    return _party_or_404(actor, session.get(AccessRequest, request_id), "access_request", "共享申请")


def list_requests(
    session: Session,
    *,
    actor: Principal,
    side: str = "all",
    status: str | None = None,
    overdue: bool | None = None,
    resource_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AccessRequest]:
    stmt = select(AccessRequest)
    if side == "consumer":
        stmt = stmt.where(AccessRequest.consumer_org_id == (actor.org_id or ""))
    elif side == "provider":
        stmt = stmt.where(AccessRequest.provider_org_id == (actor.org_id or ""))
    elif not _sees_all(actor):
        org = actor.org_id or ""
        stmt = stmt.where(or_(AccessRequest.consumer_org_id == org, AccessRequest.provider_org_id == org))
    if status:
        stmt = stmt.where(AccessRequest.status == status)
    if resource_code:
        stmt = stmt.where(AccessRequest.resource_code == resource_code)
    if overdue is not None:
        today = dl.today_cst()
        running = AccessRequest.status.in_([s.value for s in CLOCK_RUNNING])
        late = running & (AccessRequest.due_date < today)
        stmt = stmt.where(late if overdue else ~late)
    stmt = stmt.order_by(AccessRequest.submitted_at.desc(), AccessRequest.id).limit(min(limit, 500)).offset(offset)
    return list(session.scalars(stmt))


def request_events(session: Session, request_id: str) -> list[RequestEvent]:
    return list(
        session.scalars(select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.at))
    )


def clock_of(req: AccessRequest, today: date | None = None) -> tuple[bool, int | None]:
    """(overdue, working days left) of a request; (False, None) when its clock is not running."""
    if req.status not in [s.value for s in CLOCK_RUNNING] or req.due_date is None:
        return False, None
    state = dl.clock_state(req.due_date, today or dl.today_cst(), approximate=req.due_approximate)
    return state.overdue, state.days_left


def current_agreement_id(session: Session, grant_id: str | None) -> str | None:
    if grant_id is None:
        return None
    return session.scalar(
        select(Agreement.id).where(Agreement.grant_id == grant_id).order_by(Agreement.version.desc()).limit(1)
    )


# ---- requests: answering -------------------------------------------------------------------------------------
def _answerable(session: Session, actor: Principal, request_id: str) -> AccessRequest:
    req = get_request(session, actor=actor, request_id=request_id)
    _require_member(actor, req.provider_org_id, (Role.approver,), "答复共享申请", "answer access requests")
    return req


def _notify_consumer(session: Session, req: AccessRequest, kind: str, zh: str, en: str, body: str = "") -> None:
    if req.requested_by != req.system_id:  # filed by a staff user (systems file registrations for themselves)
        notify.notify(
            session,
            kind=kind,
            title_zh=zh,
            title_en=en,
            body=body,
            user_id=req.requested_by,
            object_type="access_request",
            object_id=req.id,
        )
    else:
        notify.notify(
            session,
            kind=kind,
            title_zh=zh,
            title_en=en,
            body=body,
            org_id=req.consumer_org_id,
            role=Role.org_admin.value,
            object_type="access_request",
            object_id=req.id,
        )


def _grant_and_agreement(
    session: Session, actor: Principal, req: AccessRequest, body: ApproveBody, via: str, res: ResourceInfo
) -> tuple[Grant, Agreement]:
    """Validate an approval (narrowing only), create the grant and agreement v1."""
    items = list(body.items) if body.items is not None else list(req.items)
    if not items:
        raise invalid("items", "items_required", "至少同意一个信息项", "approve at least one item")
    outside = [n for n in items if n not in req.items]
    if outside:
        raise invalid(
            "items",
            "items_not_requested",
            f"不能同意未申请的信息项: {', '.join(outside)}",
            f"items not requested: {', '.join(outside)}",
        )
    masked_items = list(body.masked_items)
    if any(n not in items for n in masked_items):
        raise invalid(
            "masked_items", "masked_not_approved", "脱敏信息项须在同意范围内", "masked items must be approved"
        )
    _shareable(res, items)  # the catalog may have changed since the request was filed
    valid_until = body.valid_until or req.valid_until
    if valid_until > req.valid_until:
        raise invalid(
            "valid_until",
            "validity_extended",
            "同意的期限不能长于申请的期限",
            "cannot approve a longer validity",
        )
    if valid_until < max(req.valid_from, dl.today_cst()):
        raise invalid("valid_until", "validity_invalid", "同意的期限已过", "the approved validity has already ended")
    narrowed = len(items) < len(req.items) or valid_until < req.valid_until or bool(masked_items)
    if narrowed and len(body.reason) < 2:
        raise invalid(
            "reason",
            "narrowing_reason_required",
            "缩小同意范围(信息项、脱敏或期限)须说明理由",
            "approving less than requested needs a reason",
        )
    conf = settings(session)
    now = utcnow()
    start, end = _validity_instants(req.valid_from, valid_until)
    clear = [n for n in items if n not in masked_items]
    case_required = req.case_bound if body.case_required is None else body.case_required
    grant = Grant(
        kind=RequestKind.application.value,
        request_id=req.id,
        consumer_org_id=req.consumer_org_id,
        system_id=req.system_id,
        provider_org_id=req.provider_org_id,
        resource_id=req.resource_id,
        resource_code=req.resource_code,
        items=clear,
        masked_items=masked_items,
        purpose_category=req.purpose_category,
        purpose=req.purpose,
        case_required=case_required,
        valid_from=start,
        valid_until=end,
        daily_calls=body.daily_calls if body.daily_calls is not None else req.expected_daily_calls,
        daily_records=body.daily_records if body.daily_records is not None else req.expected_daily_records,
        status=(GrantStatus.pending_agreement if conf["agreement_before_use"] else GrantStatus.active).value,
        created_at=now,
        updated_at=now,
    )
    session.add(grant)
    session.flush()
    orgs = {o.id: o for o in identity.list_organizations(session, actor=PLATFORM)}
    system = identity.get_system(session, actor=PLATFORM, system_id=req.system_id)
    consumer, provider = orgs[req.consumer_org_id], orgs[req.provider_org_id]
    content = {
        "title": "政务数据共享协议",
        "number": _number("XY"),
        "version": 1,
        "request_number": req.number,
        "consumer": {
            "org_id": consumer.id,
            "name": consumer.name,
            "uscc": consumer.uscc,
            "system": {"id": system.id, "name": system.name, "code": system.code},
            "contact_name": req.contact_name,
            "contact_phone": req.contact_phone,
        },
        "provider": {
            "org_id": provider.id,
            "name": provider.name,
            "uscc": provider.uscc,
            "contact_name": body.contact_name,
            "contact_phone": body.contact_phone,
        },
        "resource": {"id": res.id, "code": res.code, "name": res.name, "version": res.version},
        "items": [
            {
                "machine_name": n,
                "name": res.item(n).name,  # type: ignore[union-attr]
                "treatment": "masked" if n in masked_items else "clear",
                "masking": (res.item(n).masking or "full") if n in masked_items else None,  # type: ignore[union-attr]
                "sensitivity": res.item(n).sensitivity,  # type: ignore[union-attr]
            }
            for n in items
        ],
        "purpose": {
            "category": req.purpose_category,
            "label": label(PurposeCategory, req.purpose_category),
            "text": req.purpose,
        },
        "legal_basis": req.legal_basis,
        "service_items": list(req.service_items),
        "validity": {"from": req.valid_from.isoformat(), "until": valid_until.isoformat()},
        "volume": {"daily_calls": grant.daily_calls, "daily_records": grant.daily_records},
        "case_required": case_required,
        "security_duties": [{"zh": zh, "en": en} for zh, en in agreement_doc.STANDARD_DUTIES]
        + [{"zh": d, "en": ""} for d in body.security_duties if d],
        "approved": {"at": now.isoformat(), "by": actor.id, "via": via, "reason": body.reason},
    }
    agreement = Agreement(
        number=content["number"],
        version=1,
        request_id=req.id,
        grant_id=grant.id,
        consumer_org_id=req.consumer_org_id,
        provider_org_id=req.provider_org_id,
        status=AgreementStatus.pending.value,
        content=content,
        content_hash=agreement_doc.content_hash(content),
        created_at=now,
        created_by=actor.id,
    )
    session.add(agreement)
    req.status = RequestStatus.approved.value
    req.decided_at, req.decided_by, req.decided_by_org_id = now, actor.id, actor.org_id
    req.decision_via, req.decision_reason = via, body.reason
    req.approved_items, req.approved_valid_until, req.narrowed = items, valid_until, narrowed
    req.grant_id, req.updated_at = grant.id, now
    session.flush()
    bump_epoch(session)
    return grant, agreement


def approve_request(session: Session, *, actor: Principal, request_id: str, data: ApproveBody) -> AccessRequest:
    req = _answerable(session, actor, request_id)
    _transition(req.status, (RequestStatus.submitted, RequestStatus.escalated), "同意", "approve", RequestStatus)
    res = catalog_port.listed_resource(session, code=req.resource_code)
    grant, agreement = _grant_and_agreement(session, actor, req, data, "provider", res)
    _event(
        session,
        req,
        actor,
        "approved",
        data.reason,
        items=req.approved_items,
        narrowed=req.narrowed,
        valid_until=str(req.approved_valid_until),
        grant_id=grant.id,
        agreement_id=agreement.id,
    )
    _audit(
        session,
        actor,
        "sharing.request.approve",
        "access_request",
        req.id,
        req.provider_org_id,
        purpose=req.purpose_category,
        number=req.number,
        items=req.approved_items,
        masked=grant.masked_items,
        narrowed=req.narrowed,
        valid_until=str(req.approved_valid_until),
        grant_id=grant.id,
        agreement=agreement.number,
        reason=data.reason,
    )
    _after_approval(session, req, agreement)
    return req


def _after_approval(session: Session, req: AccessRequest, agreement: Agreement) -> None:
    narrowed = "(部分同意)" if req.narrowed else ""
    _notify_consumer(
        session,
        req,
        "request_approved",
        f"共享申请 {req.number} 已同意{narrowed}, 请确认共享协议 {agreement.number}",
        f"access request {req.number} approved{' (narrowed)' if req.narrowed else ''}; confirm agreement",
        req.decision_reason,
    )
    _notify_admins(
        session,
        {req.consumer_org_id, req.provider_org_id},
        "agreement_to_confirm",
        f"共享协议 {agreement.number} 待确认",
        f"sharing agreement {agreement.number} awaits confirmation",
        ("agreement", agreement.id),
    )


def _reject(session: Session, actor: Principal, req: AccessRequest, category: RejectCategory, reason: str, via: str):
    now = utcnow()
    req.status = RequestStatus.rejected.value
    req.decided_at, req.decided_by, req.decided_by_org_id = now, actor.id, actor.org_id
    req.decision_via, req.decision_reason, req.reject_category = via, reason, category.value
    req.updated_at = now
    session.flush()
    _notify_consumer(
        session,
        req,
        "request_rejected",
        f"共享申请 {req.number} 未获同意: {label(RejectCategory, category.value)}",
        f"access request {req.number} rejected: {category.value}",
        reason,
    )


def reject_request(session: Session, *, actor: Principal, request_id: str, data: RejectBody) -> AccessRequest:
    req = _answerable(session, actor, request_id)
    _transition(req.status, (RequestStatus.submitted, RequestStatus.escalated), "拒绝", "reject", RequestStatus)
    _reject(session, actor, req, data.category, data.reason, "provider")
    _event(session, req, actor, "rejected", data.reason, category=data.category.value)
    _audit(
        session,
        actor,
        "sharing.request.reject",
        "access_request",
        req.id,
        req.provider_org_id,
        number=req.number,
        category=data.category.value,
        reason=data.reason,
    )
    return req


def request_info(session: Session, *, actor: Principal, request_id: str, data: InfoRequestBody) -> AccessRequest:
    """Ask the requester for more information: the clock stops with the working days it had left."""
    req = _answerable(session, actor, request_id)
    _transition(
        req.status,
        (RequestStatus.submitted, RequestStatus.escalated),
        "要求补充材料",
        "ask for information",
        RequestStatus,
    )
    today = dl.today_cst()
    req.clock_paused_on = today
    req.clock_remaining = dl.remaining_when_paused(req.due_date or today, today)
    req.status = RequestStatus.info_requested.value
    req.info_request = data.question
    req.updated_at = utcnow()
    session.flush()
    _event(
        session,
        req,
        actor,
        "info_requested",
        data.question,
        remaining_working_days=req.clock_remaining,
        due_date_before=str(req.due_date),
    )
    _audit(
        session,
        actor,
        "sharing.request.request_info",
        "access_request",
        req.id,
        req.provider_org_id,
        number=req.number,
        remaining_working_days=req.clock_remaining,
    )
    _notify_consumer(
        session,
        req,
        "info_requested",
        f"共享申请 {req.number} 需要补充材料",
        f"access request {req.number}: more information needed",
        data.question,
    )
    return req


def supply_info(session: Session, *, actor: Principal, request_id: str, data: InfoSupplyBody) -> AccessRequest:
    req = get_request(session, actor=actor, request_id=request_id)
    _require_member(actor, req.consumer_org_id, REQUESTER_ROLES, "补充申请材料", "supply information")
    _transition(req.status, (RequestStatus.info_requested,), "补充材料", "supply information", RequestStatus)
    today = dl.today_cst()
    due = dl.resume(req.clock_remaining or 1, today)
    previous = req.info_response
    req.info_response = f"{previous}\n\n{data.answer}".strip() if previous else data.answer
    req.status = RequestStatus.submitted.value
    req.due_date, req.due_approximate = due.date, due.approximate
    req.clock_paused_on, req.clock_remaining = None, None
    req.updated_at = utcnow()
    session.flush()
    _event(session, req, actor, "info_supplied", data.answer, due_date=str(req.due_date))
    _audit(
        session,
        actor,
        "sharing.request.supply_info",
        "access_request",
        req.id,
        req.provider_org_id,
        number=req.number,
        due_date=str(req.due_date),
    )
    notify.notify(
        session,
        kind="info_supplied",
        title_zh=f"共享申请 {req.number} 已补充材料, 请于 {req.due_date} 前答复",
        title_en=f"access request {req.number}: information supplied; answer by {req.due_date}",
        body=data.answer,
        org_id=req.provider_org_id,
        role=Role.approver.value,
        object_type="access_request",
        object_id=req.id,
    )
    return req


def withdraw_request(session: Session, *, actor: Principal, request_id: str, reason: str = "") -> AccessRequest:
    req = get_request(session, actor=actor, request_id=request_id)
    _require_member(actor, req.consumer_org_id, REQUESTER_ROLES, "撤回申请", "withdraw requests")
    _transition(req.status, tuple(s.value for s in OPEN_REQUEST_STATUSES), "撤回", "withdraw", RequestStatus)
    req.status = RequestStatus.withdrawn.value
    req.updated_at = utcnow()
    session.flush()
    _event(session, req, actor, "withdrawn", reason)
    _audit(
        session,
        actor,
        "sharing.request.withdraw",
        "access_request",
        req.id,
        req.provider_org_id,
        number=req.number,
        reason=reason,
    )
    notify.notify(
        session,
        kind="request_withdrawn",
        title_zh=f"共享申请 {req.number} 已撤回",
        title_en=f"access request {req.number} withdrawn",
        org_id=req.provider_org_id,
        role=Role.approver.value,
        object_type="access_request",
        object_id=req.id,
    )
    return req


# ---- escalation and coordination --------------------------------------------------------------------------
@dataclass
class EscalationReport:
    today: date
    requests_escalated: list[str]
    objections_escalated: list[str]


def escalate_overdue(session: Session, *, actor: Principal = PLATFORM, today: date | None = None) -> EscalationReport:
    """Overdue requests go to the platform operator for coordination (协调); overdue objections are reported to it.

    Idempotent: run it from a timer (``govshare sharing escalate``) as often as you like."""
    if not actor.is_platform_admin:
        raise forbidden("只有平台管理员可以执行超期督办", "only platform administrators run escalation")
    today = today or dl.today_cst()
    operator = _operator_id(session)
    now = utcnow()
    escalated: list[str] = []
    late = session.scalars(
        select(AccessRequest)
        .where(AccessRequest.status == RequestStatus.submitted.value, AccessRequest.due_date < today)
        .order_by(AccessRequest.due_date)
    )
    for req in late:
        days_late = dl.working_days_between(req.due_date, today)  # type: ignore[arg-type]
        req.status = RequestStatus.escalated.value
        req.escalated_at = req.updated_at = now
        _event(session, req, actor, "escalated", f"超过答复期限 {req.due_date}", working_days_late=days_late)
        _audit(
            session,
            actor,
            "sharing.request.escalate",
            "access_request",
            req.id,
            req.provider_org_id,
            number=req.number,
            due_date=str(req.due_date),
            working_days_late=days_late,
        )
        zh = f"共享申请 {req.number} 已超过答复期限 ({req.due_date}), 提交平台协调"
        en = f"access request {req.number} is overdue (due {req.due_date}); escalated for coordination"
        if operator:
            notify.notify(
                session,
                kind="request_escalated",
                title_zh=zh,
                title_en=en,
                org_id=operator,
                role=Role.platform_admin.value,
                object_type="access_request",
                object_id=req.id,
            )
        notify.notify(
            session,
            kind="request_overdue",
            title_zh=zh,
            title_en=en,
            org_id=req.provider_org_id,
            role=Role.approver.value,
            object_type="access_request",
            object_id=req.id,
        )
        _notify_consumer(session, req, "request_escalated", zh, en)
        escalated.append(req.number)
    objections: list[str] = []
    for obj in session.scalars(
        select(Objection).where(
            Objection.status == ObjectionStatus.open.value,
            Objection.due_date < today,
            Objection.escalated_at.is_(None),
        )
    ):
        obj.escalated_at = obj.updated_at = now
        _audit(
            session,
            actor,
            "sharing.objection.escalate",
            "objection",
            obj.id,
            obj.provider_org_id,
            number=obj.number,
            due_date=str(obj.due_date),
        )
        zh = f"校核纠错 {obj.number} 已超过核查期限 ({obj.due_date})"
        en = f"objection {obj.number} is overdue (due {obj.due_date})"
        if operator:
            notify.notify(
                session,
                kind="objection_overdue",
                title_zh=zh,
                title_en=en,
                org_id=operator,
                role=Role.platform_admin.value,
                object_type="objection",
                object_id=obj.id,
            )
        _notify_objection_answerers(session, obj, "objection_overdue", zh, en)
        objections.append(obj.number)
    session.flush()
    return EscalationReport(today, escalated, objections)


def coordinate(session: Session, *, actor: Principal, request_id: str, data: CoordinateBody) -> AccessRequest:
    """The platform operator's coordination decision on an escalated request (协调意见 is always recorded)."""
    if not (actor.is_platform_admin and actor.is_user):
        raise forbidden("只有平台运营单位的管理员可以协调", "only the platform operator's administrators coordinate")
    req = get_request(session, actor=actor, request_id=request_id)
    _transition(req.status, (RequestStatus.escalated,), "协调", "coordinate", RequestStatus)
    detail: dict[str, Any] = {"decision": data.decision}
    if data.decision == "approve":
        body = data.approve or ApproveBody(reason=data.note)
        if not body.reason:
            body = body.model_copy(update={"reason": data.note})
        res = catalog_port.listed_resource(session, code=req.resource_code)
        grant, agreement = _grant_and_agreement(session, actor, req, body, "coordination", res)
        detail.update(grant_id=grant.id, agreement=agreement.number, items=req.approved_items)
        _after_approval(session, req, agreement)
    elif data.decision == "reject":
        if data.reject_category is None:
            raise invalid(
                "reject_category", "reject_category_required", "拒绝须选择理由类别", "a rejection needs a category"
            )
        _reject(session, actor, req, data.reject_category, data.note, "coordination")
        detail["category"] = data.reject_category.value
    else:
        days = data.working_days or settings(session)["reply_working_days"]
        due = dl.add_working_days(dl.today_cst(), days)
        req.status = RequestStatus.submitted.value
        req.due_date, req.due_approximate, req.reply_working_days = due.date, due.approximate, days
        req.updated_at = utcnow()
        detail["due_date"] = str(due.date)
        notify.notify(
            session,
            kind="coordination_return",
            title_zh=f"平台协调: 共享申请 {req.number} 请于 {due.date} 前答复",
            title_en=f"coordination: answer access request {req.number} by {due.date}",
            body=data.note,
            org_id=req.provider_org_id,
            role=Role.approver.value,
            object_type="access_request",
            object_id=req.id,
        )
    session.flush()
    _event(session, req, actor, "coordinated", data.note, **detail)
    _audit(
        session,
        actor,
        "sharing.request.coordinate",
        "access_request",
        req.id,
        req.provider_org_id,
        number=req.number,
        note=data.note,
        **detail,
    )
    return req


# ---- agreements ---------------------------------------------------------------------------------------------
def get_agreement(session: Session, *, actor: Principal, agreement_id: str) -> Agreement:
    return _party_or_404(actor, session.get(Agreement, agreement_id), "agreement", "共享协议")


def list_agreements(session: Session, *, actor: Principal, status: str | None = None) -> list[Agreement]:
    stmt = select(Agreement)
    if not _sees_all(actor):
        org = actor.org_id or ""
        stmt = stmt.where(or_(Agreement.consumer_org_id == org, Agreement.provider_org_id == org))
    if status:
        stmt = stmt.where(Agreement.status == status)
    return list(session.scalars(stmt.order_by(Agreement.created_at.desc(), Agreement.version.desc()).limit(500)))


def _apply_to_grant(grant: Grant, content: dict[str, Any]) -> None:
    items = content["items"]
    grant.items = [i["machine_name"] for i in items if i["treatment"] == "clear"]
    grant.masked_items = [i["machine_name"] for i in items if i["treatment"] == "masked"]
    start, end = _validity_instants(
        date.fromisoformat(content["validity"]["from"]), date.fromisoformat(content["validity"]["until"])
    )
    grant.valid_from, grant.valid_until = start, end
    grant.daily_calls = content["volume"]["daily_calls"]
    grant.daily_records = content["volume"]["daily_records"]
    grant.case_required = bool(content.get("case_required"))
    grant.updated_at = utcnow()


def confirm_agreement(session: Session, *, actor: Principal, agreement_id: str) -> Agreement:
    """One party confirms the version it read; with both confirmations it comes into force (grant active)."""
    a = get_agreement(session, actor=actor, agreement_id=agreement_id)
    if actor.org_id not in (a.consumer_org_id, a.provider_org_id):
        raise forbidden("只有协议双方可以确认协议", "only the parties confirm an agreement")
    _require_member(actor, actor.org_id or "", CONFIRMER_ROLES, "确认共享协议", "confirm agreements")
    _transition(a.status, (AgreementStatus.pending,), "确认", "confirm", AgreementStatus)
    now = utcnow()
    sides = []
    if actor.org_id == a.consumer_org_id and a.consumer_confirmed_at is None:
        a.consumer_confirmed_at, a.consumer_confirmed_by = now, actor.id
        sides.append("consumer")
    if actor.org_id == a.provider_org_id and a.provider_confirmed_at is None:
        a.provider_confirmed_at, a.provider_confirmed_by = now, actor.id
        sides.append("provider")
    if not sides:
        raise conflict("already_confirmed", "本单位已确认该协议", "your side already confirmed this agreement")
    in_force = a.consumer_confirmed_at is not None and a.provider_confirmed_at is not None
    grant = session.get(Grant, a.grant_id)
    if in_force:
        for old in session.scalars(
            select(Agreement).where(
                Agreement.number == a.number, Agreement.id != a.id, Agreement.status == AgreementStatus.in_force.value
            )
        ):
            old.status = AgreementStatus.superseded.value
        a.status = AgreementStatus.in_force.value
        if grant is not None and grant.status != GrantStatus.revoked:
            _apply_to_grant(grant, a.content)
            grant.status = GrantStatus.active.value
            bump_epoch(session)
    session.flush()
    _audit(
        session,
        actor,
        "sharing.agreement.confirm",
        "agreement",
        a.id,
        a.provider_org_id,
        number=a.number,
        version=a.version,
        side=sides,
        in_force=in_force,
        content_hash=a.content_hash,
    )
    if in_force:
        zh, en = f"共享协议 {a.number} 第{a.version}版已生效", f"agreement {a.number} v{a.version} is in force"
        recipients = {a.consumer_org_id, a.provider_org_id}
    else:
        zh, en = f"共享协议 {a.number} 对方已确认, 待贵单位确认", f"agreement {a.number}: the other party confirmed"
        recipients = {a.provider_org_id if "consumer" in sides else a.consumer_org_id}
    _notify_admins(
        session,
        recipients,
        "agreement_confirmed",
        zh,
        en,
        ("agreement", a.id),
    )
    return a


def terminate_agreement(session: Session, *, actor: Principal, agreement_id: str, reason: str) -> Agreement:
    """Terminating (either party, or the platform operator) revokes the grant at once."""
    a = get_agreement(session, actor=actor, agreement_id=agreement_id)
    if not actor.is_platform_admin:
        if actor.org_id not in (a.consumer_org_id, a.provider_org_id):
            raise forbidden("只有协议双方可以终止协议", "only the parties terminate an agreement")
        _require_member(actor, actor.org_id or "", CONFIRMER_ROLES, "终止共享协议", "terminate agreements")
    _transition(a.status, (AgreementStatus.pending, AgreementStatus.in_force), "终止", "terminate", AgreementStatus)
    now = utcnow()
    in_force = session.scalar(
        select(Agreement.id).where(Agreement.number == a.number, Agreement.status == AgreementStatus.in_force.value)
    )
    if a.status == AgreementStatus.pending and in_force is not None:
        # Declining a proposed amendment: that version ends, the version in force and the grant stay.
        a.status = AgreementStatus.terminated.value
        a.terminated_at, a.terminated_by, a.termination_reason = now, actor.id, reason
        session.flush()
        _audit(
            session,
            actor,
            "sharing.agreement.decline_amendment",
            "agreement",
            a.id,
            a.provider_org_id,
            number=a.number,
            version=a.version,
            reason=reason,
        )
        _notify_admins(
            session,
            {a.consumer_org_id, a.provider_org_id} - {actor.org_id},
            "amendment_declined",
            f"共享协议 {a.number} 第{a.version}版变更未获确认",
            f"agreement {a.number} v{a.version}: amendment declined",
            ("agreement", a.id),
            body=reason,
        )
        return a
    for v in session.scalars(
        select(Agreement).where(
            Agreement.number == a.number,
            Agreement.status.in_([AgreementStatus.pending.value, AgreementStatus.in_force.value]),
        )
    ):
        v.status = AgreementStatus.terminated.value
        v.terminated_at, v.terminated_by, v.termination_reason = now, actor.id, reason
    grant = session.get(Grant, a.grant_id)
    if grant is not None and grant.status != GrantStatus.revoked:
        _revoke(grant, actor, f"协议终止: {reason}", now)
        bump_epoch(session)
    session.flush()
    _audit(
        session,
        actor,
        "sharing.agreement.terminate",
        "agreement",
        a.id,
        a.provider_org_id,
        number=a.number,
        version=a.version,
        reason=reason,
        grant_id=a.grant_id,
    )
    _notify_admins(
        session,
        {a.consumer_org_id, a.provider_org_id},
        "agreement_terminated",
        f"共享协议 {a.number} 已终止, 授权已撤销",
        f"agreement {a.number} terminated; grant revoked",
        ("agreement", a.id),
        body=reason,
    )
    return a


def amend_agreement(session: Session, *, actor: Principal, agreement_id: str, data: AgreementAmend) -> Agreement:
    """A new version of an agreement in force (the proposing side confirms it at once; the other side must too)."""
    a = get_agreement(session, actor=actor, agreement_id=agreement_id)
    if actor.org_id not in (a.consumer_org_id, a.provider_org_id):
        raise forbidden("只有协议双方可以变更协议", "only the parties amend an agreement")
    _require_member(actor, actor.org_id or "", CONFIRMER_ROLES, "变更共享协议", "amend agreements")
    _transition(a.status, (AgreementStatus.in_force,), "变更", "amend", AgreementStatus)
    pending = session.scalar(
        select(Agreement.id).where(Agreement.number == a.number, Agreement.status == AgreementStatus.pending.value)
    )
    if pending:
        raise conflict("amendment_pending", "已有待确认的变更版本", "an amendment is already awaiting confirmation")
    content = {**a.content}
    content["version"] = a.version + 1
    changes: dict[str, Any] = {}
    if data.valid_until is not None:
        if data.valid_until < dl.today_cst():
            raise invalid("valid_until", "validity_invalid", "期限不能早于今天", "validity cannot end in the past")
        content["validity"] = {**content["validity"], "until": data.valid_until.isoformat()}
        changes["valid_until"] = data.valid_until.isoformat()
    if data.daily_calls is not None or data.daily_records is not None:
        volume = {**content["volume"]}
        if data.daily_calls is not None:
            volume["daily_calls"] = data.daily_calls
        if data.daily_records is not None:
            volume["daily_records"] = data.daily_records
        content["volume"] = volume
        changes["volume"] = volume
    if data.items is not None:
        current = {i["machine_name"]: i for i in content["items"]}
        wanted = [n.strip().lower() for n in data.items]
        extra = [n for n in wanted if n not in current]
        if extra or not wanted:
            raise invalid(
                "items",
                "items_not_agreed",
                "变更只能减少信息项, 增加须重新申请",
                "an amendment can only drop items; apply for more",
            )
        content["items"] = [current[n] for n in current if n in wanted]
        changes["items"] = wanted
    if data.security_duties is not None:
        base = [{"zh": zh, "en": en} for zh, en in agreement_doc.STANDARD_DUTIES]
        content["security_duties"] = base + [{"zh": d, "en": ""} for d in data.security_duties if d]
        changes["security_duties"] = data.security_duties
    side = "consumer" if actor.org_id == a.consumer_org_id else "provider"
    if data.contact_name is not None or data.contact_phone is not None:
        party = {**content[side]}
        if data.contact_name is not None:
            party["contact_name"] = data.contact_name
        if data.contact_phone is not None:
            party["contact_phone"] = data.contact_phone
        content[side] = party
        changes["contact"] = side
    if not changes:
        raise invalid("note", "amendment_empty", "变更内容为空", "the amendment changes nothing")
    now = utcnow()
    new = Agreement(
        number=a.number,
        version=a.version + 1,
        request_id=a.request_id,
        grant_id=a.grant_id,
        consumer_org_id=a.consumer_org_id,
        provider_org_id=a.provider_org_id,
        status=AgreementStatus.pending.value,
        content=content,
        content_hash=agreement_doc.content_hash(content),
        change_note=data.note,
        created_at=now,
        created_by=actor.id,
    )
    if side == "consumer":
        new.consumer_confirmed_at, new.consumer_confirmed_by = now, actor.id
    else:
        new.provider_confirmed_at, new.provider_confirmed_by = now, actor.id
    if a.consumer_org_id == a.provider_org_id:
        new.consumer_confirmed_at = new.provider_confirmed_at = now
    session.add(new)
    session.flush()
    _audit(
        session,
        actor,
        "sharing.agreement.amend",
        "agreement",
        new.id,
        a.provider_org_id,
        number=a.number,
        version=new.version,
        changes=changes,
        note=data.note,
    )
    other = a.provider_org_id if side == "consumer" else a.consumer_org_id
    notify.notify(
        session,
        kind="agreement_amended",
        title_zh=f"共享协议 {a.number} 拟变更为第{new.version}版, 待确认",
        title_en=f"agreement {a.number} v{new.version} proposed; confirm",
        body=data.note,
        org_id=other,
        role=Role.org_admin.value,
        object_type="agreement",
        object_id=new.id,
    )
    return new


def agreement_html(session: Session, *, actor: Principal, agreement_id: str, print_view: bool = False) -> str:
    a = get_agreement(session, actor=actor, agreement_id=agreement_id)
    return agreement_doc.render_html(
        a.content,
        status=a.status,
        digest=a.content_hash,
        consumer_confirmed_at=a.consumer_confirmed_at.astimezone(dl.CST).strftime("%Y-%m-%d %H:%M")
        if a.consumer_confirmed_at
        else None,
        provider_confirmed_at=a.provider_confirmed_at.astimezone(dl.CST).strftime("%Y-%m-%d %H:%M")
        if a.provider_confirmed_at
        else None,
        terminated_at=a.terminated_at.astimezone(dl.CST).strftime("%Y-%m-%d %H:%M") if a.terminated_at else None,
        termination_reason=a.termination_reason,
        print_view=print_view,
    )


# ---- grants -------------------------------------------------------------------------------------------------
def _revoke(grant: Grant, actor: Principal, reason: str, now: datetime) -> None:
    grant.status = GrantStatus.revoked.value
    grant.revoked_at, grant.revoked_by, grant.revoke_reason, grant.updated_at = now, actor.id, reason, now


def get_grant(session: Session, *, actor: Principal, grant_id: str) -> Grant:
    return _party_or_404(actor, session.get(Grant, grant_id), "grant", "授权")


def list_grants(
    session: Session, *, actor: Principal, side: str = "all", system_id: str | None = None, status: str | None = None
) -> list[Grant]:
    stmt = select(Grant)
    if side == "consumer":
        stmt = stmt.where(Grant.consumer_org_id == (actor.org_id or ""))
    elif side == "provider":
        stmt = stmt.where(Grant.provider_org_id == (actor.org_id or ""))
    elif actor.is_system:
        stmt = stmt.where(Grant.system_id == actor.id)
    elif not _sees_all(actor):
        org = actor.org_id or ""
        stmt = stmt.where(or_(Grant.consumer_org_id == org, Grant.provider_org_id == org))
    if system_id:
        stmt = stmt.where(Grant.system_id == system_id)
    if status:
        stmt = stmt.where(Grant.status == status)
    return list(session.scalars(stmt.order_by(Grant.created_at.desc()).limit(1000)))


def revoke_grant(session: Session, *, actor: Principal, grant_id: str, reason: str) -> Grant:
    """The provider (misuse, changed law), the consumer (no longer needed) or the platform operator revokes."""
    g = get_grant(session, actor=actor, grant_id=grant_id)
    if not actor.is_platform_admin:
        if actor.org_id == g.provider_org_id:
            _require_member(actor, g.provider_org_id, CONFIRMER_ROLES, "撤销授权", "revoke grants")
        else:
            _require_member(actor, g.consumer_org_id, (Role.org_admin,), "撤销授权", "revoke grants")
    if g.status == GrantStatus.revoked:
        raise conflict("grant_revoked", "授权已撤销", "the grant is already revoked")
    now = utcnow()
    _revoke(g, actor, reason, now)
    for a in session.scalars(
        select(Agreement).where(
            Agreement.grant_id == g.id,
            Agreement.status.in_([AgreementStatus.pending.value, AgreementStatus.in_force.value]),
        )
    ):
        a.status = AgreementStatus.terminated.value
        a.terminated_at, a.terminated_by, a.termination_reason = now, actor.id, f"授权撤销: {reason}"
    bump_epoch(session)
    session.flush()
    _audit(
        session,
        actor,
        "sharing.grant.revoke",
        "grant",
        g.id,
        g.provider_org_id,
        reason=reason,
        system_id=g.system_id,
        resource_code=g.resource_code,
    )
    _notify_admins(
        session,
        {g.consumer_org_id, g.provider_org_id},
        "grant_revoked",
        f"资源 {g.resource_code} 的授权已撤销",
        f"grant for {g.resource_code} revoked",
        ("grant", g.id),
        body=reason,
    )
    return g


def grant_usage(session: Session, *, actor: Principal, grant_id: str, day: str | None = None) -> dict[str, Any]:
    g = get_grant(session, actor=actor, grant_id=grant_id)
    day = day or day_key(utcnow().timestamp())
    return {
        "grant_id": g.id,
        "day": day,
        "daily_calls": g.daily_calls,
        "daily_records": g.daily_records,
        **usage(session, g.id, day),
    }


def grant_effective(g: Grant, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return g.status == GrantStatus.active and g.valid_from <= now < g.valid_until


# ---- objections (校核纠错) ------------------------------------------------------------------------------------
def _notify_objection_answerers(session: Session, obj: Objection, kind: str, zh: str, en: str, body: str = "") -> None:
    """Tell the provider's staff who answer objections (校核纠错) about ``obj``: raised, or overdue."""
    for role in OBJECTION_ANSWER_ROLES:
        notify.notify(
            session,
            kind=kind,
            title_zh=zh,
            title_en=en,
            body=body,
            org_id=obj.provider_org_id,
            role=role.value,
            object_type="objection",
            object_id=obj.id,
        )


def raise_objection(session: Session, *, actor: Principal, data: ObjectionCreate) -> Objection:
    if actor.is_system:
        org_id = actor.org_id or ""
    else:
        org_id = actor.org_id or ""
        _require_member(actor, org_id, REQUESTER_ROLES, "提出校核纠错", "raise objections")
    res = catalog_port.listed_resource(session, code=data.resource_code)
    grant = session.scalar(
        select(Grant)
        .where(Grant.consumer_org_id == org_id, Grant.resource_code == res.code)
        .order_by(Grant.created_at.desc())
        .limit(1)
    )
    if grant is None:
        raise forbidden(
            "只能对本单位获得授权使用的数据提出校核纠错", "objections are for data your department was granted"
        )
    unknown = [n for n in data.items if res.item(n) is None]
    if unknown:
        raise invalid(
            "items", "item_unknown", f"资源没有信息项: {', '.join(unknown)}", f"unknown item(s): {', '.join(unknown)}"
        )
    conf = settings(session)
    due = dl.add_working_days(dl.today_cst(), conf["objection_working_days"])
    now = utcnow()
    obj = Objection(
        number=_number("JC"),
        consumer_org_id=org_id,
        raised_by=actor.id,
        raised_by_name=actor.name,
        provider_org_id=res.provider_org_id,
        resource_id=res.id,
        resource_code=res.code,
        resource_name=res.name,
        grant_id=grant.id,
        record_ref=data.record_ref,
        items=list(data.items),
        description=data.description,
        evidence=data.evidence,
        status=ObjectionStatus.open.value,
        working_days=conf["objection_working_days"],
        due_date=due.date,
        due_approximate=due.approximate,
        created_at=now,
        updated_at=now,
    )
    session.add(obj)
    session.flush()
    _audit(
        session,
        actor,
        "sharing.objection.raise",
        "objection",
        obj.id,
        obj.provider_org_id,
        number=obj.number,
        resource_code=res.code,
        items=obj.items,
        due_date=str(obj.due_date),
    )
    _notify_objection_answerers(
        session,
        obj,
        "objection_raised",
        f"校核纠错 {obj.number}: 「{res.name}」数据有疑义, 请于 {obj.due_date} 前核查",
        f"objection {obj.number} on {res.code}; verify by {obj.due_date}",
        body=obj.description,
    )
    return obj


def raise_citizen_objection(
    session: Session,
    *,
    subject: str,
    resource_code: str,
    consumer_org_id: str,
    audit_seq: int | None = None,
    items: list[str] | tuple[str, ...] = (),
    description: str,
) -> Objection:
    """A person's objection about a use of their data (from the citizen page), filed by the platform on their
    behalf: a citizen is not staff, so raise_objection's role and grant checks do not apply."""
    res = catalog_port.listed_resource(session, code=resource_code)
    audit = audit_of(session)
    ref = audit.subject_ref(subject)
    known = [n for n in items if res.item(n) is not None]
    grant_id = session.scalar(
        select(Grant.id)
        .where(Grant.consumer_org_id == consumer_org_id, Grant.resource_code == res.code)
        .order_by(Grant.created_at.desc())
        .limit(1)
    )
    conf = settings(session)
    due = dl.add_working_days(dl.today_cst(), conf["objection_working_days"])
    now = utcnow()
    obj = Objection(
        number=_number("JC"),
        consumer_org_id=consumer_org_id,
        raised_by=f"citizen:{ref[:16]}",
        raised_by_name="公民(平台代收)",
        provider_org_id=res.provider_org_id,
        resource_id=res.id,
        resource_code=res.code,
        resource_name=res.name,
        grant_id=grant_id,
        record_ref=subject.strip().upper(),
        items=known,
        description=description,
        evidence=f"audit_seq={audit_seq}" if audit_seq is not None else "",
        status=ObjectionStatus.open.value,
        working_days=conf["objection_working_days"],
        due_date=due.date,
        due_approximate=due.approximate,
        created_at=now,
        updated_at=now,
    )
    session.add(obj)
    session.flush()
    audit.record(
        session,
        actor=PLATFORM,
        action="sharing.objection.raise",
        object_type="objection",
        object_id=obj.id,
        object_org_id=obj.provider_org_id,
        subject=subject,
        detail={
            "number": obj.number,
            "resource_code": res.code,
            "items": known,
            "by": "citizen",
            "audit_seq": audit_seq,
            "due_date": str(obj.due_date),
        },
    )
    _notify_objection_answerers(
        session,
        obj,
        "objection_raised",
        f"公民异议 {obj.number}: 「{res.name}」的使用或数据有疑义, 请于 {obj.due_date} 前核查",
        f"citizen objection {obj.number} on {res.code}; verify by {obj.due_date}",
        body=obj.description,
    )
    return obj


def get_objection(session: Session, *, actor: Principal, objection_id: str) -> Objection:
    return _party_or_404(actor, session.get(Objection, objection_id), "objection", "校核纠错")


def list_objections(
    session: Session, *, actor: Principal, side: str = "all", status: str | None = None, overdue: bool | None = None
) -> list[Objection]:
    stmt = select(Objection)
    if side == "consumer":
        stmt = stmt.where(Objection.consumer_org_id == (actor.org_id or ""))
    elif side == "provider":
        stmt = stmt.where(Objection.provider_org_id == (actor.org_id or ""))
    elif not _sees_all(actor):
        org = actor.org_id or ""
        stmt = stmt.where(or_(Objection.consumer_org_id == org, Objection.provider_org_id == org))
    if status:
        stmt = stmt.where(Objection.status == status)
    if overdue is not None:
        late = (Objection.status == ObjectionStatus.open.value) & (Objection.due_date < dl.today_cst())
        stmt = stmt.where(late if overdue else ~late)
    return list(session.scalars(stmt.order_by(Objection.created_at.desc()).limit(500)))


def answer_objection(session: Session, *, actor: Principal, objection_id: str, data: ObjectionAnswer) -> Objection:
    """Correct (the correction carries the objection number) or explain why the data is right."""
    o = get_objection(session, actor=actor, objection_id=objection_id)
    _require_member(actor, o.provider_org_id, OBJECTION_ANSWER_ROLES, "答复校核纠错", "answer objections")
    _transition(o.status, (ObjectionStatus.open,), "答复", "answer", ObjectionStatus)
    now = utcnow()
    o.status = data.outcome
    o.answer = data.answer
    if data.outcome == "corrected":
        o.correction = {
            "objection_number": o.number,  # the reference the corrected data carries (library change reason)
            "record_ref": o.record_ref,
            "items": list(data.corrected_items) or list(o.items),
            "note": data.correction_note or data.answer,
            "corrected_at": now.isoformat(),
        }
    o.answered_at, o.answered_by, o.updated_at = now, actor.id, now
    session.flush()
    late = dl.today_cst() > o.due_date
    _audit(
        session,
        actor,
        "sharing.objection.answer",
        "objection",
        o.id,
        o.provider_org_id,
        number=o.number,
        outcome=data.outcome,
        late=late,
        correction_ref=o.number if data.outcome == "corrected" else None,
    )
    notify.notify(
        session,
        kind="objection_answered",
        title_zh=f"校核纠错 {o.number} 已答复: " + ("已更正" if data.outcome == "corrected" else "数据无误"),
        title_en=f"objection {o.number} answered: {data.outcome}",
        body=data.answer,
        org_id=o.consumer_org_id,
        role=None,
        object_type="objection",
        object_id=o.id,
    )
    return o


def close_objection(session: Session, *, actor: Principal, objection_id: str, data: ObjectionClose) -> Objection:
    """The consumer accepts the answer (办结) or disputes it (reopened with a fresh deadline)."""
    o = get_objection(session, actor=actor, objection_id=objection_id)
    _require_member(actor, o.consumer_org_id, REQUESTER_ROLES, "办结校核纠错", "close objections")
    _transition(o.status, (ObjectionStatus.corrected, ObjectionStatus.explained), "办结", "close", ObjectionStatus)
    now = utcnow()
    if data.accept:
        o.status = ObjectionStatus.closed.value
        o.closed_at, o.closed_by, o.close_note = now, actor.id, data.note
        action = "sharing.objection.close"
    else:
        due = dl.add_working_days(dl.today_cst(), o.working_days)
        o.status = ObjectionStatus.open.value
        o.due_date, o.due_approximate, o.escalated_at = due.date, due.approximate, None
        o.close_note = data.note
        action = "sharing.objection.reopen"
        for role in OBJECTION_ANSWER_ROLES:
            notify.notify(
                session,
                kind="objection_reopened",
                title_zh=f"校核纠错 {o.number} 对方仍有异议, 请于 {due.date} 前再次核查",
                title_en=f"objection {o.number} disputed; verify again by {due.date}",
                body=data.note,
                org_id=o.provider_org_id,
                role=role.value,
                object_type="objection",
                object_id=o.id,
            )
    o.updated_at = now
    session.flush()
    _audit(session, actor, action, "objection", o.id, o.provider_org_id, number=o.number, note=data.note)
    return o


def objection_counts(session: Session, *, actor: Principal) -> list[dict[str, Any]]:
    """Per provider: open, overdue, answered, closed, escalated — an input of the sharing evaluation (评估)."""
    today = dl.today_cst()
    is_open = Objection.status == ObjectionStatus.open.value
    answered = Objection.status.in_([ObjectionStatus.corrected.value, ObjectionStatus.explained.value])
    stmt = select(
        Objection.provider_org_id,
        _count_if(is_open),
        _count_if(is_open & (Objection.due_date < today)),
        _count_if(answered),
        _count_if(Objection.status == ObjectionStatus.closed.value),
        _count_if(Objection.escalated_at.is_not(None)),
    ).group_by(Objection.provider_org_id)
    names = org_names(session)
    out = [
        {
            "org_id": org,
            "org_name": names.get(org, org),
            "open": int(a or 0),
            "overdue": int(b or 0),
            "answered": int(c or 0),
            "closed": int(d or 0),
            "escalated": int(e or 0),
        }
        for org, a, b, c, d, e in session.execute(stmt)
    ]
    return sorted(out, key=lambda r: (-r["overdue"], -r["open"], r["org_name"]))


def _count_if(condition):  # noqa: ANN001, ANN202
    return func.sum(case((condition, 1), else_=0))


def request_counts(session: Session, *, actor: Principal) -> list[dict[str, Any]]:
    """Per provider: pending, overdue, escalated, approved, rejected, registered (reply discipline, 答复及时性)."""
    today = dl.today_cst()
    s = AccessRequest.status
    running = s.in_([x.value for x in CLOCK_RUNNING])
    stmt = select(
        AccessRequest.provider_org_id,
        _count_if(s.in_([x.value for x in OPEN_REQUEST_STATUSES])),
        _count_if(running & (AccessRequest.due_date < today)),
        _count_if(s == RequestStatus.escalated.value),
        _count_if(s == RequestStatus.approved.value),
        _count_if(s == RequestStatus.rejected.value),
        _count_if(s == RequestStatus.registered.value),
    ).group_by(AccessRequest.provider_org_id)
    names = org_names(session)
    out = [
        {
            "org_id": org,
            "org_name": names.get(org, org),
            "pending": int(a or 0),
            "overdue": int(b or 0),
            "escalated": int(c or 0),
            "approved": int(d or 0),
            "rejected": int(e or 0),
            "registered": int(f or 0),
        }
        for org, a, b, c, d, e, f in session.execute(stmt)
    ]
    return sorted(out, key=lambda r: (-r["overdue"], -r["pending"], r["org_name"]))


# ---- demand list (需求清单) ------------------------------------------------------------------------------------
def post_demand(session: Session, *, actor: Principal, data: DemandCreate) -> Demand:
    org_id = actor.org_id or ""
    _require_member(actor, org_id, (*REQUESTER_ROLES, Role.catalog_manager), "提交数据需求", "post demands")
    if data.suspected_org_id:
        identity.get_organization(session, actor=actor, org_id=data.suspected_org_id)
    now = utcnow()
    d = Demand(
        number=_number("XQ"),
        org_id=org_id,
        posted_by=actor.id,
        posted_by_name=actor.name,
        title=data.title,
        description=data.description,
        reason=data.reason,
        purpose_category=data.purpose_category.value if data.purpose_category else None,
        suspected_org_id=data.suspected_org_id,
        suspected_holder=data.suspected_holder,
        status=DemandStatus.open.value,
        created_at=now,
        updated_at=now,
    )
    session.add(d)
    session.flush()
    _audit(session, actor, "sharing.demand.post", "demand", d.id, org_id, number=d.number, title=d.title)
    operator = _operator_id(session)
    if operator:
        notify.notify(
            session,
            kind="demand_posted",
            title_zh=f"新的数据需求 {d.number}: {d.title}, 请分派",
            title_en=f"new data demand {d.number}: route it",
            body=d.reason,
            org_id=operator,
            role=Role.platform_admin.value,
            object_type="demand",
            object_id=d.id,
        )
    return d


def get_demand(session: Session, *, actor: Principal, demand_id: str) -> Demand:
    """The demand list is a shared board: every department's staff may read it (and say "we hold that")."""
    d = session.get(Demand, demand_id)
    if d is None or actor.is_system:
        raise not_found("demand", "数据需求")
    return d


def list_demands(
    session: Session, *, actor: Principal, status: str | None = None, routed_to_me: bool = False, mine: bool = False
) -> list[Demand]:
    if actor.is_system:
        raise forbidden("需求清单供工作人员使用", "the demand list is for staff")
    stmt = select(Demand)
    if status:
        stmt = stmt.where(Demand.status == status)
    if routed_to_me:
        stmt = stmt.where(Demand.routed_org_id == (actor.org_id or ""))
    if mine:
        stmt = stmt.where(Demand.org_id == (actor.org_id or ""))
    return list(session.scalars(stmt.order_by(Demand.created_at.desc()).limit(500)))


def route_demand(session: Session, *, actor: Principal, demand_id: str, data: DemandRoute) -> Demand:
    if not actor.is_platform_admin:
        raise forbidden("只有平台运营单位可以分派数据需求", "only the platform operator routes demands")
    d = get_demand(session, actor=actor, demand_id=demand_id)
    _transition(d.status, (DemandStatus.open, DemandStatus.routed), "分派", "route", DemandStatus)
    target = identity.get_organization(session, actor=actor, org_id=data.org_id)
    now = utcnow()
    d.status, d.routed_org_id, d.routed_at, d.routed_by, d.route_note = (
        DemandStatus.routed.value,
        target.id,
        now,
        actor.id,
        data.note,
    )
    d.updated_at = now
    session.flush()
    _audit(session, actor, "sharing.demand.route", "demand", d.id, target.id, number=d.number, note=data.note)
    for role in DEMAND_ANSWER_ROLES:
        notify.notify(
            session,
            kind="demand_routed",
            title_zh=f"数据需求 {d.number} 分派给贵单位: {d.title}",
            title_en=f"data demand {d.number} routed to your department",
            body=d.reason,
            org_id=target.id,
            role=role.value,
            object_type="demand",
            object_id=d.id,
        )
    return d


def answer_demand(session: Session, *, actor: Principal, demand_id: str, data: DemandAnswer) -> Demand:
    d = get_demand(session, actor=actor, demand_id=demand_id)
    _require_member(actor, d.routed_org_id or "", DEMAND_ANSWER_ROLES, "答复数据需求", "answer demands")
    _transition(d.status, (DemandStatus.routed,), "答复", "answer", DemandStatus)
    if data.outcome == "catalogued":
        res = catalog_port.listed_resource(session, code=data.resource_code)
        if res.provider_org_id != d.routed_org_id:
            raise invalid(
                "resource_code",
                "resource_not_yours",
                "该资源不是贵单位编目的资源",
                "the resource is not catalogued by your department",
            )
        d.resource_code = res.code
    now = utcnow()
    d.status, d.answer, d.answered_at, d.answered_by, d.updated_at = data.outcome, data.answer, now, actor.id, now
    session.flush()
    _audit(
        session,
        actor,
        "sharing.demand.answer",
        "demand",
        d.id,
        d.routed_org_id,
        number=d.number,
        outcome=data.outcome,
        resource_code=d.resource_code,
    )
    notify.notify(
        session,
        kind="demand_answered",
        title_zh=f"数据需求 {d.number} 已答复" + (f": 已编目 {d.resource_code}" if d.resource_code else ""),
        title_en=f"data demand {d.number} answered: {data.outcome}",
        body=data.answer,
        org_id=d.org_id,
        object_type="demand",
        object_id=d.id,
    )
    return d


def decline_demand(session: Session, *, actor: Principal, demand_id: str, reason: str) -> Demand:
    if not actor.is_platform_admin:
        raise forbidden("只有平台运营单位可以不予受理", "only the platform operator declines demands")
    d = get_demand(session, actor=actor, demand_id=demand_id)
    _transition(d.status, (DemandStatus.open, DemandStatus.routed), "不予受理", "decline", DemandStatus)
    now = utcnow()
    d.status, d.answer, d.answered_at, d.answered_by, d.updated_at = (
        DemandStatus.declined.value,
        reason,
        now,
        actor.id,
        now,
    )
    session.flush()
    _audit(session, actor, "sharing.demand.decline", "demand", d.id, d.org_id, number=d.number, reason=reason)
    notify.notify(
        session,
        kind="demand_declined",
        title_zh=f"数据需求 {d.number} 不予受理",
        body=reason,
        title_en=f"data demand {d.number} declined",
        org_id=d.org_id,
        object_type="demand",
        object_id=d.id,
    )
    return d


def demand_stats(session: Session, *, actor: Principal) -> dict[str, Any]:
    """Counts for the demand analysis (which data is asked for, of whom, how it was answered)."""
    if actor.is_system:
        raise forbidden("需求清单供工作人员使用", "the demand list is for staff")
    names = org_names(session)
    by_status = {s: int(n) for s, n in session.execute(select(Demand.status, func.count()).group_by(Demand.status))}
    by_routed = [
        {"org_id": o, "org_name": names.get(o, o), "status": s, "count": int(n)}
        for o, s, n in session.execute(
            select(Demand.routed_org_id, Demand.status, func.count())
            .where(Demand.routed_org_id.is_not(None))
            .group_by(Demand.routed_org_id, Demand.status)
        )
    ]
    by_org = [
        {"org_id": o, "org_name": names.get(o, o), "count": int(n)}
        for o, n in session.execute(select(Demand.org_id, func.count()).group_by(Demand.org_id))
    ]
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_routed_org": sorted(by_routed, key=lambda r: (-r["count"], r["org_name"])),
        "by_requesting_org": sorted(by_org, key=lambda r: (-r["count"], r["org_name"])),
    }


# ---- answers (shaping rows for the API) ---------------------------------------------------------------------
def request_read(
    session: Session, req: AccessRequest, *, names: dict[str, str] | None = None, events: bool = False
) -> RequestRead:
    names = names if names is not None else org_names(session)
    overdue, days_left = clock_of(req)
    due_note = dl.Due(req.due_date, True).note_zh if req.due_approximate and req.due_date else ""
    return RequestRead(
        id=req.id,
        number=req.number,
        kind=req.kind,
        kind_label=label(RequestKind, req.kind) or req.kind,
        status=req.status,
        status_label=label(RequestStatus, req.status) or req.status,
        consumer_org_id=req.consumer_org_id,
        consumer_org_name=names.get(req.consumer_org_id, ""),
        system_id=req.system_id,
        requested_by=req.requested_by,
        requested_by_name=req.requested_by_name,
        provider_org_id=req.provider_org_id,
        provider_org_name=names.get(req.provider_org_id, ""),
        resource_id=req.resource_id,
        resource_code=req.resource_code,
        resource_name=req.resource_name,
        resource_version=req.resource_version,
        items=list(req.items),
        purpose_category=req.purpose_category,
        purpose_label=label(PurposeCategory, req.purpose_category) or req.purpose_category,
        purpose=req.purpose,
        legal_basis=req.legal_basis,
        service_items=list(req.service_items),
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        expected_daily_calls=req.expected_daily_calls,
        expected_daily_records=req.expected_daily_records,
        case_bound=req.case_bound,
        contact_name=req.contact_name,
        contact_phone=req.contact_phone,
        submitted_at=req.submitted_at,
        reply_working_days=req.reply_working_days,
        due_date=req.due_date,
        due_approximate=req.due_approximate,
        due_note=due_note,
        overdue=overdue,
        days_left=days_left,
        clock_paused=req.status == RequestStatus.info_requested,
        info_request=req.info_request,
        info_response=req.info_response,
        escalated_at=req.escalated_at,
        decided_at=req.decided_at,
        decided_by=req.decided_by,
        decision_via=req.decision_via,
        decision_reason=req.decision_reason,
        reject_category=req.reject_category,
        reject_category_label=label(RejectCategory, req.reject_category),
        approved_items=req.approved_items,
        approved_valid_until=req.approved_valid_until,
        narrowed=req.narrowed,
        grant_id=req.grant_id,
        agreement_id=current_agreement_id(session, req.grant_id) if req.kind == RequestKind.application else None,
        events=[RequestEventRead.model_validate(e) for e in request_events(session, req.id)] if events else None,
    )


def grant_read(g: Grant) -> GrantRead:
    out = GrantRead.model_validate(g)
    out.effective = grant_effective(g)
    return out


def agreement_read(a: Agreement) -> AgreementRead:
    out = AgreementRead.model_validate(a)
    out.status_label = label(AgreementStatus, a.status) or a.status
    return out


def objection_read(o: Objection) -> ObjectionRead:
    out = ObjectionRead.model_validate(o)
    out.status_label = label(ObjectionStatus, o.status) or o.status
    out.overdue = o.status == ObjectionStatus.open and dl.today_cst() > o.due_date
    return out


def demand_read(d: Demand) -> DemandRead:
    out = DemandRead.model_validate(d)
    out.status_label = label(DemandStatus, d.status) or d.status
    return out


def decision_preview(session: Session, *, actor: Principal, query: DecisionQuery) -> dict[str, Any]:
    """ "Would this call be allowed?" — the policy decision without spending quota (for consoles and discovery).

    A system asks about itself; a department's admins about their systems; the platform's admins about any."""
    system_id = query.system_id or (actor.id if actor.is_system else None)
    if system_id is None:
        raise invalid("system_id", "system_required", "请指定应用系统", "system_id is required")
    if actor.is_system and system_id != actor.id:
        raise forbidden("应用系统只能查询自己的授权", "a system may ask only about itself")
    system = identity.get_system(session, actor=actor, system_id=system_id)
    if not actor.is_system and not actor.is_platform_admin:
        _require_member(actor, system.org_id, (Role.org_admin, Role.approver), "查询授权判定", "preview decisions")
    q = PolicyQuery(
        system_id=system.id,
        org_id=system.org_id,
        resource_code=query.resource_code,
        purpose_category=query.purpose_category.value if query.purpose_category else None,
        items=tuple(n.strip().lower() for n in query.items) if query.items is not None else None,
        purpose=query.purpose,
        case_ref=query.case_ref,
    )
    return engine_for(runtime_of(session)).decide(q, session=session).as_dict()
