"""Shared fixtures: every store-touching test runs on SQLite and, when GOVSHARE_TEST_POSTGRES_URL is set,
on PostgreSQL too (``store`` is parametrized). No mocked database anywhere.

SQLite: the schema is migrated once into a template file that each test copies (fast, isolated).
PostgreSQL: one database per test session, migrated once; every test starts from empty tables (TRUNCATE).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from govshare.config import Settings
from govshare.db import Database
from govshare.migrate import upgrade
from govshare.runtime import Runtime

PG_URL = os.environ.get("GOVSHARE_TEST_POSTGRES_URL", "").strip()
STORES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _pg_admin_url(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}", settings=Settings(sqlite_synchronous="NORMAL"))
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    admin_url = _pg_admin_url(PG_URL)
    name = f"govshare_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names()) - {"alembic_version"}
        tables = ", ".join(f'"{name}"' for name in sorted(existing))
        if tables:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@dataclass
class Store:
    kind: str
    url: str


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Store:
    if request.param == "sqlite":
        path = tmp_path / "govshare.db"
        shutil.copy(sqlite_template, path)
        return Store("sqlite", f"sqlite:///{path}")
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return Store("postgresql", url)


def make_settings(tmp_path: Path, url: str, **overrides) -> Settings:
    values = dict(
        data_dir=tmp_path / "var",
        database_url=url,
        sqlite_synchronous="NORMAL",
        audit_checkpoint_seconds=3600.0,
        log_json=False,
        log_level="WARNING",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def runtime(store: Store, tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime(make_settings(tmp_path, store.url))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime):
    from fastapi.testclient import TestClient

    from govshare.app import create_app

    with TestClient(create_app(runtime=runtime)) as c:
        yield c


# ---- a small world: the platform operator and two departments ----------------------------------------
@dataclass
class Dept:
    org_id: str
    name: str
    admin: str  # username
    system_id: str
    api_key: str
    key_id: str


@dataclass
class World:
    operator: Dept
    a: Dept
    b: Dept
    password: str = "Passw0rd!2026"


def uscc_for(n: int, region: str = "331900") -> str:
    from govshare.standards.identifiers import make_uscc

    return make_uscc("1", "1", region, f"{n:08d}")


def _make_dept(session, n: int, name: str, slug: str, kind: str, password: str, roles: list[str]) -> Dept:
    from govshare.identity import service
    from govshare.identity.principal import PLATFORM, Role
    from govshare.identity.schemas import OrganizationCreate, SystemCreate, UserCreate

    org = service.create_organization(
        session,
        actor=PLATFORM,
        data=OrganizationCreate(
            name=name, uscc=uscc_for(n), level="city", region_code="331900", kind=kind, short_code=slug
        ),
    )
    service.create_user(
        session,
        actor=PLATFORM,
        data=UserCreate(
            org_id=org.id,
            username=f"{slug}_admin",
            display_name=f"{name}管理员",
            password=password,
            roles=[Role(r) for r in roles],
        ),
    )
    system = service.create_system(
        session, actor=PLATFORM, data=SystemCreate(org_id=org.id, name=f"{name}业务系统", code=f"{slug}-app")
    )
    cred = service.issue_credential(session, actor=PLATFORM, system_id=system.id)
    return Dept(org.id, name, f"{slug}_admin", system.id, cred.api_key, cred.key_id)


@pytest.fixture
def world(runtime: Runtime) -> World:
    pw = World.password
    with runtime.db.write() as s:
        op = _make_dept(s, 10000001, "示范市数据局", "sjj", "platform_operator", pw, ["platform_admin", "auditor"])
        a = _make_dept(s, 10000002, "示范市公安局", "gaj", "ordinary", pw, ["org_admin", "auditor"])
        b = _make_dept(s, 10000003, "示范市民政局", "mzj", "ordinary", pw, ["org_admin", "auditor"])
    return World(op, a, b)


def login_headers(client, username: str, password: str = World.password) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}
