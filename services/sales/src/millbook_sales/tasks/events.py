"""The contract events a task change becomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from millbook_contracts.sales import TaskCompleted, TaskCreated, TaskDeleted, TaskUpdated
from millbook_sales.models import Task


def _facts(task: Task, at: datetime) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "title": task.title,
        "description": task.description,
        "due_at": task.due_at,
        "remind_at": task.remind_at,
        "priority": task.priority,
        "status": task.status,
        "assigned_to": task.assigned_to,
        "related_type": task.related_type,
        "related_id": task.related_id,
        "occurred_at": at,
    }


def task_created(task: Task) -> TaskCreated:
    return TaskCreated(**_facts(task, task.created_at))


def task_updated(task: Task, changed: list[str]) -> TaskUpdated:
    return TaskUpdated(**_facts(task, task.updated_at), changed=changed)


def task_completed(task: Task) -> TaskCompleted:
    return TaskCompleted(**_facts(task, task.updated_at))


def task_deleted(task: Task, at: datetime) -> TaskDeleted:
    return TaskDeleted(**_facts(task, at))
