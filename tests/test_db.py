"""db.HotQuery: a statement compiled once and run on a connection its thread keeps, without transactions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select, text, update

from govshare.identity.models import ApiCredential, Organization, System
from tests.conftest import World

_STATEMENT = (
    select(ApiCredential.key_id, ApiCredential.revoked_at, System.active, Organization.name)
    .join(System, System.id == ApiCredential.system_id)
    .join(Organization, Organization.id == System.org_id)
    .where(ApiCredential.key_id == bindparam("key_id"))
)


def test_values_come_back_as_through_core_and_changes_are_seen_at_once(runtime, world: World):
    query = runtime.db.hot_query(_STATEMENT)
    row = query.first(key_id=world.a.key_id)
    with runtime.db.read() as s:
        core = s.execute(_STATEMENT, {"key_id": world.a.key_id}).one()
    assert tuple(row) == tuple(core) and row.active is True and row.revoked_at is None
    assert query.first(key_id="no-such-key") is None
    when = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)
    with runtime.db.write() as s:  # committed elsewhere: the next call sees it (no snapshot held open)
        s.execute(update(ApiCredential).where(ApiCredential.key_id == world.a.key_id).values(revoked_at=when))
    row = query.first(key_id=world.a.key_id)
    assert row.revoked_at == when and row.revoked_at.tzinfo is not None


def test_a_dropped_connection_is_replaced(runtime, world: World, store):
    query = runtime.db.hot_query(_STATEMENT)
    assert query.first(key_id=world.a.key_id) is not None
    if store.kind == "postgresql":  # the server ends the kept connection's backend
        with runtime.db.engine.connect() as c:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )
            )
    else:  # SQLite has no server; a connection closed underneath is the nearest thing
        runtime.db._held.get().dbapi_connection.close()
    assert query.first(key_id=world.a.key_id).key_id == world.a.key_id
    runtime.db.dispose()


def test_prepared_connect_plans_once_generically_and_keeps_the_setting_to_itself(runtime, world: World, store):
    """Database.prepared_connect: on PostgreSQL, statements are prepared on their first run and planned once for
    any values; the main pool's sessions keep PostgreSQL's default. SQLite: a connection without a transaction."""
    stmt = select(Organization.name).where(Organization.id == bindparam("org_id"))
    with runtime.db.prepared_connect() as conn:
        assert conn.execute(stmt, {"org_id": world.a.org_id}).scalar_one() == world.a.name
        raw = conn.connection.dbapi_connection
        if store.kind == "postgresql":
            assert raw.info.transaction_status.name == "IDLE"  # no BEGIN was sent
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_generic_plan"
            prepared = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements"
                " WHERE statement LIKE '%%organization.id = $1%%' AND statement NOT LIKE '%%pg_prepared%%'"
            ).scalar_one()
            assert prepared == 1  # prepared on its first run, not on its sixth
        else:
            assert not raw.in_transaction
    with runtime.db.prepared_connect() as conn:  # a connection dropped by the server is replaced on checkout
        if store.kind == "postgresql":
            with runtime.db.engine.connect() as other:
                other.execute(
                    text("SELECT pg_terminate_backend(:pid)"),
                    {"pid": conn.connection.dbapi_connection.info.backend_pid},
                )
    with runtime.db.prepared_connect() as conn:
        assert conn.execute(stmt, {"org_id": world.a.org_id}).scalar_one() == world.a.name
        if store.kind == "postgresql":  # the new connection is set up as the first was
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_generic_plan"
    if store.kind == "postgresql":
        with runtime.db.engine.connect() as c:
            assert c.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "auto"
