"""Every event a real request publishes matches its contract, and carries its context."""

import json
import uuid

import pytest

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import EVENTS_BY_TYPE, RETIRED_DATASCHEMAS, UserCreated
from millbook_testing.kafka import read_all, read_until

from .test_walking_skeleton import new_user

pytestmark = pytest.mark.e2e


def strictly_valid(envelope: Envelope) -> None:
    """The payload validates against its model and adds no field the contract lacks."""
    contract = EVENTS_BY_TYPE[envelope.type]
    contract.model_validate_json(envelope.data)
    unknown = set(json.loads(envelope.data)) - set(contract.model_fields)
    assert not unknown, f"{envelope.type} publishes fields outside its contract: {unknown}"
    assert envelope.dataschema == contract.dataschema()
    assert envelope.source == "/millbook/" + envelope.type.split(".")[0]


async def test_a_created_user_is_published_by_contract_with_trace_actor_and_request(
    stack, gateway, admin
):
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    response = await gateway.post(
        "/v1/users",
        json=new_user(),
        headers={**admin.headers, "traceparent": traceparent, "X-Request-Id": "contract-1"},
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["data"]["id"]

    def found(records) -> bool:
        return any(r.key == user_id.encode() for r in records)

    records = await read_until(stack_bootstrap(stack), UserCreated.topic(), found)
    record = next(r for r in records if r.key == user_id.encode())
    envelope = Envelope.from_kafka(record.headers, record.value)
    strictly_valid(envelope)
    assert envelope.type == "identity.user.created"
    assert str(envelope.tenant_id) == admin.organization_id
    assert envelope.traceparent is not None
    assert envelope.traceparent.split("-")[1] == trace_id  # the caller's trace continues
    assert envelope.request_id == "contract-1"
    assert envelope.actor is not None
    assert envelope.actor.startswith("user:")


async def test_every_identity_event_on_the_broker_matches_its_contract(stack, gateway, admin):
    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    assert created.status_code == 201, created.text
    checked = 0
    for topic in sorted(
        {
            event.topic()
            for event in EVENTS_BY_TYPE.values()
            if event.event_type.startswith("identity.")
        }
    ):
        for record in await read_all(stack_bootstrap(stack), topic):
            envelope = Envelope.from_kafka(record.headers, record.value)
            # A retired version stays on the topic from before it was retired.
            if envelope.type in EVENTS_BY_TYPE and envelope.dataschema not in RETIRED_DATASCHEMAS:
                strictly_valid(envelope)
                checked += 1
    assert checked >= 2  # at least the organization and the user above


def stack_bootstrap(stack) -> str:
    from millbook_stack import api

    return api.kafka_bootstrap(stack.profile)
