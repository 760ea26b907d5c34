"""The store: engine, sessions and the declarative base.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) the production store. Write transactions on
SQLite begin with ``BEGIN IMMEDIATE`` so that a transaction which reads and then writes cannot fail half way
with SQLITE_BUSY when another connection wrote in between: the write lock is taken up front and waiters queue
on ``busy_timeout``. Read transactions stay deferred and run concurrently with the writer (WAL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
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


def make_engine(url: str, *, settings: Settings | None = None, pool_size: int | None = None) -> Engine:
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

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_conn, _record):  # noqa: ANN001
            # Let SQLAlchemy, not the driver, decide when transactions begin (so BEGIN IMMEDIATE works).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(conn):  # noqa: ANN001
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            if mode is not None:  # None: statements run on their own (Database.quick_connect)
                conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=20,
        pool_pre_ping=True,
    )


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
    def write(self) -> Iterator[Session]:
        with self._write() as session:
            session.info.update(self.info)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
