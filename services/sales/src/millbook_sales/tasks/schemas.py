"""Task request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from millbook_platform.api_types import AwareInstant, Name
from millbook_sales.tasks.domain import RelatedType, TaskPriority, TaskStatus

Description = Annotated[str, StringConstraints(max_length=5000)]


class RelatedTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: RelatedType
    id: uuid.UUID


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name
    description: Description | None = None
    due_at: AwareInstant | None = None
    remind_at: AwareInstant | None = Field(
        default=None, description="When `sales.task.reminder_due` is published (once)."
    )
    priority: TaskPriority = TaskPriority.NORMAL
    status: TaskStatus = TaskStatus.OPEN
    assigned_to: uuid.UUID | None = None
    related_to: RelatedTo | None = None


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    description: Description | None = None
    due_at: AwareInstant | None = None
    remind_at: AwareInstant | None = None
    priority: TaskPriority | None = None
    status: TaskStatus | None = None
    assigned_to: uuid.UUID | None = None
    related_to: RelatedTo | None = None


REQUIRED_FIELDS = frozenset({"title", "priority", "status"})


class Task(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    due_at: datetime | None
    remind_at: datetime | None
    reminder_sent_at: datetime | None
    priority: TaskPriority
    status: TaskStatus
    assigned_to: uuid.UUID | None
    related_to: RelatedTo | None
    created_at: datetime
    updated_at: datetime
