"""Daily quotas per grant (每日调用次数/记录数上限), exact across processes and cheap on the hot path.

A naive counter (one ``UPDATE … SET calls = calls + 1`` per call) is exact but puts a write transaction on every
data query — on SQLite that is the single writer lock the audit log also needs. Instead each process *leases*
blocks of quota from the store and spends them locally:

* ``sharing_quota_usage.reserved_*`` is the total leased for a grant and day. A lease is taken in a write
  transaction under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write transactions are
  ``BEGIN IMMEDIATE``) and never pushes ``reserved`` past the limit — so all processes together can never
  answer more than the limit, however many there are.
* A lease is a few percent of the limit (at most ``max_block``): with a limit of 10 every call leases one unit
  (exact, and such consumers are slow anyway); with 100 000 a process goes to the store once per 1 000 calls.
* Spent units are reported back (``used_*``) with the next lease and on :meth:`QuotaLedger.flush`; unspent units
  are handed back on flush (shutdown). A process killed with leased units strands them for the rest of that day:
  the consumer may get slightly *less* than its limit, never more.
* Days are China-time calendar days; the quota resets at midnight Beijing time.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govshare.sharing.deadlines import CST
from govshare.sharing.models import QuotaUsage

#: A process that found a grant's quota used up asks the store again only after this many seconds
#: (other processes hand back unspent units only when they stop), so a consumer hammering an exhausted
#: grant does not turn every refused call into a write transaction.
EXHAUSTED_RECHECK_SECONDS = 5.0


_today: tuple[float, float, str] = (0.0, 0.0, "")  # (start, end, key) of the last day asked for


def day_key(now: float) -> str:
    """The China-time date of ``now`` (quota days run midnight to midnight, 北京时间); the day of the previous
    call is kept, as every gateway call asks."""
    global _today
    start, end, key = _today
    if start <= now < end:
        return key
    local = datetime.fromtimestamp(now, CST)
    midnight = datetime(local.year, local.month, local.day, tzinfo=CST)
    _today = (midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), local.date().isoformat())
    return _today[2]


def seconds_to_midnight(now: float) -> int:
    local = datetime.fromtimestamp(now, CST)
    midnight = datetime(local.year, local.month, local.day, tzinfo=CST) + timedelta(days=1)
    return max(int(math.ceil(midnight.timestamp() - now)), 1)


@dataclass(frozen=True, slots=True)
class Limit:
    grant_id: str
    calls: int | None  # None: unlimited
    records: int | None


@dataclass(frozen=True, slots=True)
class QuotaVerdict:
    ok: bool
    grant_id: str | None = None
    kind: str | None = None  # "calls" | "records"
    limit: int | None = None
    retry_after: int | None = None


OK = QuotaVerdict(True)


class _Lease:
    __slots__ = (
        "calls_left",
        "records_left",
        "unreported_calls",
        "unreported_records",
        "unreported_refused",
        "exhausted_at",
        "limit_calls",
        "limit_records",
    )

    def __init__(self, limit: Limit) -> None:
        self.calls_left = 0
        self.records_left = 0
        self.unreported_calls = 0
        self.unreported_records = 0
        self.unreported_refused = 0
        self.exhausted_at = 0.0
        self.limit_calls = limit.calls
        self.limit_records = limit.records


def _upsert_row(session: Session, grant_id: str, day: str) -> None:
    values: dict[str, Any] = {
        "grant_id": grant_id,
        "day": day,
        "reserved_calls": 0,
        "reserved_records": 0,
        "used_calls": 0,
        "used_records": 0,
        "refused_calls": 0,
        "updated_at": datetime.now(UTC),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(QuotaUsage).values(**values).on_conflict_do_nothing(index_elements=["grant_id", "day"]))


class QuotaLedger:
    """One per process (the policy engine owns it). Thread-safe."""

    def __init__(self, db, *, block_fraction: float = 0.05, max_block: int = 1000) -> None:  # noqa: ANN001
        self.db = db
        self.block_fraction = block_fraction
        self.max_block = max_block
        self._leases: dict[tuple[str, str], _Lease] = {}
        self._lock = threading.Lock()

    def _block(self, limit: int) -> int:
        return max(1, min(self.max_block, math.ceil(limit * self.block_fraction)))

    # ---- the hot path -------------------------------------------------------------------------------
    def take(self, limits: tuple[Limit, ...], *, calls: int = 1, records: int = 0, now: float | None = None):
        """Spend ``calls`` and ``records`` on every grant in ``limits``; all or nothing."""
        now = time.time() if now is None else now
        day = day_key(now)
        taken: list[tuple[_Lease, int, int]] = []
        with self._lock:
            for limit in limits:
                if limit.calls is None and limit.records is None:
                    continue
                lease = self._leases.get((limit.grant_id, day))
                if lease is None or lease.limit_calls != limit.calls or lease.limit_records != limit.records:
                    old = lease
                    lease = _Lease(limit)
                    if old is not None:  # the limit changed (agreement amended): keep what was leased
                        lease.calls_left, lease.records_left = old.calls_left, old.records_left
                        lease.unreported_calls, lease.unreported_records = old.unreported_calls, old.unreported_records
                    self._leases[(limit.grant_id, day)] = lease
                need_c = calls if limit.calls is not None else 0
                need_r = records if limit.records is not None else 0
                if lease.calls_left < need_c or lease.records_left < need_r:
                    if now - lease.exhausted_at >= EXHAUSTED_RECHECK_SECONDS:
                        self._lease_more(limit, day, lease, need_c, need_r)
                if lease.calls_left < need_c or lease.records_left < need_r:
                    for back, c, r in taken:  # all or nothing
                        back.calls_left += c
                        back.records_left += r
                        back.unreported_calls -= c
                        back.unreported_records -= r
                    lease.unreported_refused += 1
                    lease.exhausted_at = lease.exhausted_at or now
                    short_calls = lease.calls_left < need_c
                    return QuotaVerdict(
                        False,
                        grant_id=limit.grant_id,
                        kind="calls" if short_calls else "records",
                        limit=limit.calls if short_calls else limit.records,
                        retry_after=seconds_to_midnight(now),
                    )
                lease.calls_left -= need_c
                lease.records_left -= need_r
                lease.unreported_calls += need_c
                lease.unreported_records += need_r
                taken.append((lease, need_c, need_r))
        return OK

    def _lease_more(self, limit: Limit, day: str, lease: _Lease, need_c: int, need_r: int) -> None:
        """Lease a block from the store (under the row lock) and report what was spent since last time."""
        with self.db.write() as session:
            _upsert_row(session, limit.grant_id, day)
            row = session.execute(
                select(QuotaUsage).where(QuotaUsage.grant_id == limit.grant_id, QuotaUsage.day == day).with_for_update()
            ).scalar_one()
            got_c = got_r = 0
            if limit.calls is not None and lease.calls_left < need_c:
                want = max(need_c - lease.calls_left, self._block(limit.calls))
                got_c = max(0, min(want, limit.calls - row.reserved_calls))
            if limit.records is not None and lease.records_left < need_r:
                want = max(need_r - lease.records_left, self._block(limit.records))
                got_r = max(0, min(want, limit.records - row.reserved_records))
            row.reserved_calls += got_c
            row.reserved_records += got_r
            row.used_calls += lease.unreported_calls
            row.used_records += lease.unreported_records
            row.refused_calls += lease.unreported_refused
            row.updated_at = datetime.now(UTC)
        lease.calls_left += got_c
        lease.records_left += got_r
        lease.unreported_calls = lease.unreported_records = lease.unreported_refused = 0
        lease.exhausted_at = 0.0

    # ---- housekeeping -------------------------------------------------------------------------------
    def flush(self, *, release: bool = True) -> None:
        """Report spent units; with ``release`` also hand unspent leases back (call on shutdown)."""
        with self._lock:
            leases = list(self._leases.items())
            if release:
                self._leases.clear()
            if not leases:
                return
            with self.db.write() as session:
                for (grant_id, day), lease in leases:
                    back_c = lease.calls_left if release else 0
                    back_r = lease.records_left if release else 0
                    if not (lease.unreported_calls or lease.unreported_records or lease.unreported_refused):
                        if not (back_c or back_r):
                            continue
                    session.execute(
                        update(QuotaUsage)
                        .where(QuotaUsage.grant_id == grant_id, QuotaUsage.day == day)
                        .values(
                            reserved_calls=QuotaUsage.reserved_calls - back_c,
                            reserved_records=QuotaUsage.reserved_records - back_r,
                            used_calls=QuotaUsage.used_calls + lease.unreported_calls,
                            used_records=QuotaUsage.used_records + lease.unreported_records,
                            refused_calls=QuotaUsage.refused_calls + lease.unreported_refused,
                            updated_at=datetime.now(UTC),
                        )
                    )
                    lease.unreported_calls = lease.unreported_records = lease.unreported_refused = 0

    def forget_exhaustion(self) -> None:
        """Limits may have changed (the policy epoch moved): ask the store again on the next refusal."""
        with self._lock:
            for lease in self._leases.values():
                lease.exhausted_at = 0.0


def usage(session: Session, grant_id: str, day: str) -> dict[str, int]:
    row = session.get(QuotaUsage, (grant_id, day))
    if row is None:
        return {"reserved_calls": 0, "reserved_records": 0, "used_calls": 0, "used_records": 0, "refused_calls": 0}
    return {
        "reserved_calls": row.reserved_calls,
        "reserved_records": row.reserved_records,
        "used_calls": row.used_calls,
        "used_records": row.used_records,
        "refused_calls": row.refused_calls,
    }
