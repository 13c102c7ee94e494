"""HTTP edges of attachments: the upload size bound and the download headers.

An oversized upload is refused from its Content-Length before the body is read:
FastAPI parses a multipart form before any dependency runs, so the check lives in the
route class. A body without Content-Length (chunked) is still bounded while
`store_upload` reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.routing import APIRoute

from millbook_billing.attachments.domain import MAX_UPLOAD_BYTES
from millbook_billing.models import Attachment
from millbook_platform.errors import PayloadTooLarge, field_error

# Room for the multipart boundaries, part headers and small form fields.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def refuse_oversized(request: Request, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    length = declared_length(request)
    if length is not None and length > max_bytes + MULTIPART_OVERHEAD_BYTES:
        raise PayloadTooLarge(
            f"The request is larger than {max_bytes // (1024 * 1024)} MB.",
            details=[field_error("file", f"at most {max_bytes} bytes")],
        )


class BoundedUploadRoute(APIRoute):
    """A route whose request body may not declare more than one upload's worth of bytes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            refuse_oversized(request)
            return await handle(request)

        return bounded


def download_headers(attachment: Attachment) -> dict[str, str]:
    """Length, file name (ASCII fallback and RFC 5987 UTF-8) and no content sniffing."""
    ascii_name = attachment.filename.encode("ascii", "replace").decode().replace("?", "_")
    quoted = quote(attachment.filename, safe="")
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}",
        "Content-Length": str(attachment.size_bytes),
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{attachment.sha256}"',
    }
