"""The 首页 dashboard: a list of panels, each contributed by a domain and shown to those it concerns.

A panel is a function that reads through its domain's services and returns what its template shows (or
``None`` to stay hidden). Later issues add theirs — calls per day, pending requests, open objections,
quality alerts — with :func:`register_panel`; the page lays them out in ``order`` on a two-column grid
(``wide`` panels take both columns). A panel that fails is logged and left out: one broken panel must not
take the start page down with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.runtime import Runtime
from govshare.web import access
from govshare.web.charts import bar_chart, line_chart
from govshare.web.i18n import N_, Translator
from govshare.web.labels import action_text
from govshare.web.stats import audit_activity

log = structlog.get_logger("govshare.web")


@dataclass(frozen=True, slots=True)
class PanelContext:
    session: Session
    principal: Principal
    runtime: Runtime
    t: Translator
    org_name: str | None


@dataclass(frozen=True, slots=True)
class Panel:
    key: str
    title: str  # message id
    template: str  # rendered with ``panel`` (this) and ``data`` (what build returned)
    build: Callable[[PanelContext], dict[str, Any] | None]
    allowed: Callable[[Principal], bool] = lambda _p: True
    order: int = 100
    wide: bool = False


@dataclass(frozen=True, slots=True)
class RenderedPanel:
    panel: Panel
    data: dict[str, Any]


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(ctx: PanelContext) -> list[RenderedPanel]:
    shown: list[RenderedPanel] = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if not panel.allowed(ctx.principal):
            continue
        try:
            data = panel.build(ctx)
        except Exception:
            log.exception("dashboard_panel_failed", panel=panel.key)
            continue
        if data is not None:
            shown.append(RenderedPanel(panel, data))
    return shown


# ---- the foundation's panels ----------------------------------------------------------------------
def _overview(ctx: PanelContext) -> dict[str, Any]:
    p, s = ctx.principal, ctx.session
    cards: list[dict[str, Any]] = [
        {"label": N_("单位"), "value": len(identity.list_organizations(s, actor=p)), "href": None},
        {
            "label": N_("应用系统") if p.is_platform_admin else N_("本单位应用系统"),
            "value": len(identity.list_systems(s, actor=p)),
            "href": "/console/system/systems" if access.can_manage_org(p) else None,
        },
    ]
    if access.can_list_users(p):
        cards.append(
            {
                "label": N_("用户") if p.is_platform_admin else N_("本单位用户"),
                "value": len(identity.list_users(s, actor=p)),
                "href": "/console/system/users" if access.can_manage_org(p) else None,
            }
        )
    if access.can_read_audit(p):
        activity = audit_activity(s, actor=p, days=1)
        cards.append(
            {
                "label": N_("审计记录") if activity.platform_wide else N_("本单位审计记录"),
                "value": activity.total,
                "href": "/console/audit",
            }
        )
    return {"cards": cards}


def _audit_charts(ctx: PanelContext) -> dict[str, Any]:
    t = ctx.t
    activity = audit_activity(ctx.session, actor=ctx.principal, days=30)
    scope = t.gettext("全平台") if activity.platform_wide else (ctx.org_name or "")
    days = [d.strftime("%m-%d") for d in activity.days]
    line = line_chart(
        "chart-audit-per-day",
        t.gettext("近30天每日审计记录数（%(scope)s）", scope=scope),
        days,
        [(t.gettext("成功"), activity.ok_per_day), (t.gettext("拒绝或失败"), activity.not_ok_per_day)],
    )
    actions = [(action_text(t, a), n) for a, n in activity.by_action]
    bar = bar_chart(
        "chart-audit-actions",
        t.gettext("近30天操作类型分布（%(scope)s）", scope=scope),
        actions,
        t.gettext("记录数"),
    )
    return {"charts": [line, bar], "scope": scope, "empty": not activity.by_action}


register_panel(Panel("overview", N_("概览"), "console/panels/overview.html", _overview, order=0, wide=True))
register_panel(
    Panel(
        "audit_activity",
        N_("审计活动"),
        "console/panels/charts.html",
        _audit_charts,
        allowed=access.can_read_audit,
        order=10,
        wide=True,
    )
)
