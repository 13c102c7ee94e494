"""Recurring schedule dates, without a database."""

from datetime import date

import pytest

from millbook_billing.recurring.domain import (
    ScheduleStatus,
    add_months,
    after_period,
    can_set_status,
    period_date,
)


def test_month_end_anchors_do_not_drift():
    start = date(2026, 1, 31)
    dates = [period_date(start, "monthly", 1, n) for n in range(4)]
    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_leap_years_and_year_rollover():
    assert add_months(date(2027, 11, 29), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert period_date(date(2024, 2, 29), "yearly", 1, 1) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("interval", "count", "expected"),
    [
        ("weekly", 1, date(2026, 3, 8)),
        ("weekly", 2, date(2026, 3, 15)),
        ("monthly", 2, date(2026, 5, 1)),
        ("quarterly", 1, date(2026, 6, 1)),
        ("yearly", 1, date(2027, 3, 1)),
    ],
)
def test_each_interval_and_count(interval, count, expected):
    assert period_date(date(2026, 3, 1), interval, count, 1) == expected


def test_a_schedule_ends_when_its_next_period_is_past_the_end_date():
    start = date(2026, 1, 1)
    going = after_period(
        start=start, interval="monthly", count=1, generated=2, end_date=date(2026, 3, 1)
    )
    assert (going.next_date, going.status) == (date(2026, 3, 1), ScheduleStatus.ACTIVE)
    done = after_period(
        start=start, interval="monthly", count=1, generated=3, end_date=date(2026, 3, 1)
    )
    assert done.status is ScheduleStatus.ENDED
    endless = after_period(start=start, interval="weekly", count=1, generated=100, end_date=None)
    assert endless.status is ScheduleStatus.ACTIVE


def test_an_ended_schedule_cannot_be_resumed():
    assert can_set_status("active", "paused")
    assert can_set_status("paused", "active")
    assert not can_set_status("ended", "active")
