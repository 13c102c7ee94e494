"""No service's own address leaves the gateway in a `Location` or `Content-Location`.

The gateway never follows an upstream redirect (the client decides what to do
with a 3xx), and it forwards the paths of `/v1/...` unchanged, so a service's
absolute URL to itself names the same resource as the relative reference made
of its path and query. That relative reference is what the client receives:
a client following it lands on the gateway, never on the service. Refusing
such an answer with a 502 instead would break a legitimate redirect (a 303
after an action, say) to hide a detail the rewrite hides as well.

An absolute URL naming any other host (a payment page, a signed download)
passes unchanged; a relative one is already public.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

REWRITTEN = frozenset({"location", "content-location"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host:port`, lowercased, with the default port spelled out; None if not absolute."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or port is None:
        return None
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"


def internal_origins(upstream_urls: Mapping[str, str]) -> frozenset[str]:
    """The origins of the services behind the gateway."""
    return frozenset(o for o in map(origin_of, upstream_urls.values()) if o is not None)


def public_location(value: str, internal: frozenset[str]) -> str:
    """`value`, made relative when it names a service behind the gateway."""
    if origin_of(value) not in internal:
        return value
    parts = urlsplit(value.strip())
    # One leading slash: `//host/...` would be a reference to another host.
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def without_internal_locations(
    headers: Iterable[tuple[str, str]], internal: frozenset[str]
) -> list[tuple[str, str]]:
    """The response headers with every internal `Location`/`Content-Location` made relative."""
    return [(k, public_location(v, internal) if k.lower() in REWRITTEN else v) for k, v in headers]
