"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

from collections.abc import Iterable

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailers", "transfer-encoding", "upgrade", "host"}
)
# The client's address exactly as the gateway's peer, for the services' throttling
# (identity's login lockout counts failures per account and client). A header of its
# own rather than X-Forwarded-For: that one keeps the chain the client sent, whose
# first entry anyone can write, and a service reading "the first entry" would trust it.
CLIENT_IP = "x-millbook-client-ip"
# Set by the gateway itself; the client's values (if any) are replaced, not forwarded.
SET_BY_GATEWAY = frozenset(
    {"x-request-id", "traceparent", "x-forwarded-proto", "x-forwarded-for", CLIENT_IP}
)
# The client's credentials: the service receives the bearer token the edge verified instead.
CLIENT_CREDENTIALS = frozenset({"authorization", "x-api-key"})
# The gateway's server and middlewares write these on the way out.
SET_ON_RESPONSE = frozenset({"x-request-id", "date", "server"})

Header = tuple[str, str]


def _connection_tokens(headers: Iterable[Header]) -> set[str]:
    # RFC 9110 7.6.1: headers named in Connection are hop-by-hop too.
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def is_hop_by_hop(name: str) -> bool:
    lowered = name.lower()
    return lowered in HOP_BY_HOP or lowered.startswith("proxy-")


def end_to_end(headers: Iterable[Header]) -> list[Header]:
    """The headers minus hop-by-hop ones, including those the Connection header names."""
    items = list(headers)
    named = _connection_tokens(items)
    return [(k, v) for k, v in items if not is_hop_by_hop(k) and k.lower() not in named]


def upstream_request_headers(
    headers: Iterable[Header],
    *,
    request_id: str | None,
    traceparent: str | None,
    client_host: str | None,
    scheme: str,
    access_token: str | None = None,
) -> list[Header]:
    """What the service receives: the client's end-to-end headers plus the gateway's own.

    `access_token` is the verified credential (None on a public route, where the
    client's own `Authorization`, if any, passes through untouched).
    """
    items = end_to_end(headers)
    prior_for = [v for k, v in items if k.lower() == "x-forwarded-for"]
    dropped = SET_BY_GATEWAY | (CLIENT_CREDENTIALS if access_token else {"x-api-key"})
    kept = [(k, v) for k, v in items if k.lower() not in dropped]
    chain = ", ".join([*prior_for, *([client_host] if client_host else [])])
    added = {
        "authorization": f"Bearer {access_token}" if access_token else None,
        "x-request-id": request_id,
        "traceparent": traceparent,
        "x-forwarded-for": chain or None,
        "x-forwarded-proto": scheme,
        CLIENT_IP: client_host,
    }
    return kept + [(k, v) for k, v in added.items() if v]


def downstream_response_headers(headers: Iterable[Header]) -> list[Header]:
    """What the client receives from a service's response."""
    return [(k, v) for k, v in end_to_end(headers) if k.lower() not in SET_ON_RESPONSE]
