"""Hostile input on every write route and list of the merged OpenAPI document, and
active content in billing's uploads.

NUL characters, huge strings, numbers and dates beyond what the books hold, deep JSON
and invalid UTF-8 are sent in bodies, queries and paths as organization A's admin; no
answer may be a 5xx, and what was hostile is a 4xx in the error envelope. Uploads are
judged by their content: HTML, SVG, scripts and executables are refused whatever their
name, and a stored file is served as an attachment that browsers do not sniff.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import pick
from .openapi import Document, body_schema, operations, properties, resolve, sample
from .tally import Tally
from .tenants import PDF, REFERENCES
from .test_mass_assignment import url_of

pytestmark = pytest.mark.e2e

HUGE = "x" * 200_000
DEEP = ("[" * 5000) + ("]" * 5000)


def leaves(
    document: Document, schema: dict[str, Any], body: Any, change: Callable[..., Any]
) -> Any:
    """`body` with each top-level scalar field changed by `change(name, schema, value)`."""
    props = properties(document, schema)
    return {
        name: change(name, props.get(name, {}), value)
        if not isinstance(value, dict | list)
        else value
        for name, value in body.items()
    }


def nul(_: str, schema: dict[str, Any], value: Any) -> Any:
    return f"a\x00{value}" if isinstance(value, str) else value


def huge(_: str, schema: dict[str, Any], value: Any) -> Any:
    return HUGE if isinstance(value, str) else value


def extreme(name: str, schema: dict[str, Any], value: Any) -> Any:
    fmt = resolve({}, schema).get("format") if "$ref" not in schema else None
    if fmt == "date":
        return "9999-12-31"
    if fmt == "date-time":
        return "0001-01-01T00:00:00Z"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 2**63
    if isinstance(value, str) and value.replace(".", "").isdigit():
        return "1e999999"
    return value


VARIANTS: dict[str, Callable[..., Any]] = {"NUL": nul, "huge": huge, "extreme": extreme}


def answered_well(status: int, text: str, hostile: bool) -> bool:
    if status >= 500:
        return False
    if hostile and status < 400:
        return False
    if status >= 400:
        try:
            return "code" in json.loads(text)["error"]
        except (ValueError, KeyError, TypeError):
            return False
    return True


async def test_no_hostile_body_query_or_path_is_a_5xx(document, tenants):
    a, _ = tenants
    tally = Tally("hostile input", "failures")
    tries: list[tuple[str, Any]] = []
    for operation in operations(document, ("post", "put", "patch")):
        schema = body_schema(document, operation)
        if schema is None or schema.get("type") != "object":
            continue
        base = sample(document, schema, lambda n: a.ids.get(REFERENCES.get(n, "")))
        for name, change in VARIANTS.items():
            body = leaves(document, schema, base, change)
            if body != base:
                tries.append(("json", (operation, name, body)))
        tries.append(("raw", (operation, "deep", DEEP.encode())))
        tries.append(("raw", (operation, "invalid UTF-8", b'{"name": "\xff\xfe\xc3("}')))
    for operation in operations(document, ("get",)):
        for parameter in operation.query_params:
            if parameter["name"] in ("search", "q", "status", "sort", "fields"):
                tries.append(("query", (operation, parameter["name"], "a\x00b")))
            fmt = resolve(document, parameter.get("schema", {})).get("format")
            if fmt in ("date", "date-time"):
                tries.append(("query", (operation, parameter["name"], "99999-12-31")))
        if operation.path_params:
            tries.append(("path", (operation, "NUL id", "%00")))
    for kind, (operation, what, payload) in pick(tries, 25):
        if kind == "path":
            url = operation.path.split("{")[0] + payload
            response = await a.request("GET", url)
        elif kind == "query":
            url = operation.path
            response = await a.request("GET", url, params={what: payload})
        else:
            url = url_of(a, operation)
            method = operation.method.upper()
            if kind == "json":
                response = await a.request(method, url, json=payload)
            else:
                headers = {"content-type": "application/json"}
                response = await a.request(method, url, content=payload, headers=headers)
        tally.tried(
            answered_well(
                response.status_code, response.text, hostile=kind != "json" or what != "huge"
            ),
            f"{operation.label} {what}: {url} -> {response.status_code} {response.text[:300]}",
        )
    tally.check()


ACTIVE = [
    ("page.html", b"<html><script>alert(document.cookie)</script></html>", "text/html"),
    ("page.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
    ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/png"),
    ("run.js", b"fetch('/v1/users').then(r => r.text())", "application/javascript"),
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/octet-stream"),
    ("polyglot.html", PDF + b"<script>alert(1)</script>", "text/html"),
    (
        "x.xhtml",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>',
        "application/xhtml+xml",
    ),
]
UPLOADS = ("/v1/documents/upload", "/v1/expenses/attachments")
DOWNLOADS = {
    "/v1/documents/upload": "/v1/documents/{}/file",
    "/v1/expenses/attachments": "/v1/expenses/attachments/{}",
}


async def test_active_content_is_refused_and_what_is_stored_is_served_inert(tenants):
    a, _ = tenants
    tally = Tally("active content uploads", "accepted")
    for route in UPLOADS:
        for filename, content, media_type in ACTIVE:
            response = await a.request(
                "POST", route, files={"file": (filename, content, media_type)}
            )
            tally.tried(
                response.status_code in (415, 422) and "error" in response.json(),
                f"{route} {filename} as {media_type}: {response.status_code} {response.text[:200]}",
            )
        # A real PDF carrying script, under a name built to break out of a header.
        scripted = PDF.replace(
            b"trailer", b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>\ntrailer"
        )
        name = 'in"voice\r\nX-Injected: 1<script>.pdf'
        stored = await a.request("POST", route, files={"file": (name, scripted, "text/html")})
        assert stored.status_code in (200, 201, 202), stored.text
        served = await a.request("GET", DOWNLOADS[route].format(stored.json()["data"]["id"]))
        assert served.status_code == 200, served.text
        headers = served.headers
        tally.tried(
            headers["content-type"].startswith("application/pdf")
            and headers["content-disposition"].startswith("attachment")
            and headers.get("x-content-type-options") == "nosniff"
            and "x-injected" not in headers,
            f"{route} stored PDF served with {dict(headers)}",
        )
    tally.check()
