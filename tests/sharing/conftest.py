"""Fixtures of the sharing tests: staff with the workflow roles, and published catalog resources.

Resources are created through the catalog *service* the way a department does it: its catalog manager drafts
and submits, the platform operator approves. Provider is 民政局 (b), consumer is 公安局 (a).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from argon2 import PasswordHasher

from govshare.identity.principal import PLATFORM, Principal, Role
from govshare.runtime import Runtime
from tests.conftest import World


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2's production cost (~0.25 s a hash on the CI box) is not under test here; creating a dozen staff per
    test with it would dominate the suite's run time."""
    from govshare.identity import service

    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def item(
    machine_name: str,
    name: str,
    level: str,
    *,
    masking: str | None = None,
    share_type: str | None = None,
    key: bool = False,
    secret: bool = False,
    sensitive: bool = False,
) -> dict:
    return {
        "name": name,
        "machine_name": machine_name,
        "data_type": "string",
        "length": 64,
        "description": f"{name}(测试信息项)",
        "is_key": key,
        "share_type": share_type,
        "is_secret": secret,
        "is_sensitive": sensitive or level in ("L3", "L4"),
        "sensitivity": level,
        "masking": masking,
    }


#: 有条件共享: 低保对象信息 of 民政局 — a key, items at every level, an unconditional item, a 不予共享 secret item.
COND_ITEMS = [
    item("id_number", "公民身份号码", "L3", masking="keep:6:4", key=True),
    item("name", "姓名", "L2", masking="name"),
    item("address", "家庭住址", "L3", masking="keep:6:0"),
    item("income", "家庭月收入", "L4", masking="full"),
    item("household_size", "家庭人口数", "L1", share_type="unconditional"),
    item("case_note", "核查笔记", "L4", share_type="none", secret=True),
]
#: 无条件共享: 社会组织登记信息.
UNCOND_ITEMS = [
    item("org_code", "统一社会信用代码", "L1", key=True),
    item("org_name", "组织名称", "L1"),
    item("legal_rep", "法定代表人", "L3", masking="name"),
]
NONE_BASIS = "《中华人民共和国个人信息保护法》第二十八条 (敏感个人信息)"


def make_resource(session, provider_org_id: str, name: str, share_type: str, items: list[dict]) -> str:  # noqa: ANN001
    """Draft → submit (the provider's catalog manager) → approve (platform operator). Returns the resource code."""
    from govshare.catalog import service as catalog
    from govshare.catalog.schemas import ResourceCreate

    manager = Principal(
        kind="user",
        id=f"cm-{provider_org_id[:8]}",
        org_id=provider_org_id,
        name="目录管理员",
        roles=frozenset({Role.catalog_manager}),
    )
    content = {
        "classification_kind": "theme",
        "classification_code": "209001",
        "name": name,
        "summary": f"{name}, 用于共享流程测试的目录资源。",
        "keywords": ["测试"],
        "formats": ["database"],
        "share_type": share_type,
        "share_modes": ["api"],
        "open_type": "none",
        "update_cycle": "daily",
        "network": "egov_extranet",
        "items": items,
        "provider_org_id": provider_org_id,
    }
    if share_type != "unconditional":
        content.update(
            share_condition="仅限履行法定职责使用" if share_type == "conditional" else "涉及敏感个人信息, 不予共享",
            share_basis="《政务数据共享条例》第十四条" if share_type == "conditional" else NONE_BASIS,
            share_reason="sensitive" if share_type == "none" else "law",
        )
    r = catalog.create_resource(session, actor=manager, data=ResourceCreate(**content))
    catalog.submit(session, actor=manager, resource_id=r.id, note="测试")
    catalog.approve(session, actor=PLATFORM, resource_id=r.id, reason="测试审核通过")
    return r.code


@dataclass
class Sharing:
    world: World
    runtime: Runtime
    op_admin: Principal  # 数据局 platform_admin + auditor
    a_clerk: Principal  # 公安局 clerk: files requests
    a_approver: Principal  # 公安局 approver (cannot answer 民政局's requests)
    a_admin: Principal  # 公安局 org_admin (+auditor)
    b_approver: Principal  # 民政局 approver: answers requests to 民政局
    b_admin: Principal  # 民政局 org_admin (+auditor)
    b_catalog: Principal  # 民政局 catalog manager: answers objections and demands
    b_clerk: Principal  # 民政局 clerk (no right to answer)
    cond: str  # resource codes
    uncond: str
    none: str

    def request_body(self, resource_code: str, **overrides):  # noqa: ANN201
        from govshare.sharing.schemas import RequestCreate

        values = dict(
            system_id=self.world.a.system_id,
            resource_code=resource_code,
            items=["id_number", "name", "address"],
            purpose_category="social_assistance",
            purpose="核查低保申请人的户籍与家庭情况",
            legal_basis="《社会救助暂行办法》第十一条",
            service_items=["最低生活保障审核确认"],
            expected_daily_calls=100,
            expected_daily_records=100,
            contact_name="张三",
            contact_phone="0571-88888888",
        )
        values.update(overrides)
        return RequestCreate(**values)


def _user(session, org_id: str, username: str, display: str, roles: list[str]) -> Principal:  # noqa: ANN001
    from govshare.identity import service
    from govshare.identity.principal import Role
    from govshare.identity.schemas import UserCreate

    user = service.create_user(
        session,
        actor=PLATFORM,
        data=UserCreate(
            org_id=org_id,
            username=username,
            display_name=display,
            password=World.password,
            roles=[Role(r) for r in roles],
        ),
    )
    return service.principal_for_user(user)


def _principal(session, username: str) -> Principal:  # noqa: ANN001
    from sqlalchemy import select

    from govshare.identity import service
    from govshare.identity.models import User

    return service.principal_for_user(session.scalar(select(User).where(User.username == username)))


@pytest.fixture
def sw(runtime: Runtime, world: World) -> Sharing:
    with runtime.db.write() as s:
        a, b = world.a.org_id, world.b.org_id
        people = dict(
            a_clerk=_user(s, a, "gaj_clerk", "公安局受理员", ["clerk"]),
            a_approver=_user(s, a, "gaj_approver", "公安局审批员", ["approver"]),
            b_approver=_user(s, b, "mzj_approver", "民政局审批员", ["approver"]),
            b_catalog=_user(s, b, "mzj_catalog", "民政局目录管理员", ["catalog_manager"]),
            b_clerk=_user(s, b, "mzj_clerk", "民政局受理员", ["clerk"]),
            op_admin=_principal(s, world.operator.admin),
            a_admin=_principal(s, world.a.admin),
            b_admin=_principal(s, world.b.admin),
        )
        cond = make_resource(s, b, "低保对象信息", "conditional", COND_ITEMS)
        uncond = make_resource(s, b, "社会组织登记信息", "unconditional", UNCOND_ITEMS)
        none = make_resource(s, b, "低保对象核查档案", "none", [item("file_no", "档案编号", "L4", key=True)])
    return Sharing(world=world, runtime=runtime, cond=cond, uncond=uncond, none=none, **people)


def approve_all(sw: Sharing, request_id: str, **approve) -> tuple[str, str]:  # noqa: ANN201
    """Approve as 民政局 and confirm the agreement on both sides. Returns (grant_id, agreement_id)."""
    from govshare.sharing import service
    from govshare.sharing.schemas import ApproveBody

    with sw.runtime.db.write() as s:
        req = service.approve_request(s, actor=sw.b_approver, request_id=request_id, data=ApproveBody(**approve))
        agreement_id = service.current_agreement_id(s, req.grant_id)
        grant_id = req.grant_id
    with sw.runtime.db.write() as s:
        service.confirm_agreement(s, actor=sw.b_admin, agreement_id=agreement_id)
    with sw.runtime.db.write() as s:
        service.confirm_agreement(s, actor=sw.a_admin, agreement_id=agreement_id)
    return grant_id, agreement_id


def today() -> date:
    from govshare.sharing.deadlines import today_cst

    return today_cst()


@pytest.fixture
def outsider(sw: Sharing) -> Principal:
    """The org_admin (+auditor) of a third department, party to nothing."""
    from tests.conftest import _make_dept

    with sw.runtime.db.write() as s:
        c = _make_dept(
            s,
            10000004,
            "示范市人力资源和社会保障局",
            "rsj",
            "ordinary",
            World.password,
            ["org_admin", "auditor", "approver", "clerk"],
        )
        return _principal(s, c.admin)


def actions_of(sw: Sharing, object_id: str) -> list[str]:
    """Audit actions recorded about ``object_id``, oldest first."""
    from sqlalchemy import select

    from govshare.audit.models import AuditRecord

    with sw.runtime.db.read() as s:
        return list(
            s.scalars(select(AuditRecord.action).where(AuditRecord.object_id == object_id).order_by(AuditRecord.seq))
        )
