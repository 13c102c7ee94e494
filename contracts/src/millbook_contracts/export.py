"""Write the AsyncAPI document and one JSON Schema per event.

`millbook-contracts export <dir>` is the reference for anyone who consumes
Millbook's events with their own Kafka client.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from millbook_contracts.events import ALL_EVENTS, Event
from millbook_contracts.topics import ALL_TOPICS

CE_HEADERS = {
    "type": "object",
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_tenantid",
        "ce_dataschema",
    ],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_source": {"type": "string", "description": "/millbook/<service>"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "the aggregate id, also the Kafka key"},
        "ce_tenantid": {"type": "string", "format": "uuid"},
        "ce_dataschema": {"type": "string"},
        "traceparent": {"type": "string"},
    },
}


def json_schema(event: type[Event]) -> dict[str, Any]:
    schema: dict[str, Any] = dict(event.model_json_schema())
    schema["$id"] = event.dataschema()
    schema["title"] = event.event_type
    return schema


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        members = [e for e in ALL_EVENTS if e.topic() == topic.name]
        channels[topic.name] = {
            "address": topic.name,
            "description": f"{topic.name} events, keyed by aggregate id; retention forever.",
            "messages": {
                e.event_type: {"$ref": f"#/components/messages/{e.event_type}"} for e in members
            },
        }
        if members:
            operations[f"publish.{topic.name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{topic.name}"},
            }
    for event in ALL_EVENTS:
        messages[event.event_type] = {
            "name": event.event_type,
            "title": event.event_type,
            "summary": (event.__doc__ or "").strip(),
            "contentType": "application/json",
            "headers": CE_HEADERS,
            "payload": json_schema(event),
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid"}}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Millbook domain events",
            "version": "1",
            "description": "CloudEvents 1.0 in Kafka binary mode (ce_* headers, JSON value).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "asyncapi.json"]
    written[0].write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True) + "\n")
    schemas = directory / "schemas"
    schemas.mkdir(exist_ok=True)
    for event in ALL_EVENTS:
        path = schemas / f"{event.event_type}.v{event.version}.json"
        path.write_text(json.dumps(json_schema(event), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0] != "export":
        print("usage: millbook-contracts export [DIR]  (default: contracts/generated)")
        raise SystemExit(2)
    target = Path(args[1]) if len(args) > 1 else Path("contracts/generated")
    for path in export(target):
        print(path)
