"""Find the inputs of an app that accept a value no column or computation can hold.

Every path, query and body field whose type is a date, a datetime, a Decimal or an
int is fed extreme values (`9999-12-31`, `1e999999`, `NaN`, `2**63`, ...); a field that
accepts one would reach the database or the date arithmetic and answer 500. A service's
test asserts `unbounded_inputs(app) == []`, so a new field without a bound fails CI
instead of a client's request.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

PROBES: dict[type, tuple[Any, ...]] = {
    datetime: ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"),
    date: ("9999-12-31", "0001-01-01"),
    Decimal: (
        "1e999999",
        "NaN",
        "Infinity",
        "-Infinity",
        "1" + "0" * 40,
        float("inf"),
        float("nan"),
        1e308,
    ),
    int: (2**63, -(2**63) - 1),
}


@dataclass(frozen=True)
class Unbounded:
    route: str
    field: str
    accepted: Any

    def __str__(self) -> str:
        return f"{self.route} {self.field} accepts {self.accepted!r}"


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route of an app, through included routers, with its full path."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(nested.routes, prefix + (getattr(context, "prefix", "") or ""))


def unbounded_inputs(app: FastAPI) -> list[Unbounded]:
    found: list[Unbounded] = []
    for path, route in api_routes(app.router.routes):
        name = f"{','.join(sorted(route.methods or ()))} {path}"
        for field, annotation in _inputs(route):
            found += [
                Unbounded(name, where, value) for where, value in _accepted(field, annotation)
            ]
    return sorted(set(found), key=str)


def _inputs(route: APIRoute) -> Iterator[tuple[str, Any]]:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        stack += dependant.dependencies
        for param in [*dependant.path_params, *dependant.query_params]:
            yield param.alias, Annotated[param.field_info.annotation, param.field_info]
        for param in dependant.body_params:
            yield param.alias, Annotated[param.field_info.annotation, param.field_info]


def _accepted(where: str, annotation: Any) -> Iterator[tuple[str, Any]]:
    """(field path, probe) for each probe `annotation` lets through at some leaf."""
    for leaf_path, leaf in _leaves(where, annotation):
        adapter = TypeAdapter(leaf)
        for kind, probes in PROBES.items():
            if not _is(leaf, kind):
                continue
            for probe in probes:
                try:
                    adapter.validate_python(probe)
                except (ValidationError, ValueError, TypeError, ArithmeticError):
                    continue
                yield leaf_path, probe
            break


def _leaves(where: str, annotation: Any) -> Iterator[tuple[str, Any]]:
    """Each scalar annotation under `annotation`, with its location; models are opened."""
    base, _ = _unwrap(annotation)
    if isinstance(base, type) and issubclass(base, BaseModel):
        for name, info in base.model_fields.items():
            yield from _leaves(f"{where}.{info.alias or name}", _annotated(info))
        return
    origin = get_origin(base)
    if origin in (list, set, frozenset, tuple):
        for arg in get_args(base):
            if arg is not Ellipsis:
                yield from _leaves(f"{where}[]", arg)
        return
    if origin is dict:
        yield from _leaves(f"{where}{{}}", get_args(base)[1])
        return
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(base) if a is not type(None)]
        if any(_is_model_or_container(m) for m in members):
            for member in members:
                yield from _leaves(where, member)
            return
    yield where, annotation


def _annotated(info: Any) -> Any:
    return Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += extra
    return annotation, metadata


def _is_model_or_container(annotation: Any) -> bool:
    base, _ = _unwrap(annotation)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return True
    return get_origin(base) in (list, set, frozenset, tuple, dict)


# pydantic's constrained date types are classes of their own at run time.
_PYDANTIC_KINDS: dict[Any, type] = {
    pydantic.AwareDatetime: datetime,
    pydantic.NaiveDatetime: datetime,
    pydantic.FutureDatetime: datetime,
    pydantic.PastDatetime: datetime,
    pydantic.FutureDate: date,
    pydantic.PastDate: date,
}


def _is(annotation: Any, kind: type) -> bool:
    base, _ = _unwrap(annotation)
    base = _PYDANTIC_KINDS.get(base, base)
    if get_origin(base) in (Union, types.UnionType):
        return any(_is(member, kind) for member in get_args(base))
    if kind is int:
        return base is int  # bool is an int subclass; an IntEnum is bounded by its members
    if kind is date:
        return base is date
    return isinstance(base, type) and issubclass(base, kind)


__all__ = ["PROBES", "Unbounded", "api_routes", "unbounded_inputs"]
