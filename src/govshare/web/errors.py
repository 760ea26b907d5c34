"""Errors as pages: a console route answers a person, not a client library.

The app's exception handlers answer ``application/problem+json`` (right for the API). Web routes use
:class:`HtmlRoute`, which turns the same :class:`~govshare.errors.Problem` into an HTML page in the user's
language — or, for an htmx request, into a message fragment swapped into the page's ``#flash`` region —
and turns "not logged in" into a redirect to the login page. Code that can show an error next to a form
field catches the Problem itself (see :mod:`govshare.web.forms`) before it gets here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from govshare.audit.service import AuditUnavailable
from govshare.errors import Problem
from govshare.web.menu import menu_for
from govshare.web.render import is_htmx, redirect, render
from govshare.web.session import LOGIN_PATH, LoginRequired, csrf_token

log = structlog.get_logger("govshare.web")


def _audit_down() -> Problem:
    return Problem(503, "audit_unavailable", "审计日志暂不可写，服务暂停", "audit log unavailable; service stopped")


def _internal() -> Problem:
    return Problem(500, "internal_error", "服务器内部错误", "internal server error")


def _invalid_request() -> Problem:
    return Problem(422, "validation_failed", "请求参数有误", "invalid request parameters")


def error_page(request: Request, problem: Problem) -> Response:
    request_id = getattr(request.state, "request_id", None)
    context: dict[str, Any] = {"problem": problem, "request_id": request_id}
    if is_htmx(request):
        # htmx swaps 4xx answers (see the htmx-config meta tag); the message lands in the page's #flash.
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(request, "errors/_flash.html", context, status_code=problem.status, headers=headers)
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.is_user:
        # The page keeps the console's frame (menu, logout) so the user is not stranded.
        context.update(principal=principal, menu=menu_for(principal), csrf=csrf_token(request), active=None)
    else:
        context["principal"] = None
    return render(request, "errors/error.html", context, status_code=problem.status, headers=problem.headers)


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    # After login, come back to the page asked for; a refused POST cannot be replayed, so go home then.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/console"
    url = f"{LOGIN_PATH}?next={quote(target, safe='/')}" + ("&expired=1" if exc.expired else "")
    return redirect(url, request)


class HtmlRoute(APIRoute):
    """An APIRoute whose errors are rendered as HTML (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return login_redirect(request, exc)
            except Problem as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, _invalid_request())
            except StarletteHTTPException as exc:
                return error_page(request, Problem(exc.status_code, "http_error", "请求无效", "bad request"))
            except AuditUnavailable:
                return error_page(request, _audit_down())
            except Exception:
                log.exception("web_unhandled_error", path=request.url.path)
                return error_page(request, _internal())

        return html_handler
