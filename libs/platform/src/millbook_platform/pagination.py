"""Offset and cursor pagination with the list envelope DESIGN.md names.

`{"data": [...], "meta": {"limit", "offset", "total"}}`, or with `?cursor=`
`{"data": [...], "meta": {"limit", "next_cursor"}}`. Lists take `sort=name,-created_at`
over the fields a resource allows and `fields=` for sparse fields. Cursors are keyset
positions in the requested order, opaque to clients.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Required, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from typing_extensions import TypedDict

from millbook_platform.errors import ValidationFailed, field_error

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Offsets fit PostgreSQL's bigint with room; a position deeper than a billion rows is a
# cursor's job. `page` is bounded so that (page - 1) * page_size stays within it.
MAX_OFFSET = 1_000_000_000
MAX_PAGE = MAX_OFFSET // MAX_LIMIT + 1

T = TypeVar("T")


class MetaShape(TypedDict, total=False):
    """What `PageMeta` looks like on the wire (and in the OpenAPI document)."""

    limit: Required[int]
    offset: int
    total: int
    next_cursor: Required[str | None]


class PageMeta(BaseModel):
    """`{"limit", "offset", "total", "next_cursor"}` for an offset page, `{"limit",
    "next_cursor"}` for a cursor page; `next_cursor` is always there, null on the last page,
    whether the list is rendered by a response model or by `list_response`."""

    limit: int
    offset: int | None = None
    total: int | None = None
    next_cursor: str | None = None

    @model_serializer(mode="wrap")
    def _one_shape(self, handler: SerializerFunctionWrapHandler) -> MetaShape:
        shown: MetaShape = handler(self)
        if self.offset is None:
            shown.pop("offset", None)
        if self.total is None:
            shown.pop("total", None)
        shown["next_cursor"] = self.next_cursor
        return shown


class ListResponse(BaseModel, Generic[T]):
    data: list[T]
    meta: PageMeta


class DataResponse(BaseModel, Generic[T]):
    data: T


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


NEWEST_FIRST = (SortKey("created_at", descending=True),)


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None
    sort: str | None = None
    fields: str | None = None
    sort_param: str = "sort"  # the name the client used (`ordering` is its alias)


def page_params(
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="at most 100")] = None,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    sort: Annotated[
        str | None, Query(max_length=200, description="e.g. `name,-created_at`")
    ] = None,
    fields: Annotated[
        str | None, Query(max_length=500, description="sparse fields, e.g. `id,email`")
    ] = None,
    page: Annotated[
        int | None, Query(ge=1, le=MAX_PAGE, description="alias: 1-based page of `page_size`")
    ] = None,
    page_size: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="alias of `limit`")
    ] = None,
    ordering: Annotated[str | None, Query(max_length=200, description="alias of `sort`")] = None,
) -> PageParams:
    """The page asked for; the seeds' Django-style `page`, `page_size` and `ordering` are
    aliases of `offset`, `limit` and `sort` (each pair is one or the other, never both)."""
    size = _one_of(limit, page_size, "limit", "page_size")
    sort_by = _one_of(sort, ordering, "sort", "ordering")
    start = _one_of(offset, None if page is None else 0, "offset", "page")
    per_page = size if size is not None else DEFAULT_LIMIT
    if page is not None:
        start = (page - 1) * per_page
    return PageParams(
        limit=per_page,
        offset=start or 0,
        cursor=cursor,
        sort=sort_by,
        fields=fields,
        sort_param="ordering" if ordering is not None else "sort",
    )


def _one_of(value: T | None, alias: T | None, name: str, alias_name: str) -> T | None:
    if value is not None and alias is not None:
        raise ValidationFailed(
            f"Use {name!r} or {alias_name!r}, not both.",
            details=[field_error(alias_name, f"an alias of {name!r}, which is also given")],
        )
    return value if value is not None else alias


Page = Annotated[PageParams, Depends(page_params)]


def parse_sort(
    raw: str | None,
    allowed: Collection[str],
    default: Sequence[SortKey] = NEWEST_FIRST,
    *,
    param: str = "sort",
) -> tuple[SortKey, ...]:
    """`name,-created_at` as sort keys; a field outside `allowed` is a 422 on `param`."""
    if not raw or not raw.strip():
        return tuple(default)
    keys = []
    for part in (p.strip() for p in raw.split(",")):
        name = part.lstrip("+-")
        if name not in allowed:
            raise ValidationFailed(
                f"Cannot sort by {name!r}.",
                details=[field_error(param, f"choose from {', '.join(sorted(allowed))}")],
            )
        keys.append(SortKey(name, descending=part.startswith("-")))
    return tuple(keys)


def parse_fields(raw: str | None, schema: type[BaseModel]) -> frozenset[str] | None:
    """`id,email` as a set of the schema's fields; None means every field."""
    if not raw or not raw.strip():
        return None
    wanted = frozenset(f.strip() for f in raw.split(",") if f.strip())
    unknown = sorted(wanted - set(schema.model_fields))
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}.",
            details=[field_error("fields", f"choose from {', '.join(schema.model_fields)}")],
        )
    return wanted | {"id"} if "id" in schema.model_fields else wanted


def list_response(
    items: Sequence[BaseModel], meta: PageMeta, fields: frozenset[str] | None
) -> dict[str, Any]:
    """The list envelope, keeping only `fields` of each item when asked to."""
    data = [item.model_dump(mode="json", include=set(fields) if fields else None) for item in items]
    return {"data": data, "meta": meta.model_dump(mode="json")}


Column = InstrumentedAttribute[Any]


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    params: PageParams,
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    sortable: Mapping[str, Column] | None = None,
) -> tuple[Sequence[Any], PageMeta]:
    """Run `statement` (already filtered) for one page in the requested order.

    The order is `params.sort` over `sortable` (plus `created_at`), newest first by
    default, always ending with the id so pages never overlap. Cursors are keyset
    positions valid only with the sort they were issued for.
    """
    columns: dict[str, Column] = {"created_at": created_at, **(sortable or {})}
    keys = parse_sort(params.sort, columns, param=params.sort_param)
    ordered = [(columns[k.field], k.descending) for k in keys] + [(row_id, keys[-1].descending)]
    order_by = [column.desc() if desc else column.asc() for column, desc in ordered]
    if params.cursor is not None:
        position = _decode_cursor(params.cursor, keys, ordered)
        page = statement.where(_after(ordered, position)).order_by(*order_by)
        rows = (await session.scalars(page.limit(params.limit + 1))).all()
        more = len(rows) > params.limit
        rows = rows[: params.limit]
        next_cursor = _encode_cursor(rows[-1], keys, ordered) if more else None
        return rows, PageMeta(limit=params.limit, next_cursor=next_cursor)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = statement.order_by(*order_by)
    rows = (await session.scalars(page.offset(params.offset).limit(params.limit))).all()
    more_after_page = bool(rows) and params.offset + len(rows) < total
    next_cursor = _encode_cursor(rows[-1], keys, ordered) if more_after_page else None
    meta = PageMeta(limit=params.limit, offset=params.offset, total=total, next_cursor=next_cursor)
    return rows, meta


def _after(ordered: Sequence[tuple[Column, bool]], position: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `position` in this order: (a > x) or (a = x and b > y) or ..."""
    clauses = []
    for index, (column, descending) in enumerate(ordered):
        beyond = column < position[index] if descending else column > position[index]
        equal_before = [ordered[i][0] == position[i] for i in range(index)]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def _sort_label(keys: Sequence[SortKey]) -> str:
    return ",".join(("-" if k.descending else "") + k.field for k in keys)


def _encode_cursor(
    row: Any, keys: Sequence[SortKey], ordered: Sequence[tuple[Column, bool]]
) -> str:
    values = [_jsonable(getattr(row, column.key)) for column, _ in ordered]
    raw = json.dumps([_sort_label(keys), values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(
    cursor: str, keys: Sequence[SortKey], ordered: Sequence[tuple[Column, bool]]
) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        label, values = json.loads(base64.urlsafe_b64decode(padded))
        if label != _sort_label(keys) or len(values) != len(ordered):
            raise ValueError("the cursor belongs to another sort")
        return [_typed(value, column) for value, (column, _) in zip(values, ordered, strict=True)]
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ValidationFailed(
            "The cursor is not valid for this list and sort.",
            details=[field_error("cursor", "not a cursor we issued for this sort")],
        ) from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | uuid.UUID | Decimal):
        return value.isoformat() if isinstance(value, datetime | date) else str(value)
    return value


def _typed(value: Any, column: Column) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind in (uuid.UUID, Decimal):
        return kind(value)
    return value


def require_ordered(
    start: date | datetime | None, end: date | datetime | None, start_name: str, end_name: str
) -> None:
    """A list filter's range must not end before it starts: 422 naming the end, instead of
    silently answering an empty list."""
    if start is not None and end is not None and end < start:
        raise ValidationFailed(
            "The range ends before it starts.",
            details=[field_error(end_name, f"must not be before {start_name}")],
        )
