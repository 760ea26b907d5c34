"""Console login and logout. The login goes through :func:`govshare.identity.service.login` like the API's,
so lockout, auditing and the session cookies are the same."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govshare.deps import SESSION_COOKIE, RuntimeDep
from govshare.errors import Problem
from govshare.identity import service as identity
from govshare.runtime import Runtime
from govshare.web.forms import FormErrors, text_fields
from govshare.web.pages.common import FLASH_MESSAGES, html_router, t_of
from govshare.web.render import redirect, render, safe_next
from govshare.web.session import (
    Form,
    MaybeStaff,
    Staff,
    clear_session_cookies,
    login_csrf_ok,
    new_login_csrf,
    set_login_csrf,
    set_session_cookies,
)

router = html_router()


def _login_page(
    request: Request,
    runtime: Runtime,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    token = new_login_csrf(request)
    flash = FLASH_MESSAGES.get(request.query_params.get("done", ""))
    response = render(
        request,
        "console/login.html",
        {
            "login_csrf": token,
            "next": next_url,
            "username": username,
            "error": error,
            "errors": errors,
            "flash": flash,
            "expired": request.query_params.get("expired") == "1" and not error,
            "max_failures": runtime.settings.login_max_failures,
            "lockout_minutes": runtime.settings.login_lockout_minutes,
        },
        status_code=status_code,
    )
    set_login_csrf(response, runtime, token)
    return response


@router.get("/console/login")
def login_form(request: Request, principal: MaybeStaff, runtime: RuntimeDep) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if principal is not None:
        return redirect(next_url)
    return _login_page(request, runtime, next_url=next_url)


@router.post("/console/login")
def login(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    values = text_fields(form, "username", "next")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    next_url = safe_next(values["next"])
    if not login_csrf_ok(request, form):
        # No session to protect yet, but a forged login could sign the victim into someone else's account.
        return _login_page(
            request,
            runtime,
            next_url=next_url,
            username=values["username"],
            error=t.gettext("页面已过期，请重新提交。"),
            status_code=403,
        )
    errors = FormErrors()
    if not values["username"]:
        errors.fields["username"] = t.gettext("请输入用户名")
    if not password:
        errors.fields["password"] = t.gettext("请输入密码")
    if errors:
        return _login_page(
            request, runtime, next_url=next_url, username=values["username"], errors=errors, status_code=422
        )
    client = request.client.host if request.client else None
    with runtime.db.write() as session:
        # A failed attempt commits too: the failure count, a lockout and the audit record must stay.
        result = identity.login(session, username=values["username"], password=password, client=client)
        csrf = result.csrf_token
    if result.problem is not None:
        problem: Problem = result.problem
        return _login_page(
            request,
            runtime,
            next_url=next_url,
            username=values["username"],
            error=t.pick(problem.message_zh, problem.message_en),
            status_code=problem.status,
        )
    assert result.token and csrf
    response = redirect(next_url)
    set_session_cookies(response, runtime, result.token, csrf)
    return response


@router.post("/console/logout")
def logout(request: Request, principal: Staff, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with runtime.db.write() as session:
            identity.logout(session, actor=principal, token=token)
    response = redirect("/console/login?done=logged_out")
    clear_session_cookies(response)
    return response
