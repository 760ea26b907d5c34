"""Dashboard aggregates of the audit log on SQLite and PostgreSQL: days in Beijing time, scoping, totals."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from govshare.errors import Problem
from govshare.identity.principal import Principal, Role
from govshare.web.stats import CST_OFFSET_US, DAY_US, audit_activity
from tests.conftest import World


def _user(world_dept, roles, operator: bool = False) -> Principal:  # noqa: ANN001
    return Principal(
        kind="user",
        id=f"u-{world_dept.org_id}",
        org_id=world_dept.org_id,
        name="x",
        roles=frozenset(roles),
        org_is_operator=operator,
    )


def test_activity_counts_per_day_and_scope(runtime, world: World):
    sys_a = Principal(kind="system", id=world.a.system_id, org_id=world.a.org_id, name="a")
    sys_b = Principal(kind="system", id=world.b.system_id, org_id=world.b.org_id, name="b")
    for _ in range(3):
        runtime.audit.append(actor=sys_a, action="usage.use.verify", purpose="核验")
    runtime.audit.append(actor=sys_a, action="usage.use.print", purpose="打印", outcome="denied")
    runtime.audit.append(actor=sys_b, action="usage.use.verify", purpose="核验")

    now = time.time_ns() // 1000
    operator = _user(world.operator, [Role.auditor], operator=True)
    admin_a = _user(world.a, [Role.org_admin])
    with runtime.db.read() as s:
        everything = audit_activity(s, actor=operator, days=7, now_us=now)
        mine = audit_activity(s, actor=admin_a, days=7, now_us=now)
        tomorrow = audit_activity(s, actor=admin_a, days=7, now_us=now + DAY_US)
        # the world's setup (organizations, users, systems, keys) is in the log too
        records = s.execute(text("SELECT count(*) FROM audit_record")).scalar_one()
    assert everything.platform_wide and everything.total == records
    assert not mine.platform_wide and mine.total < records
    usage = dict(mine.by_action)
    assert usage["usage.use.verify"] == 3 and usage["usage.use.print"] == 1
    assert dict(everything.by_action)["usage.use.verify"] == 4
    assert mine.not_ok_per_day[-1] == 1 and sum(mine.not_ok_per_day) == 1
    assert sum(mine.ok_per_day) + 1 == sum(n for _, n in mine.by_action)
    # the same records one day later sit in the second-to-last bucket
    assert tomorrow.ok_per_day[-2] == mine.ok_per_day[-1] and tomorrow.ok_per_day[-1] == 0
    assert tomorrow.days[-1] > mine.days[-1]
    # days are Beijing days (date.toordinal() of 1970-01-01 is 719163)
    assert mine.days[-1].toordinal() == (now + CST_OFFSET_US) // DAY_US + 719163


def test_activity_needs_an_audit_role(runtime, world: World):
    clerk = _user(world.a, [Role.clerk])
    with runtime.db.read() as s, pytest.raises(Problem) as exc:
        audit_activity(s, actor=clerk)
    assert exc.value.status == 403
