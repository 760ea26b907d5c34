"""What every console page needs: the layout's context (menu, user, CSRF token) and small helpers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from govshare.errors import Problem
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.sharing import notify
from govshare.web.errors import HtmlRoute
from govshare.web.i18n import N_, Translator, language_of, translator
from govshare.web.menu import menu_for
from govshare.web.render import render
from govshare.web.session import csrf_token

#: Messages shown after a POST/redirect/GET, named by a code in the query string (never by free text,
#: so a link cannot put words in the platform's mouth).
FLASH_MESSAGES = {
    "org_created": N_("单位已登记。"),
    "system_created": N_("应用系统已创建。"),
    "system_updated": N_("应用系统已保存。"),
    "system_enabled": N_("应用系统已启用。"),
    "system_disabled": N_("应用系统已停用。"),
    "key_revoked": N_("密钥已吊销，使用它的调用将立即失败。"),
    "user_created": N_("用户已创建。"),
    "user_updated": N_("用户已保存。"),
    "user_enabled": N_("用户已启用。"),
    "user_disabled": N_("用户已停用，其登录会话已失效。"),
    "user_unlocked": N_("用户已解锁。"),
    "password_changed": N_("密码已修改，请用新密码重新登录。"),
    "logged_out": N_("您已安全退出。"),
}


def html_router() -> APIRouter:
    return APIRouter(route_class=HtmlRoute, include_in_schema=False, default_response_class=HTMLResponse)


def org_name_of(session: Session, principal: Principal) -> str | None:
    if not principal.org_id:
        return None
    try:
        return identity.get_organization(session, actor=principal, org_id=principal.org_id).name
    except Problem:
        return None


def unread_count(session: Session, principal: Principal) -> int:
    """Unread messages for the header (the sharing workflow's inbox)."""
    try:
        return notify.unread_count(session, actor=principal)
    except Problem:
        return 0


def console_context(
    request: Request, principal: Principal, session: Session, *, active: str, title: str, **extra: Any
) -> dict[str, Any]:
    flash_code = request.query_params.get("done")
    return {
        "principal": principal,
        "org_name": org_name_of(session, principal),
        "menu": menu_for(principal),
        "active": active,
        "title": title,
        "csrf": csrf_token(request),
        "flash": FLASH_MESSAGES.get(flash_code) if flash_code else None,
        "unread": unread_count(session, principal),
        **extra,
    }


def page(
    request: Request,
    principal: Principal,
    session: Session,
    template: str,
    *,
    active: str,
    title: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    ctx = console_context(request, principal, session, active=active, title=title, **extra)
    return render(request, template, ctx, status_code=status_code, headers=headers)


def t_of(request: Request) -> Translator:
    return translator(language_of(request))
