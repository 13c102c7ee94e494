"""Offset and cursor pagination with the list envelope DESIGN.md names.

`{"data": [...], "meta": {"limit", "offset", "total"}}`, or with `?cursor=`
`{"data": [...], "meta": {"limit", "next_cursor"}}`. Cursors are keyset
positions on (created_at, id), opaque to clients.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from millbook_platform.errors import ValidationFailed, field_error

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


class PageMeta(BaseModel):
    limit: int
    offset: int | None = None
    total: int | None = None
    next_cursor: str | None = None


class ListResponse(BaseModel, Generic[T]):
    data: list[T]
    meta: PageMeta


class DataResponse(BaseModel, Generic[T]):
    data: T


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, cursor=cursor)


Page = Annotated[PageParams, Depends(page_params)]


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid.", details=[field_error("cursor", "not a cursor we issued")]
        ) from exc


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    params: PageParams,
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
) -> tuple[Sequence[Any], PageMeta]:
    """Run `statement` (already filtered) for one page, newest first."""
    if params.cursor is not None:
        at, last_id = decode_cursor(params.cursor)
        keyset = or_(created_at < at, and_(created_at == at, row_id < last_id))
        page = statement.where(keyset).order_by(created_at.desc(), row_id.desc())
        rows = (await session.scalars(page.limit(params.limit + 1))).all()
        more = len(rows) > params.limit
        rows = rows[: params.limit]
        next_cursor = encode_cursor(*_position(rows[-1], created_at, row_id)) if more else None
        return rows, PageMeta(limit=params.limit, next_cursor=next_cursor)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = statement.order_by(created_at.desc(), row_id.desc())
    rows = (await session.scalars(page.offset(params.offset).limit(params.limit))).all()
    next_cursor = (
        encode_cursor(*_position(rows[-1], created_at, row_id))
        if rows and params.offset + len(rows) < total
        else None
    )
    meta = PageMeta(limit=params.limit, offset=params.offset, total=total, next_cursor=next_cursor)
    return rows, meta


def _position(
    row: Any, created_at: InstrumentedAttribute[datetime], row_id: InstrumentedAttribute[uuid.UUID]
) -> tuple[datetime, uuid.UUID]:
    return getattr(row, created_at.key), getattr(row, row_id.key)
