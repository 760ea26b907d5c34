"""系统 (administration): departments (platform admin), systems and their API keys, users and roles (department admins).

Every page reads and writes through :mod:`govshare.identity.service`; the services decide who may do
what (another department's system or user answers 404 there, and so here). A write runs in its own
transaction, opened here, so that a refused change is rolled back before the form is shown again with
the service's message next to the field at fault.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govshare.db import utcnow
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem, forbidden
from govshare.identity import service as identity
from govshare.identity.principal import OrgKind, OrgLevel, Principal, Role
from govshare.identity.schemas import (
    IssuedCredential,
    OrganizationCreate,
    SystemCreate,
    SystemUpdate,
    UserCreate,
    UserUpdate,
)
from govshare.web import access
from govshare.web.forms import FormErrors, optional, text_fields, validate, write
from govshare.web.i18n import N_, Translator
from govshare.web.labels import ORG_KIND_LABELS, ORG_LEVEL_LABELS, ROLE_LABELS
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import html_router, page, t_of
from govshare.web.render import CST, is_htmx, redirect, render
from govshare.web.session import Form, Staff, csrf_token

router = html_router()

register_section("system", N_("系统管理"), order=90)
register_item(
    MenuItem("system.departments", "system", N_("单位"), "/console/system/departments", 10, access.can_register_orgs)
)
register_item(
    MenuItem("system.systems", "system", N_("应用系统与密钥"), "/console/system/systems", 20, access.can_manage_org)
)
register_item(MenuItem("system.users", "system", N_("用户与角色"), "/console/system/users", 30, access.can_manage_org))

#: How long a rotated key keeps working, offered in the rotate form (seconds → label).
GRACE_CHOICES: list[tuple[int, str]] = [
    (0, N_("立即失效")),
    (3600, N_("1 小时后失效")),
    (86400, N_("24 小时后失效")),
    (7 * 86400, N_("7 天后失效")),
]


def _require_manager(principal: Principal) -> None:
    if not access.can_manage_org(principal):
        raise forbidden("需要单位管理员角色", "requires role: org_admin")


def _out_of_reach(exc: Problem) -> bool:
    """Not a form error: the object is out of reach (rendered as the 404/403 page)."""
    return exc.status == 404 or exc.code == "forbidden"


_write = partial(write, answered_by_page=_out_of_reach)


def _org_options(session: Session, principal: Principal) -> list[tuple[str, str]]:
    return [(o.id, o.name) for o in identity.list_organizations(session, actor=principal)]


def _role_options(principal: Principal, t: Translator) -> list[tuple[str, str]]:
    roles = [r for r in Role if r != Role.platform_admin or principal.is_platform_admin]
    return [(r.value, t.gettext(ROLE_LABELS[r])) for r in roles]


def _org_filter(request: Request, principal: Principal) -> str | None:
    return (request.query_params.get("org") or None) if principal.is_platform_admin else None


# ---- departments ----------------------------------------------------------------------------------
ORG_FIELDS = ("name", "uscc", "level", "region_code", "kind", "short_code", "parent_id")


def _departments_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    if not access.can_register_orgs(principal):
        raise forbidden("只有平台管理员可以管理单位", "only platform administrators manage organizations")
    orgs = identity.list_organizations(session, actor=principal)
    names = {o.id: o.name for o in orgs}
    return page(
        request,
        principal,
        session,
        "console/system/departments.html",
        active="system.departments",
        title=t.gettext("单位"),
        status_code=status_code,
        page_url="/console/system/departments",
        orgs=orgs,
        parent_names=names,
        values=values or {"level": OrgLevel.city.value, "kind": OrgKind.ordinary.value},
        errors=errors,
        level_options=[(v.value, t.gettext(ORG_LEVEL_LABELS[v])) for v in OrgLevel],
        kind_options=[(v.value, t.gettext(ORG_KIND_LABELS[v])) for v in OrgKind],
        kind_labels=ORG_KIND_LABELS,
        level_labels=ORG_LEVEL_LABELS,
        org_options=[(o.id, o.name) for o in orgs],
    )


@router.get("/console/system/departments")
def departments(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _departments_page(request, principal, session)


@router.post("/console/system/departments")
def create_department(
    request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values = text_fields(form, *ORG_FIELDS)
    values["uscc"] = values["uscc"].upper()
    errors = FormErrors()
    data = validate(OrganizationCreate, optional(values, "short_code", "parent_id", "kind"), errors, t)
    if data is not None:
        _write(
            runtime, errors, t, set(ORG_FIELDS), lambda s: identity.create_organization(s, actor=principal, data=data)
        )
    if errors:
        return _departments_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect("/console/system/departments?done=org_created", request)


# ---- systems --------------------------------------------------------------------------------------
SYSTEM_FIELDS = ("org_id", "name", "code", "description")


def _systems_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    _require_manager(principal)
    org_filter = _org_filter(request, principal)
    systems = identity.list_systems(session, actor=principal)
    if org_filter:
        systems = [s for s in systems if s.org_id == org_filter]
    orgs = _org_options(session, principal)
    return page(
        request,
        principal,
        session,
        "console/system/systems.html",
        active="system.systems",
        title=t.gettext("应用系统与密钥"),
        status_code=status_code,
        page_url="/console/system/systems",
        systems=systems,
        org_names=dict(orgs),
        org_options=orgs,
        org_filter=org_filter or "",
        values=values or {"org_id": org_filter or principal.org_id or ""},
        errors=errors,
    )


@router.get("/console/system/systems")
def systems(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _systems_page(request, principal, session)


@router.post("/console/system/systems")
def create_system(
    request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    _require_manager(principal)
    values = text_fields(form, *SYSTEM_FIELDS)
    if not principal.is_platform_admin:
        values["org_id"] = principal.org_id or ""  # a department admin registers systems of its own department
    errors = FormErrors()
    data = validate(SystemCreate, values, errors, t)
    created = None
    if data is not None:
        created = _write(
            runtime, errors, t, set(SYSTEM_FIELDS), lambda s: identity.create_system(s, actor=principal, data=data).id
        )
    if errors or created is None:
        return _systems_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect(f"/console/system/systems/{created}?done=system_created", request)


def _credential_rows(session: Session, principal: Principal, system_id: str) -> list[dict[str, Any]]:
    now = utcnow()
    rows = []
    for c in reversed(identity.list_credentials(session, actor=principal, system_id=system_id)):
        if c.revoked_at is not None:
            state = "revoked"
        elif c.expires_at is not None and c.expires_at <= now:
            state = "expired"
        elif c.replaced_by is not None:
            state = "grace"  # rotated, still accepted until expires_at
        else:
            state = "active"
        rows.append({"c": c, "state": state})
    return rows


def _system_context(
    request: Request, principal: Principal, session: Session, system_id: str, t: Translator
) -> dict[str, Any]:
    _require_manager(principal)
    system = identity.get_system(session, actor=principal, system_id=system_id)
    org = identity.get_organization(session, actor=principal, org_id=system.org_id)
    return {
        "system": system,
        "system_org": org,
        "credentials": _credential_rows(session, principal, system.id),
        "grace_choices": [(seconds, t.gettext(label)) for seconds, label in GRACE_CHOICES],
        "csrf": csrf_token(request),
    }


def _system_page(
    request: Request,
    principal: Principal,
    session: Session,
    system_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    t = t_of(request)
    ctx = _system_context(request, principal, session, system_id, t)
    ctx.update(extra)
    ctx.setdefault("values", {"name": ctx["system"].name, "description": ctx["system"].description})
    return page(
        request,
        principal,
        session,
        "console/system/system.html",
        active="system.systems",
        title=ctx["system"].name,
        status_code=status_code,
        page_url=f"/console/system/systems/{system_id}",
        **ctx,
    )


def _credentials_answer(
    request: Request,
    principal: Principal,
    session: Session,
    system_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """After a key action: the keys section alone for htmx, else the whole page. The new key is in this
    answer only (never in a redirect, a cookie or a log), and the answer is not cached."""
    if is_htmx(request):
        t = t_of(request)
        ctx = _system_context(request, principal, session, system_id, t)
        ctx.update(extra)
        return render(request, "console/system/_credentials.html", ctx, status_code=status_code)
    return _system_page(request, principal, session, system_id, status_code=status_code, **extra)


@router.get("/console/system/systems/{system_id}")
def system_detail(system_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _system_page(request, principal, session, system_id)


@router.post("/console/system/systems/{system_id}")
def update_system(
    system_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values = text_fields(form, "name", "description")
    errors = FormErrors()
    data = validate(SystemUpdate, values, errors, t)
    if data is not None:
        _write(
            runtime,
            errors,
            t,
            {"name", "description"},
            lambda s: identity.update_system(s, actor=principal, system_id=system_id, data=data),
        )
    if errors:
        return _system_page(request, principal, session, system_id, values=values, errors=errors, status_code=422)
    return redirect(f"/console/system/systems/{system_id}?done=system_updated", request)


@router.post("/console/system/systems/{system_id}/active")
def set_system_active(system_id: str, request: Request, principal: Staff, form: Form, runtime: RuntimeDep) -> Response:
    active = form.get("active") == "1"
    with runtime.db.write() as s:
        identity.update_system(s, actor=principal, system_id=system_id, data=SystemUpdate(active=active))
    done = "system_enabled" if active else "system_disabled"
    return redirect(f"/console/system/systems/{system_id}?done={done}", request)


def _expiry(value: str, errors: FormErrors, t: Translator) -> datetime | None:
    """A key's last valid day (北京时间) → the first moment after it, in UTC."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors.fields["expires_on"] = t.gettext("日期格式应为 YYYY-MM-DD")
        return None
    return (datetime.combine(day, time.max, tzinfo=CST)).astimezone(UTC)


@router.post("/console/system/systems/{system_id}/credentials")
def issue_key(
    system_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values = text_fields(form, "label", "expires_on")
    errors = FormErrors()
    expires_at = _expiry(values["expires_on"], errors, t)
    issued: IssuedCredential | None = None
    if not errors:
        issued = _write(
            runtime,
            errors,
            t,
            {"label", "expires_at"},
            lambda s: identity.issue_credential(
                s, actor=principal, system_id=system_id, label=values["label"][:128], expires_at=expires_at
            ),
        )
    if errors:
        if "expires_at" in errors.fields:  # the service's field is the form's "last valid day"
            errors.fields["expires_on"] = errors.fields.pop("expires_at")
        return _credentials_answer(
            request, principal, session, system_id, key_errors=errors, key_values=values, status_code=422
        )
    return _credentials_answer(request, principal, session, system_id, issued=issued)


@router.post("/console/system/systems/{system_id}/credentials/{key_id}/rotate")
def rotate_key(
    system_id: str,
    key_id: str,
    request: Request,
    principal: Staff,
    form: Form,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    t = t_of(request)
    grace_text = form.get("grace_seconds")
    allowed = {seconds for seconds, _ in GRACE_CHOICES}
    grace = int(grace_text) if isinstance(grace_text, str) and grace_text.isdigit() else 0
    grace = grace if grace in allowed else 0
    errors = FormErrors()
    issued = _write(
        runtime,
        errors,
        t,
        set(),
        lambda s: identity.rotate_credential(
            s, actor=principal, system_id=system_id, key_id=key_id, grace_seconds=grace
        ),
    )
    if errors or issued is None:
        return _credentials_answer(request, principal, session, system_id, key_errors=errors, status_code=409)
    return _credentials_answer(
        request, principal, session, system_id, issued=issued, rotated_from=key_id, rotated_grace=grace
    )


@router.post("/console/system/systems/{system_id}/credentials/{key_id}/revoke")
def revoke_key(
    system_id: str, key_id: str, request: Request, principal: Staff, session: ReadSession, runtime: RuntimeDep
) -> Response:
    with runtime.db.write() as s:
        identity.revoke_credential(s, actor=principal, system_id=system_id, key_id=key_id)
    if is_htmx(request):
        return _credentials_answer(request, principal, session, system_id, revoked=key_id)
    return redirect(f"/console/system/systems/{system_id}?done=key_revoked", request)


# ---- users ----------------------------------------------------------------------------------------
USER_FIELDS = ("org_id", "username", "display_name", "password", "roles")


def _users_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    _require_manager(principal)
    org_filter = _org_filter(request, principal)
    users = [identity.user_read(u) for u in identity.list_users(session, actor=principal)]
    if org_filter:
        users = [u for u in users if u.org_id == org_filter]
    orgs = _org_options(session, principal)
    return page(
        request,
        principal,
        session,
        "console/system/users.html",
        active="system.users",
        title=t.gettext("用户与角色"),
        status_code=status_code,
        page_url="/console/system/users",
        users=users,
        now=utcnow(),
        org_names=dict(orgs),
        org_options=orgs,
        org_filter=org_filter or "",
        role_options=_role_options(principal, t),
        role_labels=ROLE_LABELS,
        values=values or {"org_id": org_filter or principal.org_id or "", "roles": []},
        errors=errors,
    )


@router.get("/console/system/users")
def users(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _users_page(request, principal, session)


@router.post("/console/system/users")
def create_user(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    _require_manager(principal)
    values: dict[str, Any] = text_fields(form, "org_id", "username", "display_name")
    password = form.get("password")
    values["roles"] = [r for r in form.getlist("roles") if isinstance(r, str)]
    if not principal.is_platform_admin:
        values["org_id"] = principal.org_id or ""
    errors = FormErrors()
    data = validate(UserCreate, {**values, "password": password if isinstance(password, str) else ""}, errors, t)
    created = None
    if data is not None:
        created = _write(
            runtime, errors, t, set(USER_FIELDS), lambda s: identity.create_user(s, actor=principal, data=data).id
        )
    if errors or created is None:
        return _users_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect(f"/console/system/users/{created}?done=user_created", request)


def _user_page(
    request: Request,
    principal: Principal,
    session: Session,
    user_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    _require_manager(principal)
    user = identity.user_read(identity.get_user(session, actor=principal, user_id=user_id))
    org = identity.get_organization(session, actor=principal, org_id=user.org_id)
    now = utcnow()
    return page(
        request,
        principal,
        session,
        "console/system/user.html",
        active="system.users",
        title=user.display_name,
        status_code=status_code,
        page_url=f"/console/system/users/{user_id}",
        user=user,
        user_org=org,
        locked=user.locked_until is not None and user.locked_until > now,
        is_self=user.id == principal.id,
        role_options=_role_options(principal, t),
        role_labels=ROLE_LABELS,
        values=values or {"display_name": user.display_name, "roles": list(user.roles)},
        errors=errors,
    )


@router.get("/console/system/users/{user_id}")
def user_detail(user_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _user_page(request, principal, session, user_id)


@router.post("/console/system/users/{user_id}")
def update_user(
    user_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    values: dict[str, Any] = text_fields(form, "display_name")
    values["roles"] = [r for r in form.getlist("roles") if isinstance(r, str)]
    errors = FormErrors()
    data = validate(UserUpdate, values, errors, t)
    if data is not None:
        _write(
            runtime,
            errors,
            t,
            {"display_name", "roles"},
            lambda s: identity.update_user(s, actor=principal, user_id=user_id, data=data),
        )
    if errors:
        return _user_page(request, principal, session, user_id, values=values, errors=errors, status_code=422)
    return redirect(f"/console/system/users/{user_id}?done=user_updated", request)


@router.post("/console/system/users/{user_id}/active")
def set_user_active(user_id: str, request: Request, principal: Staff, form: Form, runtime: RuntimeDep) -> Response:
    active = form.get("active") == "1"
    with runtime.db.write() as s:
        identity.update_user(s, actor=principal, user_id=user_id, data=UserUpdate(active=active))
    done = "user_enabled" if active else "user_disabled"
    return redirect(f"/console/system/users/{user_id}?done={done}", request)


@router.post("/console/system/users/{user_id}/unlock")
def unlock_user(user_id: str, request: Request, principal: Staff, runtime: RuntimeDep) -> Response:
    with runtime.db.write() as s:
        identity.unlock_user(s, actor=principal, user_id=user_id)
    return redirect(f"/console/system/users/{user_id}?done=user_unlocked", request)
