"""我的数据使用记录 (/me): sign-in with ID number, name and a one-time code; the person's access records; an
objection about one of them. The rules (identity check, codes, limits, sessions, audit) are in
:mod:`govshare.web.citizen`; this module is the pages.

The forms carry a double-submit token (cookie ``govshare_citizen_csrf``, path /me, and a hidden field), as the
staff login does; after sign-in the token is the session's own.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from govshare.catalog import service as catalog
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem
from govshare.identity import service as identity
from govshare.identity.principal import PLATFORM
from govshare.runtime import Runtime
from govshare.sharing import service as sharing
from govshare.sharing import vocab as sv
from govshare.web import citizen as rules
from govshare.web.forms import FormErrors, text_fields
from govshare.web.i18n import N_
from govshare.web.labels import action_text, register_action_labels
from govshare.web.pages.common import html_router, t_of
from govshare.web.render import redirect, render
from govshare.web.session import Form
from govshare.web.vocab import sharing_label

router = html_router()

SESSION_COOKIE = "govshare_citizen"
PENDING_COOKIE = "govshare_citizen_pending"
CSRF_COOKIE = "govshare_citizen_csrf"
PATH = "/me"

register_action_labels({"citizen.signin": N_("公民登录"), "citizen.objection": N_("公民提出异议")})

MESSAGES = {
    "code_sent": N_("验证码已发送，5 分钟内有效。"),
    "objection_sent": N_("您的异议已提交，提供数据的部门将核查并答复。"),
    "objection_recorded": N_("您的异议已记录在审计日志中，平台将转交提供数据的部门核查。"),
    "signed_out": N_("您已退出。"),
}


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _csrf(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _csrf_ok(request: Request, form: FormData) -> bool:
    cookie, given = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf_token")
    return bool(cookie) and isinstance(given, str) and hmac.compare_digest(cookie, given)


def _page(request: Request, template: str, runtime: Runtime, *, status_code: int = 200, **ctx: Any) -> Response:
    token = _csrf(request)
    done = request.query_params.get("done")
    ctx.setdefault("flash", MESSAGES.get(done) if done else None)
    response = render(
        request, template, {"csrf": None, "form_token": token, "title": None, **ctx}, status_code=status_code
    )
    secure = runtime.settings.cookie_secure
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=3600, path=PATH)
    return response


def _csrf_problem() -> Problem:
    return Problem(403, "csrf_failed", "页面已过期，请刷新后重试", "the form expired; reload and try again")


# ---- sign-in -------------------------------------------------------------------------------------------
@router.get("/me")
def home(request: Request, session: ReadSession, runtime: RuntimeDep) -> Response:
    me = rules.store(runtime).session(request.cookies.get(SESSION_COOKIE))
    if me is None:
        return _page(request, "citizen/login.html", runtime, values={}, errors=None)
    return _records_page(request, session, runtime, me)


@router.post("/me/login")
def login(request: Request, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    values = text_fields(form, "id_number", "name")
    values["id_number"] = values["id_number"].upper()
    errors = FormErrors()
    ip = _ip(request)
    if not _csrf_ok(request, form):
        raise _csrf_problem()
    wait = rules.store(runtime).per_ip.blocked(ip) or (
        rules.store(runtime).per_id.blocked(values["id_number"]) if values["id_number"] else 0
    )
    if wait:
        rules.audit_signin(runtime, values["id_number"] if rules.valid_id_number(values["id_number"]) else None,
                           "denied", "identity", "rate_limited", ip)  # fmt: skip
        errors.general.append(t.gettext("尝试次数过多，请 %(n)s 分钟后再试。", n=max(1, wait // 60)))
        return _page(request, "citizen/login.html", runtime, values=values, errors=errors, status_code=429)
    rules.store(runtime).per_ip.hit(ip)
    if not rules.valid_id_number(values["id_number"]):
        errors.fields["id_number"] = t.gettext("公民身份号码格式不正确")
    if len(values["name"]) < 2:
        errors.fields["name"] = t.gettext("请输入姓名")
    if errors:
        return _page(request, "citizen/login.html", runtime, values=values, errors=errors, status_code=422)
    rules.store(runtime).per_id.hit(values["id_number"])
    if not rules.check_identity(session, values["id_number"], values["name"]):
        rules.audit_signin(runtime, values["id_number"], "denied", "identity", "mismatch", ip)
        errors.general.append(t.gettext("身份号码与姓名不匹配。"))
        return _page(request, "citizen/login.html", runtime, values=values, errors=errors, status_code=401)
    token, code = rules.store(runtime).start(values["id_number"], values["name"])
    rules.send_code(values["id_number"], code)
    rules.audit_signin(runtime, values["id_number"], "ok", "identity", "code_sent", ip)
    response = redirect("/me/verify?done=code_sent", request)
    response.set_cookie(
        PENDING_COOKIE, token, httponly=True, samesite="strict", secure=runtime.settings.cookie_secure,
        max_age=int(rules.OTP_TTL), path=PATH,
    )  # fmt: skip
    return response


@router.get("/me/verify")
def verify_form(request: Request, runtime: RuntimeDep) -> Response:
    pending = rules.store(runtime).pending(request.cookies.get(PENDING_COOKIE))
    if pending is None:
        return redirect("/me", request)
    return _page(request, "citizen/verify.html", runtime, masked=_mask(pending.id_number), errors=None)


def _mask(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


@router.post("/me/verify")
def verify(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    if not _csrf_ok(request, form):
        raise _csrf_problem()
    ip = _ip(request)
    token = request.cookies.get(PENDING_COOKIE, "")
    pending = rules.store(runtime).pending(token)
    if pending is None:
        return redirect("/me", request)
    errors = FormErrors()
    if rules.store(runtime).per_ip.blocked(ip) or rules.store(runtime).per_id.blocked(pending.id_number):
        rules.audit_signin(runtime, pending.id_number, "denied", "code", "rate_limited", ip)
        errors.general.append(t.gettext("尝试次数过多，请稍后再试。"))
        return _page(request, "citizen/verify.html", runtime, masked=_mask(pending.id_number), errors=errors,
                     status_code=429)  # fmt: skip
    code = text_fields(form, "code")["code"]
    me, state = rules.store(runtime).verify(token, code)
    if me is None:
        rules.store(runtime).per_id.hit(pending.id_number)
        rules.store(runtime).per_ip.hit(ip)
        rules.audit_signin(runtime, pending.id_number, "denied", "code", "wrong_code", ip)
        if state is None:  # too many wrong codes: start again
            return redirect("/me", request)
        errors.fields["code"] = t.gettext("验证码不正确")
        return _page(request, "citizen/verify.html", runtime, masked=_mask(pending.id_number), errors=errors,
                     status_code=401)  # fmt: skip
    rules.audit_signin(runtime, me.id_number, "ok", "code", "signed_in", ip)
    response = redirect("/me", request)
    response.delete_cookie(PENDING_COOKIE, path=PATH)
    response.set_cookie(
        SESSION_COOKIE, rules.store(runtime).open_session(me), httponly=True, samesite="strict",
        secure=runtime.settings.cookie_secure, max_age=int(rules.SESSION_TTL), path=PATH,
    )  # fmt: skip
    return response


@router.post("/me/logout")
def logout(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    me = rules.store(runtime).session(request.cookies.get(SESSION_COOKIE))
    if me is not None and not _session_csrf_ok(me, form):
        raise _csrf_problem()
    rules.store(runtime).close(request.cookies.get(SESSION_COOKIE))
    response = redirect("/me?done=signed_out", request)
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


def _session_csrf_ok(me: rules.CitizenSession, form: FormData) -> bool:
    given = form.get("csrf_token")
    return isinstance(given, str) and hmac.compare_digest(me.csrf, given)


# ---- records -------------------------------------------------------------------------------------------
def _names(session: Session, records: list[rules.AccessRecord]) -> tuple[dict, dict, dict]:
    orgs = {o.id: o.name for o in identity.list_organizations(session, actor=PLATFORM)}
    systems: dict[str, str] = {}
    for sid in {r.system_id for r in records if r.system_id}:
        try:
            systems[sid] = identity.get_system(session, actor=PLATFORM, system_id=sid).name
        except Problem:
            systems[sid] = sid
    resources: dict[str, dict[str, Any]] = {}
    for code in {r.resource_code for r in records if r.resource_code}:
        try:
            res = catalog.get_by_code(session, actor=PLATFORM, code=code)
            resources[code] = {"name": res.name, "items": {i.machine_name: i.name for i in res.items}}
        except Problem:
            resources[code] = {"name": code, "items": {}}
    return orgs, systems, resources


def _purpose(t: Any, purpose: str | None) -> str:
    """The gateway records ``"<category>: <text>"``; the category is shown with its label."""
    if not purpose:
        return ""
    category, sep, text = purpose.partition(": ")
    if sep and category in {c.value for c in sv.PurposeCategory}:
        return f"{sharing_label(t, sv.PurposeCategory, category)}：{text}"
    return purpose


def _records_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    me: rules.CitizenSession,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    records = rules.records_for(session, runtime, me.id_number)
    orgs, systems, resources = _names(session, records)
    rows = []
    for r in records:
        res = resources.get(r.resource_code or "", {"name": "", "items": {}})
        rows.append(
            {
                "r": r,
                "what": action_text(t, r.action),
                "consumer": orgs.get(r.consumer_org_id or "", ""),
                "system": systems.get(r.system_id or "", ""),
                "provider": orgs.get(r.provider_org_id or "", ""),
                "resource": res["name"],
                "items": [res["items"].get(i, i) for i in r.items_clear],
                "masked": [res["items"].get(i, i) for i in r.items_masked],
                "purpose": _purpose(t, r.purpose),
            }
        )
    return _page(
        request,
        "citizen/records.html",
        runtime,
        status_code=status_code,
        me=me,
        masked=me.masked_id,
        rows=rows,
        errors=errors,
        values=values or {},
        session_csrf=me.csrf,
    )


@router.post("/me/objection")
def objection(request: Request, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    """An objection about one record. It goes into the sharing objection workflow as the platform, on the
    person's behalf (a citizen is not staff of a department): see :func:`file_objection`."""
    t = t_of(request)
    me = rules.store(runtime).session(request.cookies.get(SESSION_COOKIE))
    if me is None:
        return redirect("/me", request)
    if not _session_csrf_ok(me, form):
        raise _csrf_problem()
    values = text_fields(form, "seq", "description")
    errors = FormErrors()
    record = rules.record_for(session, runtime, me.id_number, int(values["seq"])) if values["seq"].isdigit() else None
    if record is None:
        errors.general.append(t.gettext("请从列表中选择一条记录"))
    if len(values["description"]) < 5:
        errors.fields["description"] = t.gettext("请说明您的异议（至少 5 个字）")
    if errors or record is None:
        return _records_page(request, session, runtime, me, errors=errors, values=values, status_code=422)
    done = file_objection(runtime, me, record, values["description"][:2000], t)
    return redirect(f"/me?done={done}", request)


def file_objection(runtime: Runtime, me: rules.CitizenSession, record: rules.AccessRecord, text: str, t: Any) -> str:
    """Hand the objection to the provider. ``sharing.service.raise_citizen_objection`` (proposed, see the
    report of issue 7 part 2) files it in the objection workflow with the platform as actor and a keyed
    reference of the person; until it exists the objection is recorded in the audit chain
    (``citizen.objection``, the person as subject) for the operator to forward."""
    raise_citizen = getattr(sharing, "raise_citizen_objection", None)
    if raise_citizen is not None and record.resource_code and record.consumer_org_id:
        with runtime.db.write() as s:
            raise_citizen(
                s,
                subject=me.id_number,
                resource_code=record.resource_code,
                consumer_org_id=record.consumer_org_id,
                audit_seq=record.seq,
                items=record.items_clear + record.items_masked,
                description=text,
            )
        return "objection_sent"
    runtime.audit.append(
        actor=PLATFORM,
        action="citizen.objection",
        subject=me.id_number,
        object_type="resource" if record.resource_code else None,
        object_id=record.resource_code,
        object_org_id=record.provider_org_id,
        detail={"audit_seq": record.seq, "description": text, "consumer_org_id": record.consumer_org_id},
    )
    return "objection_recorded"
