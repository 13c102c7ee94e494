"""The request limits of seed 003, checked before a request reaches a service.

URL 8 KB (414), headers 32 KB (431), 50 query parameters (422), 100 items in a
batch body (422); each route kind gets its own upstream timeout. The body-size
limit (413) is enforced while the body streams, in `proxy`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from millbook_gateway.config import GatewaySettings
from millbook_platform.errors import AppError, ValidationFailed, field_error


class UriTooLong(AppError):
    status_code, code = 414, "VALIDATION_ERROR"


class HeadersTooLarge(AppError):
    status_code, code = 431, "VALIDATION_ERROR"


# Part headers and boundaries around an uploaded file; the service checks the file itself.
MULTIPART_ENVELOPE_BYTES = 64 * 1024


@dataclass(frozen=True)
class RequestLimits:
    url_bytes: int = 8 * 1024
    header_bytes: int = 32 * 1024
    query_params: int = 50
    batch_items: int = 100
    body_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 30.0
    batch_timeout_s: float = 120.0
    upload_timeout_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> RequestLimits:
        return cls(
            url_bytes=settings.max_url_bytes,
            header_bytes=settings.max_header_bytes,
            query_params=settings.max_query_params,
            batch_items=settings.max_batch_items,
            body_bytes=settings.max_body_bytes,
            timeout_s=settings.upstream_timeout_s,
            batch_timeout_s=settings.batch_timeout_s,
            upload_timeout_s=settings.upload_timeout_s,
        )

    def check_url(self, raw_path: bytes, query: bytes) -> None:
        length = len(raw_path) + (len(query) + 1 if query else 0)
        if length > self.url_bytes:
            raise UriTooLong(f"The URL is {length} bytes; the limit is {self.url_bytes}.")

    def check_headers(self, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
        # Counted as on the wire: "name: value\r\n".
        size = sum(len(name) + len(value) + 4 for name, value in raw_headers)
        if size > self.header_bytes:
            raise HeadersTooLarge(
                f"The request headers are {size} bytes; the limit is {self.header_bytes}."
            )

    def check_query(self, query: bytes) -> None:
        count = len(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        if count > self.query_params:
            message = f"At most {self.query_params} query parameters are allowed; got {count}."
            raise ValidationFailed(message, details=[field_error("query", message)])

    def check_batch(self, body: bytes) -> None:
        count = batch_size(body)
        if count is not None and count > self.batch_items:
            message = f"A batch holds at most {self.batch_items} items; got {count}."
            raise ValidationFailed(message, details=[field_error("items", message)])

    def body_limit_for(self, content_type: str | None) -> int:
        """A multipart upload may carry a file of the full limit plus its envelope."""
        if is_upload(content_type):
            return self.body_bytes + MULTIPART_ENVELOPE_BYTES
        return self.body_bytes

    def timeout_for(self, path: str, content_type: str | None) -> float:
        if is_upload(content_type):
            return self.upload_timeout_s
        if is_batch(path):
            return self.batch_timeout_s
        return self.timeout_s


def is_batch(path: str) -> bool:
    return path.rstrip("/").endswith("/batch")


def is_upload(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith("multipart/form-data")


def batch_size(body: bytes) -> int | None:
    """Items in a batch body (a JSON array or `{"items": [...]}`); None when it is neither."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        # Malformed or nested past the parser's depth: the service answers it with its
        # own error, as it does for any other route.
        return None
    if isinstance(document, dict):
        document = document.get("items")
    return len(document) if isinstance(document, list) else None
