"""Task vocabulary and the reminder rule (pure)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class TaskPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class RelatedType(StrEnum):
    CUSTOMER = "customer"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    QUOTATION = "quotation"
    ORDER = "order"


# A finished task reminds no one.
REMINDING_STATUSES = (TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value)


def reminder_is_due(
    remind_at: datetime | None, sent_at: datetime | None, status: str, now: datetime
) -> bool:
    return (
        remind_at is not None
        and sent_at is None
        and status in REMINDING_STATUSES
        and remind_at <= now
    )
