"""HTML routes: the public portal, the staff console (/console/…) and the language switch.

Each page module registers its menu entries and dashboard panels on import; the order of the routers
below is the order of matching, with the console's catch-all (an HTML 404 in the console frame) last.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from govshare.errors import not_found
from govshare.web.pages import (
    account,
    audit,
    auth,
    catalog,
    citizen,
    data,
    demands,
    home,
    objections,
    portal,
    sharing,
    system,
)
from govshare.web.pages.common import html_router
from govshare.web.session import Staff

router = html_router()
for module in (portal, citizen, auth, home, catalog, sharing, objections, demands, data, audit, system, account):
    router.include_router(module.router)


@router.get("/console/{rest:path}")
def console_not_found(rest: str, request: Request, principal: Staff) -> Response:
    raise not_found("page", "页面")
