"""Batches of creations (customers, contacts): one result per item, or all-or-nothing.

Each item runs the single-create use case inside a SAVEPOINT, so a failing item leaves
no trace while the others stand. With `atomic` any failure fails the whole request and
the request's transaction (with every item's row and outbox event) rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.errors import AppError, ValidationFailed, validation_details

MAX_ITEMS = 100

Body = TypeVar("Body", bound=BaseModel)
Row = TypeVar("Row")
View = TypeVar("View", bound=BaseModel)


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="Up to 100 bodies, each as the single create endpoint takes it.",
    )


class ItemError(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]]


class BatchItem(BaseModel, Generic[View]):
    index: int
    status: int = Field(description="201 when created, else the status the item alone would get.")
    data: View | None = None
    error: ItemError | None = None


class BatchMeta(BaseModel):
    total: int
    succeeded: int
    failed: int
    atomic: bool


class BatchResponse(BaseModel, Generic[View]):
    data: list[BatchItem[View]]
    meta: BatchMeta


@dataclass(frozen=True)
class Outcome(Generic[Row]):
    index: int
    status: int
    row: Row | None = None
    error: ItemError | None = None


async def create_each(
    session: AsyncSession,
    items: Sequence[dict[str, Any]],
    body_type: type[Body],
    create: Callable[[Body], Awaitable[Row]],
) -> list[Outcome[Row]]:
    """Validate and create every item, each in its own savepoint."""
    return [
        await _create_one(session, index, item, body_type, create)
        for index, item in enumerate(items)
    ]


async def _create_one(
    session: AsyncSession,
    index: int,
    item: dict[str, Any],
    body_type: type[Body],
    create: Callable[[Body], Awaitable[Row]],
) -> Outcome[Row]:
    try:
        body = body_type.model_validate(item)
    except PydanticValidationError as exc:
        error = ItemError(
            code="VALIDATION_ERROR",
            message="The item is not valid.",
            details=validation_details(exc.errors()),
        )
        return Outcome(index, 422, error=error)
    try:
        async with session.begin_nested():
            row = await create(body)
    except AppError as exc:
        error = ItemError(code=exc.code, message=exc.message, details=exc.details)
        return Outcome(index, exc.status_code, error=error)
    return Outcome(index, 201, row=row)


def respond(
    outcomes: Sequence[Outcome[Row]], view: Callable[[Row], View], *, atomic: bool
) -> BatchResponse[View]:
    """The per-item results; with `atomic`, a failure anywhere raises a 422 naming each one."""
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    if atomic and failed:
        raise ValidationFailed(
            f"{len(failed)} of {len(outcomes)} items failed; nothing was written.",
            details=[detail for outcome in failed for detail in _item_details(outcome)],
        )
    items = [
        BatchItem[View](
            index=outcome.index,
            status=outcome.status,
            data=view(outcome.row) if outcome.row is not None else None,
            error=outcome.error,
        )
        for outcome in outcomes
    ]
    meta = BatchMeta(
        total=len(outcomes),
        succeeded=len(outcomes) - len(failed),
        failed=len(failed),
        atomic=atomic,
    )
    return BatchResponse[View](data=items, meta=meta)


def _item_details(outcome: Outcome[Any]) -> list[dict[str, Any]]:
    assert outcome.error is not None
    prefix = f"items[{outcome.index}]"
    details = outcome.error.details or [{"field": "", "message": outcome.error.message}]
    return [
        {
            "field": f"{prefix}.{detail['field']}" if detail.get("field") else prefix,
            "message": detail.get("message", outcome.error.message),
            "index": outcome.index,
            "status": outcome.status,
        }
        for detail in details
    ]
