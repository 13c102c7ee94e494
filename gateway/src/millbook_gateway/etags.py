"""`ETag` on the GETs the gateway reads whole, and `304 Not Modified` for a client that has it.

The tag is computed at the edge over the exact bytes of the answer, so every
service gets it without code of its own and it always matches what the client
holds. It is weak (`W/"..."`) because the same representation may travel
gzip-encoded or not (RFC 9110 8.8.3 lets a weak tag span content codings) and
`If-None-Match` compares weakly anyway. Streamed answers (PDFs, CSV exports)
carry none: tagging them would mean holding them whole.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import Headers
from starlette.responses import Response

# RFC 9110 15.4.5: the fields a 304 repeats from the 200 it stands for.
KEPT_ON_304 = ("cache-control", "content-location", "date", "etag", "expires", "vary")
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')


def weak_etag(body: bytes) -> str:
    """A weak entity tag naming exactly these bytes."""
    digest = hashlib.blake2b(body, digest_size=16).digest()
    return f'W/"{base64.urlsafe_b64encode(digest).rstrip(b"=").decode()}"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def none_match(if_none_match: str, etag: str) -> bool:
    """True when `If-None-Match` names `etag` (weak comparison, RFC 9110 13.1.2), or is `*`."""
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(tag) == wanted for tag in _ENTITY_TAG.findall(if_none_match))


def with_validator(method: str, request_headers: Headers, response: Response) -> Response:
    """A whole 200 answer to a GET, tagged; a 304 instead when the client holds that tag."""
    if method != "GET" or response.status_code != 200:
        return response
    etag = response.headers.get("etag") or weak_etag(bytes(response.body))
    response.headers["etag"] = etag
    if not none_match(request_headers.get("if-none-match", ""), etag):
        return response
    kept = [(k, v) for k, v in response.raw_headers if k.decode("latin-1") in KEPT_ON_304]
    not_modified = Response(status_code=304)
    not_modified.raw_headers = kept
    return not_modified
