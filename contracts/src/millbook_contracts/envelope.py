"""The CloudEvents 1.0 envelope in Kafka binary mode.

Attributes travel as `ce_*` headers; the Kafka value is the JSON payload alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = Sequence[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A Kafka message that is not a valid Millbook CloudEvent."""


def dataschema_for(event_type: str, version: int) -> str:
    return f"millbook:{event_type}:v{version}"


@dataclass(frozen=True)
class Envelope:
    """The attributes of one event; `data` is the JSON payload bytes."""

    id: uuid.UUID
    source: str
    type: str
    subject: str
    tenant_id: uuid.UUID
    time: datetime
    dataschema: str
    data: bytes
    traceparent: str | None = None
    # CloudEvents extensions: who caused the event and in which request (for the audit trail).
    actor: str | None = None
    request_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", str(self.id)),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")),
            ("ce_subject", self.subject),
            ("ce_tenantid", str(self.tenant_id)),
            ("ce_dataschema", self.dataschema),
            ("content-type", CONTENT_TYPE),
        ]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent))
        if self.actor:
            headers.append(("ce_actor", self.actor))
        if self.request_id:
            headers.append(("ce_requestid", self.request_id))
        headers.extend(self.extra.items())
        return [(name, value.encode()) for name, value in headers]

    @classmethod
    def from_kafka(cls, headers: Iterable[tuple[str, bytes]], value: bytes | None) -> Envelope:
        attrs = {name: raw.decode("utf-8", "replace") for name, raw in headers}
        missing = [
            name
            for name in ("ce_id", "ce_type", "ce_source", "ce_tenantid", "ce_time")
            if name not in attrs
        ]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if attrs.get("ce_specversion") != SPEC_VERSION:
            raise EnvelopeError(f"unsupported ce_specversion {attrs.get('ce_specversion')!r}")
        try:
            return cls(
                id=uuid.UUID(attrs["ce_id"]),
                source=attrs["ce_source"],
                type=attrs["ce_type"],
                subject=attrs.get("ce_subject", ""),
                tenant_id=uuid.UUID(attrs["ce_tenantid"]),
                time=datetime.fromisoformat(attrs["ce_time"].replace("Z", "+00:00")),
                dataschema=attrs.get("ce_dataschema", ""),
                data=value or b"",
                traceparent=attrs.get("traceparent"),
                actor=attrs.get("ce_actor"),
                request_id=attrs.get("ce_requestid"),
            )
        except ValueError as exc:
            raise EnvelopeError(f"malformed CloudEvents header: {exc}") from exc

    def header_dict(self) -> dict[str, Any]:
        return {name: value.decode() for name, value in self.to_headers()}
