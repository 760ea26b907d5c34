"""Audit-log aggregates for the dashboard: records per day and actions by type.

Scoping is that of :func:`govshare.audit.service.search` (same check, same rows): the platform operator's
auditors and admins see the whole log, a department's auditors and admins the records their department
made or that concern its objects. This is a read model of the audit domain; it belongs in
``govshare/audit/service.py`` next to ``search`` and is meant to move there unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import BigInteger, func, literal_column, or_, select
from sqlalchemy.orm import Session

from govshare.audit.models import AuditRecord
from govshare.errors import forbidden
from govshare.identity.principal import Principal, Role

DAY_US = 86_400_000_000
#: Days are counted in 北京时间 (UTC+8, no daylight saving), the working day of the people who read them.
CST_OFFSET_US = 8 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class AuditActivity:
    platform_wide: bool
    total: int  # all records in scope, ever
    days: list[date]  # oldest first
    ok_per_day: list[int]
    not_ok_per_day: list[int]  # denied or failed
    by_action: list[tuple[str, int]]  # most frequent first, within the window


def _day_of(ts_us: int) -> int:
    return (ts_us + CST_OFFSET_US) // DAY_US


def audit_activity(session: Session, *, actor: Principal, days: int = 30, now_us: int | None = None) -> AuditActivity:
    if not actor.is_platform_auditor and not actor.has(Role.auditor, Role.org_admin):
        raise forbidden("需要审计员角色", "requires role: auditor")
    platform_wide = actor.is_platform_auditor
    now_us = now_us if now_us is not None else time.time_ns() // 1000
    today = _day_of(now_us)
    first_day = today - days + 1
    since_us = first_day * DAY_US - CST_OFFSET_US

    def scoped(stmt):  # noqa: ANN001, ANN202
        if platform_wide:
            return stmt
        return stmt.where(or_(AuditRecord.actor_org_id == actor.org_id, AuditRecord.object_org_id == actor.org_id))

    if platform_wide:
        # The chain is numbered 1..n without gaps, so the head's seq is the count (no table scan).
        total = session.scalar(select(func.max(AuditRecord.seq))) or 0
    else:
        total = session.scalar(scoped(select(func.count()).select_from(AuditRecord))) or 0

    # Integer division with the constants as typed literals: no bound parameters in the expression, so
    # PostgreSQL sees the GROUP BY expression as the selected one, and no FLOOR() (absent from some SQLites).
    day = (AuditRecord.ts_us + literal_column(str(CST_OFFSET_US), BigInteger)) // literal_column(
        str(DAY_US), BigInteger
    )
    per_day = session.execute(
        scoped(select(day, AuditRecord.outcome, func.count()).where(AuditRecord.ts_us >= since_us)).group_by(
            day, AuditRecord.outcome
        )
    ).all()
    ok_counts = [0] * days
    other_counts = [0] * days
    for day_no, outcome, n in per_day:
        index = int(day_no) - first_day
        if 0 <= index < days:
            (ok_counts if outcome == "ok" else other_counts)[index] += n

    count = func.count().label("n")
    by_action = session.execute(
        scoped(select(AuditRecord.action, count).where(AuditRecord.ts_us >= since_us))
        .group_by(AuditRecord.action)
        .order_by(count.desc(), AuditRecord.action)
        .limit(12)
    ).all()
    epoch = date(1970, 1, 1)
    return AuditActivity(
        platform_wide=platform_wide,
        total=int(total),
        days=[epoch + timedelta(days=first_day + i) for i in range(days)],
        ok_per_day=ok_counts,
        not_ok_per_day=other_counts,
        by_action=[(a, int(n)) for a, n in by_action],
    )
