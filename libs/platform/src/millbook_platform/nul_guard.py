"""A NUL character is refused at the edge, naming the field it is in.

PostgreSQL refuses `\\x00` in text, so a NUL that reached a query or an insert
was a 500 in every service. `refuse_nul_characters` runs before every service
route's own dependencies and looks at every string the route was sent: path
parameters, query keys and values, the JSON body's keys and values (already
parsed by FastAPI, so nothing is read twice) and a form's text fields and file
names. A file's content is the service's to judge (a PDF may hold NUL bytes;
a CSV import refuses them with `refuse_nul`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from millbook_platform.errors import ValidationFailed, field_error

NUL = "\x00"
MESSAGE = "must not contain a NUL character (\\u0000)"


def nul_field(value: Any, at: str = "") -> str | None:
    """The location (`lines[0].description`) of the first string in `value` with a NUL."""
    if isinstance(value, str):
        return (at or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}" if at else str(key)
            if NUL in str(key):
                return where
            found = nul_field(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{at}[{index}]")
            if found is not None:
                return found
    return None


def _first_nul_pair(pairs: Iterable[tuple[str, Any]]) -> str | None:
    for key, value in pairs:
        if NUL in key:
            return key
        if isinstance(value, str) and NUL in value:
            return key
        if isinstance(value, UploadFile) and value.filename and NUL in value.filename:
            return key
    return None


def refuse_nul(text: str, field: str) -> None:
    """422 naming `field` when `text` holds a NUL (for text a service reads itself, e.g. CSV)."""
    if NUL in text:
        line = text.count("\n", 0, text.index(NUL)) + 1
        raise ValidationFailed(
            f"{field!r} contains a NUL character.",
            details=[field_error(field, f"{MESSAGE} (line {line})")],
        )


def _refuse(field: str) -> None:
    raise ValidationFailed(
        f"{field!r} contains a NUL character.", details=[field_error(field, MESSAGE)]
    )


async def refuse_nul_characters(request: Request) -> None:
    """422 naming the first path parameter, query parameter or body field holding a NUL."""
    found = _first_nul_pair(request.path_params.items()) or _first_nul_pair(
        request.query_params.multi_items()
    )
    if found is None:
        found = await _nul_in_body(request)
    if found is not None:
        _refuse(found)


async def _nul_in_body(request: Request) -> str | None:
    # Only a body FastAPI parses for this route's parameters; the calls below return the
    # request's cached parse. A route reading its raw body judges that body itself.
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not dependant.body_params:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        return _first_nul_pair(form.multi_items())
    if "json" not in content_type:
        return None
    try:
        body = await request.json()
    except ValueError:  # FastAPI answers the malformed body itself
        return None
    return nul_field(body)


__all__ = ["nul_field", "refuse_nul", "refuse_nul_characters"]
