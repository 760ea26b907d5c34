"""Working-day clocks (工作日计时): pure functions, no store, no clock of their own.

The rules count deadlines in working days (《政务数据共享条例》: a provider answers a conditional request within
10 working days). A working day is what the State Council's yearly holiday notice says it is: weekdays, minus
statutory holidays, plus the make-up working days (调休) that fall on weekends. ``chinese-calendar`` carries those
notices; for a year it does not yet know (the notice for next year usually appears in November) we fall back to
"Monday–Friday" and say so: every answer carries ``approximate`` so the UI can show "due date provisional".

Counting convention (the usual reading of "自收到申请之日起N个工作日内"): the day the clock starts does not count;
day 1 is the next working day, the deadline is the end of the N-th working day, and a request is overdue from
the day after its due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

import chinese_calendar

#: China Standard Time. China has no daylight saving, so a fixed offset is exact (and needs no tzdata).
CST = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Longest span we are willing to count, so a wrong input cannot loop for ever.
MAX_WORKING_DAYS = 366


@dataclass(frozen=True, slots=True)
class Due:
    """A deadline: the due date and whether any day counted lay outside the holiday data."""

    date: date
    approximate: bool

    @property
    def note_zh(self) -> str:
        return "截止日期为暂定: 节假日安排尚未公布, 按周一至周五计算" if self.approximate else ""

    @property
    def note_en(self) -> str:
        if not self.approximate:
            return ""
        return "provisional: the holiday schedule is not yet published; counted Monday to Friday"


def today_cst(now: datetime | None = None) -> date:
    """The calendar date in China (deadlines are counted in Beijing days, not UTC days)."""
    return (now or datetime.now(UTC)).astimezone(CST).date()


@lru_cache(maxsize=64)
def calendar_covers(year: int) -> bool:
    """Whether chinese-calendar holds the official holiday schedule of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def working_day(d: date) -> tuple[bool, bool]:
    """``(is_working_day, known)``: ``known`` is False when the year is beyond the holiday data (weekdays used)."""
    if calendar_covers(d.year):
        return chinese_calendar.is_workday(d), True
    return d.weekday() < 5, False


def is_working_day(d: date) -> bool:
    return working_day(d)[0]


def add_working_days(start: date, n: int) -> Due:
    """The N-th working day after ``start`` (``start`` itself does not count). ``n == 0`` gives ``start``."""
    if n < 0 or n > MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}")
    d, counted, approximate = start, 0, False
    while counted < n:
        d += timedelta(days=1)
        is_work, known = working_day(d)
        approximate = approximate or not known
        counted += is_work
    return Due(d, approximate)


def working_days_between(start: date, end: date) -> int:
    """Working days in ``(start, end]``: how many of the clock's days were used from ``start`` to ``end``.

    Negative when ``end`` is before ``start`` (days left before a deadline in the future)."""
    if end == start:
        return 0
    lo, hi, sign = (start, end, 1) if end > start else (end, start, -1)
    if (hi - lo).days > 3 * MAX_WORKING_DAYS:
        raise ValueError("span too long")
    count, d = 0, lo
    while d < hi:
        d += timedelta(days=1)
        count += working_day(d)[0]
    return sign * count


@dataclass(frozen=True, slots=True)
class ClockState:
    """Where a working-day clock stands on a given day."""

    due: Due
    overdue: bool
    #: Working days left until (and including) the due date; negative when overdue.
    days_left: int


def clock_state(due_date: date, today: date, *, approximate: bool = False) -> ClockState:
    overdue = today > due_date
    left = -working_days_between(due_date, today) if overdue else working_days_between(today, due_date)
    return ClockState(Due(due_date, approximate), overdue, left)


def remaining_when_paused(due_date: date, paused_on: date) -> int:
    """Working days still on the clock when it is paused on ``paused_on`` (at least 1: the answerer keeps a day)."""
    return max(working_days_between(paused_on, due_date), 1)


def resume(remaining: int, resumed_on: date) -> Due:
    """New due date when a paused clock restarts on ``resumed_on`` with ``remaining`` working days."""
    return add_working_days(resumed_on, remaining)
