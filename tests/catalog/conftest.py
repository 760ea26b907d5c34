"""Catalog fixtures: catalog managers of two departments and two reviewers at the platform operator (数据局).

Services are mostly exercised with the real principals of real users (``principal_for_user``); the HTTP tests log
in. Password hashing is made cheap here (argon2 with minimal cost): these tests are about the catalog, and eight
full-cost hashes per test would dominate the suite's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher

from govshare.identity.principal import Principal
from govshare.runtime import Runtime
from tests.conftest import World


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from govshare.identity import service

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(service, "_hasher", cheap)
    monkeypatch.setattr(service, "_DUMMY_HASH", cheap.hash("govshare-no-such-user"))


@pytest.fixture
def client(runtime: Runtime):
    """The app, with the open-catalog router mounted if the app factory does not mount it yet."""
    from fastapi.testclient import TestClient

    from govshare.app import create_app
    from govshare.catalog.api import open_router

    app = create_app(runtime=runtime)
    if not any(getattr(r, "path", "") == "/api/v1/open/catalog.ttl" for r in app.routes):
        app.include_router(open_router)
    with TestClient(app) as c:
        yield c


@dataclass
class Cast:
    world: World
    a_cat: Principal  # 公安局 catalog manager
    b_cat: Principal  # 民政局 catalog manager
    reviewer: Principal  # 数据局 catalog manager (审核)
    reviewer2: Principal
    a_admin: Principal  # 公安局 org admin (no catalog role)
    usernames: dict[str, str]


def _user(session, org_id: str, username: str, roles: list[str]) -> Principal:
    from govshare.identity import service
    from govshare.identity.principal import PLATFORM, Role
    from govshare.identity.schemas import UserCreate

    user = service.create_user(
        session,
        actor=PLATFORM,
        data=UserCreate(
            org_id=org_id,
            username=username,
            display_name=username,
            password=World.password,
            roles=[Role(r) for r in roles],
        ),
    )
    return service.principal_for_user(user)


@pytest.fixture
def cast(runtime: Runtime, world: World) -> Cast:
    from govshare.identity import service

    with runtime.db.write() as s:
        a_cat = _user(s, world.a.org_id, "gaj_catalog", ["catalog_manager"])
        b_cat = _user(s, world.b.org_id, "mzj_catalog", ["catalog_manager"])
        rev = _user(s, world.operator.org_id, "sjj_catalog", ["catalog_manager"])
        rev2 = _user(s, world.operator.org_id, "sjj_catalog2", ["catalog_manager"])
        a_admin = next(
            service.principal_for_user(u) for u in service.list_users(s, actor=_platform()) if u.username == "gaj_admin"
        )
    return Cast(
        world,
        a_cat,
        b_cat,
        rev,
        rev2,
        a_admin,
        {"a_cat": "gaj_catalog", "b_cat": "mzj_catalog", "reviewer": "sjj_catalog", "reviewer2": "sjj_catalog2"},
    )


def _platform() -> Principal:
    from govshare.identity.principal import PLATFORM

    return PLATFORM


def item(name: str, machine: str, **kw: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "machine_name": machine,
        "data_type": "string",
        "length": 50,
        "description": f"{name}, 按国家标准填写",
        "sensitivity": "L1",
    }
    base.update(kw)
    return base


def content(**overrides: Any) -> dict[str, Any]:
    """A complete, valid entry (人口基础信息-like) that passes every check."""
    data: dict[str, Any] = {
        "classification_kind": "base",
        "classification_code": "101001",
        "name": "户籍人口基本信息",
        "summary": "本市户籍人口的姓名、性别、民族、出生日期与户籍地址等基本信息, 由公安机关户籍管理维护。",
        "keywords": ["户籍", "人口"],
        "formats": ["database"],
        "share_type": "conditional",
        "share_condition": "仅限办理政务服务事项时按需查询",
        "share_basis": "《中华人民共和国户口登记条例》",
        "share_reason": "sensitive",
        "share_modes": ["api"],
        "open_type": "none",
        "update_cycle": "realtime",
        "network": "egov_extranet",
        "related_codes": [],
        "is_data_source": False,
        "items": [
            item("公民身份号码", "id_number", length=18, is_key=True, sensitivity="L3", is_sensitive=True,
                 masking="keep:6:4"),
            item("姓名", "name", sensitivity="L2", is_sensitive=True, masking="name"),
            item("性别", "gender", length=1),
            item("户籍地址", "household_address", length=200, sensitivity="L3", is_sensitive=True),
        ],
    }  # fmt: skip
    data.update(overrides)
    return data


def create(runtime: Runtime, actor: Principal, **overrides: Any):
    from govshare.catalog import service
    from govshare.catalog.schemas import ResourceCreate

    with runtime.db.write() as s:
        r = service.create_resource(s, actor=actor, data=ResourceCreate(**content(**overrides)))
        return r.id, r.code


def publish(runtime: Runtime, editor: Principal, reviewer: Principal, reason: str = "", **overrides: Any) -> str:
    from govshare.catalog import service

    rid, _ = create(runtime, editor, **overrides)
    with runtime.db.write() as s:
        service.submit(s, actor=editor, resource_id=rid)
    with runtime.db.write() as s:
        service.approve(s, actor=reviewer, resource_id=rid, reason=reason)
    return rid
