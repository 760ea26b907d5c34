"""FastAPI dependencies: sessions, the runtime and the calling principal.

Credentials, in the order they are looked at:
1. ``X-API-Key: gsk_…`` or ``Authorization: ApiKey gsk_…`` — a system;
2. ``Authorization: Bearer …`` — a staff user's API token;
3. the ``govshare_session`` cookie — a staff user in the console. Unsafe methods (POST, PUT, PATCH,
   DELETE) with a cookie must also carry the session's CSRF token in ``X-CSRF-Token`` (or a
   ``csrf_token`` form field): a cookie is ambient, so a cross-site form could otherwise use it.
A system may state the end user it acts for in ``X-On-Behalf-Of`` (经办人); it is recorded in the audit log.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from govshare.errors import Problem, unauthenticated
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.runtime import Runtime

SESSION_COOKIE = "govshare_session"
CSRF_COOKIE = "govshare_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_runtime(request: Request) -> Runtime:
    # async: FastAPI calls it on the event loop instead of handing it to a worker thread
    return request.app.state.runtime


def read_session(request: Request) -> Iterator[Session]:
    with request.app.state.runtime.db.read() as session:
        yield session


def write_session(request: Request) -> Iterator[Session]:
    with request.app.state.runtime.db.write() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
#: "function" scope: the transaction commits (or rolls back) before the response is sent.
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


async def _csrf_from_request(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def api_key_from(request: Request) -> str | None:
    """A system's API key from ``X-API-Key`` or ``Authorization: ApiKey …``, if the request carries one."""
    api_key = request.headers.get("x-api-key")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if not api_key and scheme.lower() == "apikey":
        api_key = value.strip()
    return api_key or None


def _authenticate(request: Request, session: Session) -> tuple[Principal, str | None]:
    """Returns the principal and, for cookie logins, the session's CSRF token."""
    api_key = api_key_from(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if api_key:
        principal = identity.authenticate_api_key(session, api_key)
        on_behalf = request.headers.get("x-on-behalf-of")
        if on_behalf:
            principal = replace(principal, on_behalf_of=on_behalf.strip()[:128])
        return principal, None
    if scheme.lower() == "bearer" and value:
        return identity.authenticate_token(session, value.strip(), kind="bearer").principal, None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth_result = identity.authenticate_token(session, cookie, kind="session")
        return auth_result.principal, auth_result.csrf_token or ""
    raise unauthenticated()


async def current_principal(request: Request) -> Principal:
    runtime: Runtime = request.app.state.runtime
    # Authentication reads in its own short session so the request's write transaction stays short.
    with runtime.db.read() as session:
        principal, csrf_expected = _authenticate(request, session)
    if csrf_expected is not None and request.method not in SAFE_METHODS:
        given = await _csrf_from_request(request)
        if not given or not hmac.compare_digest(given, csrf_expected):
            raise Problem(403, "csrf_failed", "CSRF 校验失败,请刷新页面后重试", "CSRF check failed; reload and retry")
    request.state.principal = principal
    return principal


async def optional_principal(request: Request) -> Principal | None:
    try:
        return await current_principal(request)
    except Problem as exc:
        if exc.status == 401:
            return None
        raise


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
