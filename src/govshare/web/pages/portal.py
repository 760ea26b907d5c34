"""The public side: the open-data portal (search, dataset pages, API documentation) and the language switch.

No login. The catalog service with ``actor=None`` gives the public view: published entries of the open
catalog (无条件/有条件开放) only; anything else is a 404 there, and so here.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govshare.catalog import service as catalog
from govshare.catalog.search import SearchQuery
from govshare.deps import ReadSession, RuntimeDep
from govshare.web import opendata
from govshare.web.catalog_view import resource_rows
from govshare.web.i18n import LANG_COOKIE, parse_lang
from govshare.web.pages.catalog import items_view, search_context
from govshare.web.pages.common import html_router, t_of
from govshare.web.render import redirect, render, safe_next
from govshare.web.session import MaybeStaff

router = html_router()


def _open_link(hit_id: str) -> str:
    return f"/open/datasets/{hit_id}"


@router.get("/")
def home(request: Request, principal: MaybeStaff, session: ReadSession) -> Response:
    newest = catalog.search(
        session, actor=None, query=SearchQuery(open_only=True, sort="newest", limit=6, facets=False)
    )
    return render(
        request,
        "portal/index.html",
        {"principal": principal, "title": None, "newest": newest, "active_nav": "home"},
        private=principal is not None,
    )


@router.get("/open")
def open_search(request: Request, principal: MaybeStaff, session: ReadSession) -> Response:
    t = t_of(request)
    ctx = search_context(request, session, None, t)
    template = (
        "catalog/_results.html" if request.headers.get("hx-target") == "catalog-results" else "portal/search.html"
    )
    return render(
        request,
        template,
        {**ctx, "principal": principal, "title": t.gettext("开放数据"), "base": "/open", "link": _open_link,
         "active_nav": "open"},
        private=principal is not None,
    )  # fmt: skip


@router.get("/open/datasets/{resource_id}")
def dataset(resource_id: str, request: Request, principal: MaybeStaff, session: ReadSession) -> Response:
    t = t_of(request)
    r = catalog.get_visible(session, actor=None, resource_id=resource_id)
    read = catalog.resource_read(session, actor=None, r=r)
    download = opendata.downloadable(session, read)
    return render(
        request,
        "portal/dataset.html",
        {
            "principal": principal,
            "title": read.name,
            "r": read,
            "rows": resource_rows(read, t),
            "items": items_view(read, t),
            "active_nav": "open",
            "download": download,
            "download_formats": opendata.FORMATS,
        },
        private=principal is not None,
    )


@router.get("/open/datasets/{resource_id}/download.{fmt}")
def download(resource_id: str, fmt: str, session: ReadSession, runtime: RuntimeDep) -> Response:
    """The current rows of an open dataset held in the library, streamed (CSV, JSON Lines or Parquet)."""
    r = catalog.get_visible(session, actor=None, resource_id=resource_id)
    read = catalog.resource_read(session, actor=None, r=r)
    return opendata.download_response(runtime, session, read, fmt)


@router.get("/open/api")
def api_docs(request: Request, principal: MaybeStaff) -> Response:
    t = t_of(request)
    # the platform's public address when configured (behind a proxy the request host may be an internal name)
    base = catalog.public_base_url(request.app.state.runtime.settings.public_base_url, str(request.base_url))
    return render(
        request,
        "portal/api.html",
        {"principal": principal, "title": t.gettext("接口说明"), "base": base, "active_nav": "api"},
        private=principal is not None,
    )


@router.get("/lang/{code}")
def switch_language(code: str, request: Request) -> Response:
    """Remember the language in a cookie and go back where the user was (a local path only)."""
    response = redirect(safe_next(request.query_params.get("next"), default="/"))
    lang = parse_lang(code)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
