"""Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "millbook_http_requests_total",
    "HTTP requests by route and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "millbook_http_request_duration_seconds",
    "HTTP request latency by route.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
OUTBOX_BACKLOG = Gauge(
    "millbook_outbox_backlog", "Outbox rows committed but not yet published.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "millbook_outbox_published_total", "Events published from the outbox.", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "millbook_outbox_publish_failures_total", "Failed outbox publish attempts.", ["service"]
)
OUTBOX_PUBLISH_LATENCY = Histogram(
    "millbook_outbox_publish_latency_seconds",
    "From outbox insert to acknowledged publish.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120),
)
EVENTS_HANDLED = Counter(
    "millbook_events_handled_total",
    "Consumed events by outcome (processed, duplicate, ignored, retried, dead_lettered).",
    ["service", "consumer", "event_type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "millbook_consumer_lag",
    "Messages behind the partition's high watermark.",
    ["service", "consumer", "topic", "partition"],
)
CONSUMER_LAST_POLL = Gauge(
    "millbook_consumer_last_poll_timestamp_seconds",
    "When the consumer last polled Kafka.",
    ["service", "consumer"],
)
CONSUMER_CURRENT_AS_OF = Gauge(
    "millbook_consumer_current_as_of_timestamp_seconds",
    "A replaying consumer (revocations): every event published before this instant is handled.",
    ["service", "consumer"],
)
OUTBOX_RELAY_LEADING = Gauge(
    "millbook_outbox_relay_leading",
    "1 while this process's outbox relay holds the lock and listens for commits.",
    ["service"],
)
OUTBOX_RELAY_CONNECTION_LOST = Counter(
    "millbook_outbox_relay_connection_lost_total",
    "Times the relay's leader connection to PostgreSQL ended (restart, terminated backend).",
    ["service"],
)
