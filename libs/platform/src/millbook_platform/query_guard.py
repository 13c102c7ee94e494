"""Unknown query parameters are refused, so a misspelt filter never widens a result.

`GET /v1/invoices?client=<id>` would otherwise answer every invoice of the
organization. The app factory adds `refuse_unknown_query` to every service
route; it compares the request's query keys with the parameters the route
declares (its own and its dependencies', e.g. the pagination parameters),
computed once per route, and answers 422 naming the unknown parameter, the
accepted ones and the closest accepted name.

A parameter may name words clients reach for that are not close in spelling
(`client` for `customer_id`) with `Query(json_schema_extra=synonyms("client"))`;
the hint then suggests it.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from millbook_platform.errors import ValidationFailed, field_error

SYNONYMS_KEY = "x-synonyms"


def synonyms(*words: str) -> dict[str, Any]:
    """`json_schema_extra` for a query parameter clients may call by another name."""
    return {SYNONYMS_KEY: list(words)}


@dataclass(frozen=True)
class DeclaredQuery:
    """The query parameters one route takes, and the other names clients use for them."""

    names: frozenset[str]
    synonyms: Mapping[str, str]


def declared_query(dependant: Dependant) -> DeclaredQuery:
    """Every query parameter of `dependant` and its nested dependencies, by wire name."""
    names: set[str] = set()
    words: dict[str, str] = {}
    for param in _query_params(dependant):
        names.add(param.alias)
        extra = param.field_info.json_schema_extra
        if isinstance(extra, dict):
            for word in extra.get(SYNONYMS_KEY) or ():
                words[str(word)] = param.alias
    return DeclaredQuery(frozenset(names), words)


def _query_params(dependant: Dependant) -> Iterable[Any]:
    yield from dependant.query_params
    for child in dependant.dependencies:
        yield from _query_params(child)


def did_you_mean(name: str, accepted: Collection[str], words: Mapping[str, str]) -> str | None:
    """The accepted parameter `name` most likely meant, if any is close enough."""
    if name in words:
        return words[name]
    lowered = name.lower()
    for candidate in accepted:
        if candidate.lower() == lowered:
            return candidate
    close = difflib.get_close_matches(lowered, sorted(accepted), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_query_details(keys: Iterable[str], declared: DeclaredQuery) -> list[dict[str, str]]:
    """One detail per unknown key (in the order sent), naming the accepted parameters."""
    accepted = ", ".join(sorted(declared.names)) or "none"
    details = []
    for key in dict.fromkeys(keys):  # ordered, each once
        if key in declared.names:
            continue
        hint = did_you_mean(key, declared.names, declared.synonyms)
        message = f"unknown query parameter; accepted: {accepted}"
        if hint is not None:
            message = f"unknown query parameter; did you mean {hint!r}? accepted: {accepted}"
        details.append(field_error(key, message))
    return details


# Routes are not hashable; keyed by id, holding the route so that id is never reused.
_declared: dict[int, tuple[object, DeclaredQuery]] = {}


def _declared_for(route: Any) -> DeclaredQuery | None:
    dependant = getattr(route, "dependant", None)
    if not isinstance(dependant, Dependant):
        return None
    known = _declared.get(id(route))
    if known is None:
        known = _declared[id(route)] = (route, declared_query(dependant))
    return known[1]


async def refuse_unknown_query(request: Request) -> None:
    """422 for a query parameter the matched route does not declare."""
    if not request.query_params:
        return
    declared = _declared_for(request.scope.get("route"))
    if declared is None:
        return
    details = unknown_query_details(request.query_params.keys(), declared)
    if details:
        names = ", ".join(repr(d["field"]) for d in details)
        raise ValidationFailed(f"Unknown query parameter {names}.", details=details)


__all__ = [
    "DeclaredQuery",
    "declared_query",
    "did_you_mean",
    "refuse_unknown_query",
    "synonyms",
    "unknown_query_details",
]
