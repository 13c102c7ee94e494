"""Finding one aggregate's event on its topic, checked against its contract."""

from __future__ import annotations

from typing import Any

from millbook_contracts.base import Event
from millbook_contracts.envelope import Envelope
from millbook_stack import api
from millbook_testing.kafka import read_until

from .test_event_contracts import strictly_valid


def _matches(record: Any, event: type[Event], key: str) -> bool:
    return (
        record.key == key.encode()
        and dict(record.headers).get("ce_type") == event.event_type.encode()
    )


async def published(stack: Any, event: type[Event], key: str) -> Envelope:
    """The event of type `event` keyed by `key`, once it is on its topic; valid by contract."""
    records = await read_until(
        api.kafka_bootstrap(stack.profile),
        event.topic(),
        lambda rs: any(_matches(r, event, key) for r in rs),
    )
    record = next(r for r in records if _matches(r, event, key))
    envelope = Envelope.from_kafka(record.headers, record.value)
    strictly_valid(envelope)
    event.model_validate_json(envelope.data)
    return envelope
