"""The public side: the portal's home page and the language switch. No login needed."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govshare.web.i18n import LANG_COOKIE, parse_lang
from govshare.web.pages.common import html_router
from govshare.web.render import redirect, render, safe_next
from govshare.web.session import MaybeStaff

router = html_router()


@router.get("/")
def home(request: Request, principal: MaybeStaff) -> Response:
    return render(request, "portal/index.html", {"principal": principal, "title": None}, private=principal is not None)


@router.get("/lang/{code}")
def switch_language(code: str, request: Request) -> Response:
    """Remember the language in a cookie and go back where the user was (a local path only)."""
    response = redirect(safe_next(request.query_params.get("next"), default="/"))
    lang = parse_lang(code)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
