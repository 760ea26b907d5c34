"""The store: engine, sessions and the declarative base.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) the production store. Write transactions on
SQLite begin with ``BEGIN IMMEDIATE`` so that a transaction which reads and then writes cannot fail half way
with SQLITE_BUSY when another connection wrote in between: the write lock is taken up front and waiters queue
on ``busy_timeout``. Read transactions stay deferred and run concurrently with the writer (WAL).
"""

from __future__ import annotations

import threading
import uuid
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, DateTime, Engine, MetaData, Select, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from govshare.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both stores (SQLite keeps no zone, so we restore it on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """Opaque primary keys: UUID4 hex. Sequential integers would leak volumes across departments."""
    return uuid.uuid4().hex


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def make_engine(
    url: str,
    *,
    settings: Settings | None = None,
    pool_size: int | None = None,
    max_overflow: int = 20,
    generic_plans: bool = False,
) -> Engine:
    """``generic_plans`` (PostgreSQL): sessions that prepare every statement on its first run and plan it once,
    for its parameters' types only (see :meth:`Database.prepared_connect`)."""
    settings = settings or Settings()
    if is_sqlite(url):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size or settings.db_pool_size,
            max_overflow=20,
            pool_pre_ping=False,
        )
        synchronous = settings.sqlite_synchronous
        page_size = int(settings.sqlite_page_size)
        mmap_bytes = settings.sqlite_mmap_mb * 1024 * 1024

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_conn, _record):  # noqa: ANN001
            # Let SQLAlchemy, not the driver, decide when transactions begin (so BEGIN IMMEDIATE works).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA page_size={page_size:d}")  # takes effect only while the file is empty
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute(f"PRAGMA mmap_size={mmap_bytes:d}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(conn):  # noqa: ANN001
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            if mode is not None:  # None: statements run on their own (Database.quick_connect)
                conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    engine = create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args={"prepare_threshold": 0} if generic_plans else {},
    )
    if generic_plans:
        # A SET on connect rather than libpq's "options", which would replace any the database URL carries.
        event.listen(engine, "connect", _plan_generically)
        engine.dialect.do_ping = _ping_unprepared  # type: ignore[method-assign]
    return engine


def _plan_generically(dbapi_connection, _record) -> None:  # noqa: ANN001
    _unprepared(dbapi_connection, "SET plan_cache_mode = force_generic_plan")  # no rollback may undo it


def _ping_unprepared(dbapi_connection) -> bool:  # noqa: ANN001
    """SQLAlchemy's liveness check for psycopg (an empty statement, outside any transaction), kept out of
    psycopg's statement preparation: prepared, the empty statement is parsed anew on every checkout (psycopg
    never caches it)."""
    _unprepared(dbapi_connection, ";")
    return True


def _unprepared(dbapi_connection, sql: str) -> None:  # noqa: ANN001
    """Run ``sql`` on a psycopg connection outside any transaction, without preparing it."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(sql, prepare=False)
    finally:
        if not autocommit and not dbapi_connection.closed:
            dbapi_connection.autocommit = False


class Database:
    """Engine plus two session factories: ``read()`` and ``write()``.

    Domain services take a ``session`` keyword and never open their own; routers get one from
    ``govshare.deps``. ``write()`` commits on success and rolls back on any exception, so a failed
    request leaves no partial write.
    """

    def __init__(self, url: str, *, settings: Settings | None = None, pool_size: int | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, settings=settings, pool_size=pool_size)
        self.is_sqlite = is_sqlite(url)
        write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        #: Shared with every session as ``session.info`` (services find the runtime there).
        self.info: dict = {}
        self._read = sessionmaker(self.engine, expire_on_commit=False, info={"writable": False})
        self._write = sessionmaker(write_engine, expire_on_commit=False, info={"writable": True})
        self._quick_engine = (
            self.engine.execution_options(sqlite_begin=None)
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._held = HeldConnections(self.engine)
        self._prepared_engine: Engine | None = None
        self._prepared_lock = threading.Lock()
        #: the prepared pool's size: searches are short, and each connection counts against max_connections
        self._prepared_pool_size = max(4, (pool_size or (settings or Settings()).db_pool_size) // 4)
        self._settings = settings

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            session.info.update(self.info)
            yield session  # close() returns the connection (rolling back) and keeps loaded objects usable

    @contextmanager
    def quick_connect(self) -> Iterator[Connection]:
        """A Core connection without a transaction: each statement sees the latest committed data on its own, and
        no BEGIN/ROLLBACK round trips are made, nor a Session built. For hot paths that need one statement and
        no common snapshot (the gateway's check)."""
        with self._quick_engine.connect() as conn:
            yield conn

    @contextmanager
    def prepared_connect(self) -> Iterator[Connection]:
        """Like :meth:`quick_connect`, for statements built once and run many times with bound values whose best
        plan does not depend on the values (catalog search). On PostgreSQL the connection comes from a pool of its
        own whose sessions prepare each statement on its first run and keep one generic plan for it
        (``prepare_threshold=0``, ``plan_cache_mode=force_generic_plan``): planning a search's statement cost up
        to 1 ms, more than running it, and a plan made for one word's frequencies was at times far worse than
        the generic one (docs/catalog.md, "How it is fast"). The setting stays inside that pool, so no other
        statement's plan changes. SQLite: :meth:`quick_connect`."""
        if self.is_sqlite:
            with self.quick_connect() as conn:
                yield conn
            return
        engine = self._prepared_engine
        if engine is None:
            with self._prepared_lock:
                if self._prepared_engine is None:
                    self._prepared_engine = make_engine(
                        self.url,
                        settings=self._settings,
                        pool_size=self._prepared_pool_size,
                        max_overflow=self._prepared_pool_size,
                        generic_plans=True,
                    ).execution_options(isolation_level="AUTOCOMMIT")
                engine = self._prepared_engine
        with engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session:
            session.info.update(self.info)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def hot_query(self, statement: Select) -> HotQuery:
        """``statement`` compiled once for this store, to run many times a second (see :class:`HotQuery`)."""
        return HotQuery(self._held, statement)

    def dispose(self) -> None:
        self._held.close()
        self.engine.dispose()
        if self._prepared_engine is not None:
            self._prepared_engine.dispose()


class HeldConnections:
    """One DBAPI connection per thread, kept by the thread, in autocommit: what :class:`HotQuery` runs on.

    A thread that asks once keeps its connection (taken from the engine's pool) for its life: the event loop's
    thread, or a provider bulkhead's few threads. Each statement on it sees the latest committed data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._held: list = []
        self._lock = threading.Lock()

    def get(self) -> object:
        raw = getattr(self._local, "raw", None)
        if raw is None:
            raw = self.engine.raw_connection()
            if self.engine.dialect.name != "sqlite":  # pysqlite runs a lone SELECT outside any transaction
                self.engine.dialect.set_isolation_level(raw.dbapi_connection, "AUTOCOMMIT")
            self._local.raw = raw
            with self._lock:
                self._held.append(raw)
        return raw

    def replace_if_dropped(self, exc: Exception) -> bool:
        """After ``exc`` on this thread's connection: if the server dropped it, forget it and say so."""
        raw = getattr(self._local, "raw", None)
        if raw is None or not self.engine.dialect.is_disconnect(exc, raw.dbapi_connection, None):
            return False
        del self._local.raw
        with self._lock:
            self._held.remove(raw)
        raw.invalidate()
        return True

    def close(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for raw in held:
            try:
                raw.close()
            except Exception:  # closing at shutdown: nothing to do about a connection that is already gone
                pass


class HotQuery:
    """A Core ``SELECT`` compiled once and run on the calling thread's :class:`HeldConnections` connection.

    Per call there is no pool checkout, no transaction and none of SQLAlchemy's execution machinery: on SQLite the
    gateway's check costs ≈ 17 µs this way against ≈ 95 µs through :meth:`Database.quick_connect`. Result values
    go through SQLAlchemy's own result processors, so they come back as through Core (aware datetimes,
    booleans); bound values must be plain (str, int), since no bind processors run. A connection the server
    dropped is replaced once, then errors propagate (as the DBAPI's own exceptions)."""

    def __init__(self, connections: HeldConnections, statement: Select) -> None:
        self._connections = connections
        self._error = connections.engine.dialect.loaded_dbapi.Error
        dialect = connections.engine.dialect
        self._compiled = statement.compile(dialect=dialect)
        self._sql = self._compiled.string
        self._order = self._compiled.positiontup if self._compiled.positional else None
        columns = list(statement.selected_columns)
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self._processors = processors if any(processors) else None
        # rows by position and by column label (labels a join repeats, like ``id``, come back renamed ``_3``)
        self._row = namedtuple("HotRow", [c.key for c in columns], rename=True)._make

    def first(self, **params: object) -> tuple | None:
        """The first row for ``params`` (bound by name), a named tuple of processed values, or None."""
        rows = self.all(**params)
        return rows[0] if rows else None

    def all(self, **params: object) -> list[tuple]:
        """Every row for ``params`` (bound by name), as named tuples of processed values."""
        bound = self._compiled.construct_params(params)
        args = [bound[name] for name in self._order] if self._order is not None else bound
        try:
            rows = self._fetch(args)
        except self._error as exc:
            if not self._connections.replace_if_dropped(exc):
                raise
            rows = self._fetch(args)
        make, processors = self._row, self._processors
        if processors is None:
            return [make(row) for row in rows]
        return [make(p(v) if p is not None else v for p, v in zip(processors, row, strict=True)) for row in rows]

    def _fetch(self, args: object) -> list[tuple]:
        cursor = self._connections.get().cursor()
        try:
            cursor.execute(self._sql, args)
            return cursor.fetchall()  # read to the end: SQLite ends the statement's read transaction here
        finally:
            cursor.close()
