"""HTTP endpoints for tasks: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from millbook_platform.api_types import Instant, InstantUntil
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
    require_ordered,
)
from millbook_sales.deps import SalesSettings
from millbook_sales.models import Task as TaskRow
from millbook_sales.tasks import service
from millbook_sales.tasks.domain import RelatedType, TaskPriority, TaskStatus
from millbook_sales.tasks.repository import TaskFilters
from millbook_sales.tasks.schemas import RelatedTo, Task, TaskCreate, TaskUpdate

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


def task_view(task: TaskRow) -> Task:
    related = (
        RelatedTo(type=RelatedType(task.related_type), id=task.related_id)
        if task.related_type and task.related_id
        else None
    )
    view = Task.model_validate({**_columns(task), "related_to": related})
    return view


def _columns(task: TaskRow) -> dict[str, object]:
    return {name: getattr(task, name) for name in Task.model_fields if name != "related_to"}


@router.post("", status_code=201, response_model=DataResponse[Task])
async def create_task(
    body: TaskCreate,
    principal: Annotated[Principal, needs("tasks:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Task]:
    """Create a task, optionally about a customer, lead, opportunity, quotation or order."""
    task = await service.create_task(session, principal.tenant_id, body, source=settings.source)
    return DataResponse(data=task_view(task))


@router.get("", response_model=None, responses={200: {"model": ListResponse[Task]}})
async def list_tasks(
    principal: Annotated[Principal, needs("tasks:read")],
    session: TenantSession,
    page: Page,
    status: TaskStatus | None = None,
    priority: TaskPriority | None = None,
    assigned_to: uuid.UUID | None = None,
    due_at__gte: Instant | None = None,
    due_at__lte: InstantUntil | None = None,
    related_type: RelatedType | None = None,
    related_id: uuid.UUID | None = None,
) -> JSONResponse:
    """List tasks by status, priority, assignee, due range or what they are about."""
    require_ordered(due_at__gte, due_at__lte, "due_at__gte", "due_at__lte")
    fields = parse_fields(page.fields, Task)
    filters = TaskFilters(
        status=status.value if status else None,
        priority=priority.value if priority else None,
        assigned_to=assigned_to,
        due_from=due_at__gte,
        due_to=due_at__lte,
        related_type=related_type.value if related_type else None,
        related_id=related_id,
    )
    rows, meta = await service.list_tasks(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([task_view(r) for r in rows], meta, fields))


@router.get("/{task_id}", response_model=DataResponse[Task])
async def get_task(
    task_id: uuid.UUID, principal: Annotated[Principal, needs("tasks:read")], session: TenantSession
) -> DataResponse[Task]:
    """One task."""
    return DataResponse(
        data=task_view(await service.get_task(session, principal.tenant_id, task_id))
    )


@router.patch("/{task_id}", response_model=DataResponse[Task])
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    principal: Annotated[Principal, needs("tasks:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Task]:
    """Change only the fields sent; a new `remind_at` arms a new reminder."""
    task = await service.update_task(
        session, principal.tenant_id, task_id, body, source=settings.source
    )
    return DataResponse(data=task_view(task))


@router.delete("/{task_id}", status_code=204, response_class=Response)
async def delete_task(
    task_id: uuid.UUID,
    principal: Annotated[Principal, needs("tasks:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> Response:
    """Delete a task; `sales.task.deleted` carries it as it was."""
    await service.delete_task(session, principal.tenant_id, task_id, source=settings.source)
    return Response(status_code=204)
