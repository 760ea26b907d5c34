"""Who is using the console: the staff user behind the session cookie, and the cookies of a login.

Authentication and the CSRF check are the API's own (:func:`govshare.deps.optional_principal`): a page
POST with the session cookie but without the session's token (``csrf_token`` form field or
``X-CSRF-Token`` header) is refused before any page code runs. The login form itself has no session yet;
it is protected by a double-submit token (:data:`LOGIN_CSRF_COOKIE`).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from govshare.deps import CSRF_COOKIE, SESSION_COOKIE, optional_principal
from govshare.identity.principal import Principal
from govshare.runtime import Runtime

#: Pre-login CSRF token: cookie and hidden field must match, and a cross-site page can read neither.
LOGIN_CSRF_COOKIE = "govshare_login_csrf"
LOGIN_PATH = "/console/login"


class LoginRequired(Exception):
    """No valid staff session: the page answers with a redirect to the login page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


async def staff_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None or not principal.is_user:
        raise LoginRequired(expired=SESSION_COOKIE in request.cookies)
    return principal


async def maybe_staff(request: Request) -> Principal | None:
    principal = await optional_principal(request)
    return principal if principal is not None and principal.is_user else None


async def form_data(request: Request) -> FormData:
    """The posted form (parsed once; the CSRF check has usually read it already)."""
    return await request.form()


Staff = Annotated[Principal, Depends(staff_principal)]
MaybeStaff = Annotated[Principal | None, Depends(maybe_staff)]
Form = Annotated[FormData, Depends(form_data)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token for forms and htmx headers. It is the value the login put in the
    ``govshare_csrf`` cookie; the server compares what comes back with the token stored for the session,
    so a changed cookie only makes the next post fail."""
    return request.cookies.get(CSRF_COOKIE, "")


def set_session_cookies(response: Response, runtime: Runtime, token: str, csrf: str) -> None:
    """The same cookies as ``POST /api/v1/auth/login`` (identity/api.py): the session HttpOnly and Lax,
    the CSRF token readable by the page's script but Strict."""
    secure = runtime.settings.cookie_secure
    max_age = int(runtime.settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", secure=secure, max_age=max_age, path="/")


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def new_login_csrf(request: Request) -> str:
    """Reuse the pre-login token while the cookie lives (several tabs may hold the login form)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: Response, runtime: Runtime, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.cookie_secure,
        max_age=3600,
        path=LOGIN_PATH,
    )


def login_csrf_ok(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = form.get("csrf_token")
    return bool(cookie) and isinstance(given, str) and hmac.compare_digest(cookie, given)
