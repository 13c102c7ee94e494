"""OpenTelemetry tracing whose context crosses HTTP and Kafka headers (W3C traceparent)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

_configured = False


def configure_tracing(service_name: str, exporter: str = "none") -> None:
    """Install a tracer provider once per process; spans are exported only on request.

    Without an exporter nothing would read a recorded span, so none is recorded:
    trace and span ids are still made and propagated (logs and `traceparent` keep
    them), at a fraction of a recording span's cost on every request.
    """
    global _configured
    if _configured:
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ALWAYS_OFF if exporter == "none" else ALWAYS_ON,
    )
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("millbook")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


@contextmanager
def continued_span(
    name: str, headers: Iterable[tuple[str, str]], kind: trace.SpanKind
) -> Iterator[trace.Span]:
    """A span that continues the trace named by incoming `traceparent` headers."""
    carrier = {k.lower(): v for k, v in headers}
    parent = propagate.extract(carrier)
    token = context.attach(parent)
    try:
        with tracer().start_as_current_span(name, kind=kind) as span:
            yield span
    finally:
        context.detach(token)
