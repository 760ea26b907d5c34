"""The console's start page (首页): the dashboard panels the user may see."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govshare.deps import ReadSession, RuntimeDep
from govshare.web.dashboard import PanelContext, panels_for
from govshare.web.i18n import N_
from govshare.web.labels import ROLE_LABELS
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import html_router, org_name_of, page, t_of
from govshare.web.session import Staff

router = html_router()

register_section("home", N_("工作台"), order=0)
register_item(MenuItem("home.dashboard", "home", N_("首页"), "/console", order=0))


@router.get("/console")
def dashboard(request: Request, principal: Staff, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    ctx = PanelContext(session, principal, runtime, t, org_name_of(session, principal))
    return page(
        request,
        principal,
        session,
        "console/dashboard.html",
        active="home.dashboard",
        title=t.gettext("首页"),
        panels=panels_for(ctx),
        role_labels=ROLE_LABELS,
    )
