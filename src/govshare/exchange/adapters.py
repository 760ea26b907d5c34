"""Provider adapters (同源): fetch rows from where the data lives, never from a stale central copy.

Kinds: ``sql`` — the provider's own database, read-only, through a mapped table or view with bound
parameters only; ``http`` — the provider's HTTP API, one GET per key from a URL template, fields picked
with JMESPath; ``hub`` — the platform's own library tables (bound by the library module).

Every provider gets its own bulkhead (a small thread pool), a deadline, bounded retries for connection
failures (reads are idempotent) and a circuit breaker (pybreaker): a provider that is down answers
503/504 within its timeout and cannot tie up the threads other providers' calls need. (The breaker is
``circuitbreaker``; ``pybreaker`` was tried first but holds a lock for the whole call, serializing every call
to a provider.)
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import jmespath
import structlog
from circuitbreaker import STATE_OPEN, CircuitBreaker, CircuitBreakerError
from sqlalchemy import bindparam, column, create_engine, event, select, table
from sqlalchemy.engine import Engine

from govshare.db import HeldConnections, HotQuery
from govshare.errors import Problem

log = structlog.get_logger("govshare.exchange.adapters")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(slots=True)
class FetchedRow:
    values: dict[str, Any]
    updated_at: str | None = None  # provider's last update of this row (数据更新时间), ISO 8601
    verified_at: str | None = None  # last time the provider confirmed it (核验时间)
    source: str = ""  # where it came from, e.g. "sql:v_person" or "http:rkk.example"


class Adapter(Protocol):
    kind: str

    def fetch(self, key_item: str, keys: Sequence[str], items: Sequence[str]) -> dict[str, FetchedRow]:
        """Rows by key value; a key with no row is absent from the answer."""
        ...


class ProviderError(Exception):
    """A failure of the provider's side (not the caller's): retried if transient, counted by the breaker."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def provider_unavailable(provider: str, why: str) -> Problem:
    return Problem(
        503,
        "provider_unavailable",
        f"数据提供方暂不可用: {provider}",
        f"provider unavailable: {provider}",
        extra={"provider": provider, "reason": why},
        headers={"Retry-After": "5"},
    )


def provider_timeout(provider: str, seconds: float) -> Problem:
    return Problem(
        504,
        "provider_timeout",
        f"数据提供方在 {seconds:g} 秒内未应答: {provider}",
        f"provider did not answer within {seconds:g} s: {provider}",
        extra={"provider": provider},
    )


# ---- guard: bulkhead + deadline + retries + breaker, one per provider ---------------------------------
class Bulkhead:
    """At most ``size`` threads of one provider; calls queue for a free one, so a provider that hangs holds its
    own threads and no one else's. Leaner than a ``ThreadPoolExecutor`` with ``asyncio.wrap_future`` (measured:
    the submit alone was 5 % of a gateway call): an awaited call is one queue put and one wake-up of its loop."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        self._put((fn, None, future))
        return future

    def run_async(self, fn: Callable[[], Any]) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._put((fn, loop, future))
        return future

    def _put(self, item: tuple) -> None:
        if len(self._threads) < self.size:  # all started on first use: idle ones only wait on the queue
            with self._lock:
                while len(self._threads) < self.size:
                    t = threading.Thread(target=self._work, name=f"provider-{self.name}", daemon=True)
                    t.start()
                    self._threads.append(t)
        self._queue.put(item)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, loop, future = item
            if loop is None and not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the caller
                result, error = None, exc
            if loop is None:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
                continue
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the caller's loop has closed: no one is waiting
                pass

    def close(self) -> None:
        """Let the threads go once they have run what is already queued."""
        with self._lock:
            for _ in self._threads:
                self._queue.put(None)
            self._threads = []


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller stopped waiting (deadline)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@dataclass
class ProviderGuard:
    name: str
    timeout_s: float = 3.0
    retries: int = 2
    backoff_s: float = 0.05
    max_concurrent: int = 8
    fail_max: int = 5
    reset_timeout_s: float = 30.0
    breaker: CircuitBreaker = field(init=False)
    bulkhead: Bulkhead = field(init=False)

    def __post_init__(self) -> None:
        self.breaker = CircuitBreaker(
            failure_threshold=self.fail_max,
            recovery_timeout=self.reset_timeout_s,
            expected_exception=ProviderError,
            name=f"provider-{self.name}",
        )
        self.bulkhead = Bulkhead(self.name, self.max_concurrent)

    def _with_retries(self, fn: Callable[[], Any], deadline: float) -> Any:
        attempt = 0
        while True:
            try:
                return fn()
            except ProviderError as exc:
                attempt += 1
                if not exc.transient or attempt > self.retries or time.monotonic() + self.backoff_s >= deadline:
                    raise
                time.sleep(self.backoff_s * attempt)

    def call(self, fn: Callable[[], Any]) -> Any:
        future = self.bulkhead.run(self._guarded(fn))
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise self._timed_out() from None
        except (CircuitBreakerError, ProviderError) as exc:
            raise self._failed(exc) from None

    async def call_async(self, fn: Callable[[], Any]) -> Any:
        """As :meth:`call`, awaited: the event loop goes on serving other calls while this provider works."""
        future = self.bulkhead.run_async(self._guarded(fn))
        try:
            async with asyncio.timeout(self.timeout_s):
                return await future
        except TimeoutError:
            raise self._timed_out() from None
        except (CircuitBreakerError, ProviderError) as exc:
            raise self._failed(exc) from None

    def _guarded(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        if self.breaker.state == STATE_OPEN:
            raise provider_unavailable(self.name, "circuit_open")
        deadline = time.monotonic() + self.timeout_s
        return partial(self.breaker.call, self._with_retries, fn, deadline)

    def _timed_out(self) -> Problem:
        self._count_failure()
        return provider_timeout(self.name, self.timeout_s)

    def _failed(self, exc: Exception) -> Problem:
        if isinstance(exc, CircuitBreakerError):
            return provider_unavailable(self.name, "circuit_open")
        log.warning("provider_failed", provider=self.name, error=str(exc))
        return provider_unavailable(self.name, str(exc)[:200])

    def _count_failure(self) -> None:
        # A call abandoned at the deadline counts against the breaker like an error would.
        try:
            self.breaker.call(_raise_timeout)
        except (ProviderError, CircuitBreakerError):
            pass

    def close(self) -> None:
        self.bulkhead.close()


def _raise_timeout() -> None:
    raise ProviderError("deadline exceeded")


class GuardRegistry:
    """One guard per provider name for the whole process."""

    def __init__(self) -> None:
        self._guards: dict[str, ProviderGuard] = {}
        self._lock = threading.Lock()

    def get(self, name: str, **settings: Any) -> ProviderGuard:
        guard = self._guards.get(name)
        if guard is None:
            with self._lock:
                guard = self._guards.get(name)
                if guard is None:
                    guard = self._guards[name] = ProviderGuard(name, **settings)
        return guard

    def close(self) -> None:
        for guard in self._guards.values():
            guard.close()
        self._guards.clear()


# ---- SQL: the provider's own database --------------------------------------------------------------
def _ident(name: str, what: str) -> str:
    if not _IDENT.match(name or ""):
        raise ValueError(f"invalid {what} name: {name!r}")
    return name


def read_only_engine(url: str, timeout_s: float) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, PostgreSQL in read-only transactions with a
    statement timeout. Queries still go through bound parameters only."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        engine = create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"check_same_thread": False, "timeout": timeout_s}
        )
    elif url.startswith("postgresql"):
        ms = int(timeout_s * 1000)
        engine = create_engine(
            url,
            pool_size=4,
            max_overflow=4,
            pool_pre_ping=True,
            connect_args={
                "options": f"-c default_transaction_read_only=on -c statement_timeout={ms}",
                "connect_timeout": max(1, int(timeout_s)),
            },
        )
    else:
        engine = create_engine(url, pool_pre_ping=True)

        @event.listens_for(engine, "connect")
        def _ro(dbapi_conn, _record):  # noqa: ANN001
            # per session, so that autocommit statements (HotQuery) are read-only too; MySQL/MariaDB syntax
            cur = dbapi_conn.cursor()
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.close()

    return engine


class SqlAdapter:
    kind = "sql"

    def __init__(
        self,
        *,
        url: str,
        table_name: str,
        columns: dict[str, str],
        schema: str | None = None,
        updated_at_column: str | None = None,
        verified_at_column: str | None = None,
        timeout_s: float = 3.0,
    ) -> None:
        self.columns = {item: _ident(col, "column") for item, col in columns.items()}
        self.updated_at_column = _ident(updated_at_column, "column") if updated_at_column else None
        self.verified_at_column = _ident(verified_at_column, "column") if verified_at_column else None
        extra = [c for c in (self.updated_at_column, self.verified_at_column) if c]
        cols = sorted(set(self.columns.values()) | set(extra))
        self.table = table(
            _ident(table_name, "table"), *[column(c) for c in cols], schema=_ident(schema, "schema") if schema else None
        )
        self.engine = read_only_engine(url, timeout_s)
        self.source = f"sql:{table_name}"
        self._statements: dict[tuple[str, tuple[str, ...], int], HotQuery] = {}
        self._held = HeldConnections(self.engine)  # one per bulkhead thread (≤ max_concurrent, the pool's size)

    def _statement(self, key_item: str, wanted: tuple[str, ...], n_keys: int) -> HotQuery:
        """SELECT of ``wanted`` (then the updated-at and verified-at columns) for ``n_keys`` key values (bound
        ``k0``, ``k1`` …), compiled once per shape: building a statement costs more than running it, and
        :class:`HotQuery` runs it on a connection each bulkhead thread keeps."""
        shape = (key_item, wanted, n_keys)
        query = self._statements.get(shape)
        if query is None:
            key_col = self.table.c[self.columns[key_item]]
            cols = [self.table.c[self.columns[i]].label(i) for i in wanted]
            cols += [self.table.c[c] for c in (self.updated_at_column, self.verified_at_column) if c]
            where = (
                key_col == bindparam("k0") if n_keys == 1 else key_col.in_([bindparam(f"k{n}") for n in range(n_keys)])
            )
            if len(self._statements) > 1000:  # shapes are few (item sets × batch sizes); bound it anyway
                self._statements.clear()
            query = self._statements.setdefault(shape, HotQuery(self._held, select(*cols).where(where)))
        return query

    def fetch(self, key_item: str, keys: Sequence[str], items: Sequence[str]) -> dict[str, FetchedRow]:
        wanted = [i for i in dict.fromkeys([key_item, *items]) if i in self.columns]
        query = self._statement(key_item, tuple(wanted), len(keys))
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            rows = query.all(**{f"k{n}": k for n, k in enumerate(keys)})
        except dbapi.OperationalError as exc:
            raise ProviderError(f"database error: {exc!s}"[:300]) from exc
        except dbapi.Error as exc:
            raise ProviderError(f"database error: {exc!s}"[:300], transient=False) from exc
        n = len(wanted)
        updated = n if self.updated_at_column else None
        verified = n + (1 if self.updated_at_column else 0) if self.verified_at_column else None
        out: dict[str, FetchedRow] = {}
        for row in rows:
            values = {item: _jsonable(row[i]) for i, item in enumerate(wanted)}
            out[str(values[key_item])] = FetchedRow(
                values,
                _iso(row[updated]) if updated is not None else None,
                _iso(row[verified]) if verified is not None else None,
                self.source,
            )
        return out

    def close(self) -> None:
        self._held.close()
        self.engine.dispose()


# ---- HTTP: the provider's API ------------------------------------------------------------------------
class HttpAdapter:
    kind = "http"

    def __init__(
        self,
        *,
        url_template: str,
        fields: dict[str, str],
        auth_header: str | None = None,
        auth_value: str | None = None,
        updated_at_path: str | None = None,
        verified_at_path: str | None = None,
        timeout_s: float = 3.0,
        client: httpx.Client | None = None,
    ) -> None:
        if "{key}" not in url_template:
            raise ValueError("url_template needs a {key} placeholder")
        self.url_template = url_template
        self.fields = {item: jmespath.compile(path) for item, path in fields.items()}
        self.updated_at = jmespath.compile(updated_at_path) if updated_at_path else None
        self.verified_at = jmespath.compile(verified_at_path) if verified_at_path else None
        headers = {auth_header: auth_value} if auth_header and auth_value else {}
        self.client = client or httpx.Client(timeout=timeout_s, headers=headers)
        self.source = "http:" + httpx.URL(url_template.replace("{key}", "k")).host

    def _get(self, key: str) -> dict[str, Any] | None:
        url = self.url_template.replace("{key}", quote(key, safe=""))
        try:
            resp = self.client.get(url)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"timeout: {exc}", transient=False) from exc
        except httpx.TransportError as exc:
            raise ProviderError(f"connection failed: {exc}") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code >= 500:
            raise ProviderError(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise ProviderError(f"HTTP {resp.status_code}", transient=False)
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderError("answer is not JSON", transient=False) from exc

    def fetch(self, key_item: str, keys: Sequence[str], items: Sequence[str]) -> dict[str, FetchedRow]:
        out: dict[str, FetchedRow] = {}
        for key in keys:
            doc = self._get(key)
            if doc is None:
                continue
            values = {
                i: _jsonable(self.fields[i].search(doc)) for i in dict.fromkeys([key_item, *items]) if i in self.fields
            }
            values.setdefault(key_item, key)
            out[key] = FetchedRow(
                values,
                _iso(self.updated_at.search(doc)) if self.updated_at else None,
                _iso(self.verified_at.search(doc)) if self.verified_at else None,
                self.source,
            )
        return out

    def close(self) -> None:
        self.client.close()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
