"""Prometheus metrics of the gateway's upstream calls (the HTTP ones come from the platform)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPSTREAM_REQUESTS = Counter(
    "millbook_gateway_upstream_requests_total",
    "Requests the gateway forwarded, by service and upstream status (or gateway error code).",
    ["service", "method", "status"],
)
UPSTREAM_LATENCY = Histogram(
    "millbook_gateway_upstream_response_seconds",
    "From forwarding a request to receiving the upstream's response headers.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
