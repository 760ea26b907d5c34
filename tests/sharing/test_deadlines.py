"""Working-day clocks against the State Council's real holiday schedules (chinese-calendar)."""

from __future__ import annotations

from datetime import date

import pytest

from govshare.sharing import deadlines as dl


def test_national_day_2025_with_two_make_up_days() -> None:
    # 2025: Sun 28 Sep is a make-up working day (调休), 1–8 Oct are holidays, Sat 11 Oct is a make-up working day.
    assert dl.is_working_day(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6
    assert not dl.is_working_day(date(2025, 10, 1)) and not dl.is_working_day(date(2025, 10, 8))
    assert dl.is_working_day(date(2025, 10, 11)) and date(2025, 10, 11).weekday() == 5
    # Filed on Friday 26 Sep: 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15, 16 Oct.
    due = dl.add_working_days(date(2025, 9, 26), 10)
    assert due == dl.Due(date(2025, 10, 16), approximate=False)
    # Counted Monday–Friday it would have been 10 Oct (the holiday data matters).
    assert due.date != date(2025, 10, 10)


def test_spring_festival_2026_make_up_saturdays() -> None:
    # 2026: Sat 14 Feb is a make-up working day; 15–23 Feb Spring Festival; Sat 28 Feb a make-up working day.
    assert dl.is_working_day(date(2026, 2, 14)) and dl.is_working_day(date(2026, 2, 28))
    assert not dl.is_working_day(date(2026, 2, 16)) and not dl.is_working_day(date(2026, 2, 23))
    # Filed Thursday 12 Feb: 13, 14 (Sat, make-up), then 24, 25, 26, 27, 28 (Sat, make-up), 2, 3, 4 Mar.
    assert dl.add_working_days(date(2026, 2, 12), 10).date == date(2026, 3, 4)
    # Five working days (some provinces) from the same day: 13, 14, 24, 25, 26 Feb.
    assert dl.add_working_days(date(2026, 2, 12), 5).date == date(2026, 2, 26)


def test_start_day_does_not_count_and_zero_days() -> None:
    assert dl.add_working_days(date(2026, 3, 2), 1).date == date(2026, 3, 3)  # Mon → Tue
    assert dl.add_working_days(date(2026, 3, 6), 1).date == date(2026, 3, 9)  # Fri → Mon
    assert dl.add_working_days(date(2026, 3, 7), 0).date == date(2026, 3, 7)
    with pytest.raises(ValueError):
        dl.add_working_days(date(2026, 3, 7), -1)


def test_working_days_between_and_clock_state() -> None:
    assert dl.working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10
    assert dl.working_days_between(date(2025, 10, 16), date(2025, 9, 26)) == -10
    assert dl.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0  # all holiday
    state = dl.clock_state(date(2025, 10, 16), date(2025, 9, 30))
    assert not state.overdue and state.days_left == 7  # 9, 10, 11, 13, 14, 15, 16 Oct
    state = dl.clock_state(date(2025, 10, 16), date(2025, 10, 20))
    assert state.overdue and state.days_left == -2  # 17 and 20 Oct are late
    assert not dl.clock_state(date(2025, 10, 16), date(2025, 10, 16)).overdue  # the due day itself is in time


def test_pause_and_resume_keep_the_remaining_working_days() -> None:
    due = dl.add_working_days(date(2025, 9, 26), 10).date  # 16 Oct
    remaining = dl.remaining_when_paused(due, date(2025, 9, 29))  # paused on day 2: 30 Sep, 9–16 Oct left
    assert remaining == 8
    # Answered on 24 Oct (Fri): 8 working days from there: 27–31 Oct, 3, 4, 5 Nov.
    assert dl.resume(remaining, date(2025, 10, 24)).date == date(2025, 11, 5)
    # Paused after the due date: the answerer still gets one day.
    assert dl.remaining_when_paused(due, date(2025, 10, 20)) == 1


def test_years_beyond_the_holiday_data_fall_back_to_weekdays_and_say_so() -> None:
    last_known = max(y for y in range(2004, 2100) if dl.calendar_covers(y))
    beyond = last_known + 1
    assert not dl.calendar_covers(beyond)
    start = date(beyond, 3, 2)  # no holidays to worry about in early March anyway
    due = dl.add_working_days(start, 10)
    assert due.approximate and due.note_zh and due.note_en
    weekdays = [date.fromordinal(start.toordinal() + k) for k in range(1, 30)]
    assert due.date == [d for d in weekdays if d.weekday() < 5][9]  # the 10th Monday–Friday day after start
    # A deadline that crosses from a known year into the unknown one is approximate too, and never crashes.
    crossing = dl.add_working_days(date(last_known, 12, 24), 10)
    assert crossing.approximate and crossing.date.year == beyond
    # Entirely inside a known year: exact.
    assert not dl.add_working_days(date(last_known, 3, 2), 10).approximate
    assert dl.clock_state(due.date, date(beyond + 3, 1, 1)).overdue


def test_today_is_a_beijing_day() -> None:
    from datetime import UTC, datetime

    # 2025-12-31 17:00 UTC is already 1 January in Beijing.
    assert dl.today_cst(datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == date(2026, 1, 1)
    assert dl.today_cst(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == date(2025, 12, 31)
