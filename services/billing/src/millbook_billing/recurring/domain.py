"""Recurring schedule rules (pure): the dates of its periods and when it ends."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Interval(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


_MONTHS = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3, Interval.YEARLY: 12}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if shorter (Jan 31 -> Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_date(start: date, interval: str, count: int, n: int) -> date:
    """The date of the n-th period (0-based), always counted from `start` so month-end
    anchors do not drift (Jan 31, Feb 28, Mar 31, ...)."""
    kind = Interval(interval)
    if kind is Interval.WEEKLY:
        return start + timedelta(weeks=count * n)
    return add_months(start, _MONTHS[kind] * count * n)


@dataclass(frozen=True)
class Advance:
    next_date: date
    status: ScheduleStatus


def after_period(
    *, start: date, interval: str, count: int, generated: int, end_date: date | None
) -> Advance:
    """Where a schedule stands once `generated` periods exist: its next date, or ended."""
    upcoming = period_date(start, interval, count, generated)
    if end_date is not None and upcoming > end_date:
        return Advance(upcoming, ScheduleStatus.ENDED)
    return Advance(upcoming, ScheduleStatus.ACTIVE)


def can_set_status(current: str, wanted: str) -> bool:
    """Active and paused switch freely; an ended schedule stays ended."""
    return current != ScheduleStatus.ENDED and wanted in (
        ScheduleStatus.ACTIVE,
        ScheduleStatus.PAUSED,
    )
