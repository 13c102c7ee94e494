import json
import uuid
from datetime import UTC, datetime

import pytest

from millbook_contracts.envelope import Envelope, EnvelopeError
from millbook_contracts.events import (
    ALL_EVENTS,
    EVENTS_BY_TYPE,
    RETIRED_DATASCHEMAS,
    PasswordResetRequested,
    UserCreated,
)
from millbook_contracts.export import asyncapi_document, export
from millbook_contracts.topics import ALL_TOPICS, topic_of


def make_envelope(**overrides):
    values = dict(
        id=uuid.uuid4(),
        source="/millbook/identity",
        type="identity.user.created",
        subject=str(uuid.uuid4()),
        tenant_id=uuid.uuid4(),
        time=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        dataschema="millbook:identity.user.created:v1",
        data=b'{"a": 1}',
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    values.update(overrides)
    return Envelope(**values)


def test_envelope_survives_a_trip_through_kafka_headers():
    envelope = make_envelope()
    assert Envelope.from_kafka(envelope.to_headers(), envelope.data) == envelope


def test_actor_and_request_id_travel_as_extensions():
    envelope = make_envelope(actor="user:42", request_id="req_1")
    headers = dict(envelope.to_headers())
    assert headers["ce_actor"] == b"user:42"
    assert headers["ce_requestid"] == b"req_1"
    assert Envelope.from_kafka(envelope.to_headers(), envelope.data) == envelope


def test_envelope_headers_follow_cloudevents_binary_mode():
    headers = dict(make_envelope().to_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_time"] == b"2026-11-24T08:30:00Z"
    assert headers["ce_dataschema"] == b"millbook:identity.user.created:v1"


def test_message_without_tenant_is_not_a_millbook_event():
    headers = [(k, v) for k, v in make_envelope().to_headers() if k != "ce_tenantid"]
    with pytest.raises(EnvelopeError, match="ce_tenantid"):
        Envelope.from_kafka(headers, b"{}")


def test_malformed_event_id_is_rejected():
    headers = [(k, b"not-a-uuid" if k == "ce_id" else v) for k, v in make_envelope().to_headers()]
    with pytest.raises(EnvelopeError):
        Envelope.from_kafka(headers, b"{}")


def test_every_event_is_published_on_a_declared_topic():
    declared = {topic.name for topic in ALL_TOPICS}
    for event in ALL_EVENTS:
        assert event.topic() in declared, event.event_type
        assert EVENTS_BY_TYPE[event.event_type] is event


def test_topic_of_event_type():
    assert topic_of("billing.invoice.paid") == "billing.invoice"


def test_consumers_ignore_fields_added_later():
    payload = {
        "user_id": str(uuid.uuid4()),
        "organization_id": str(uuid.uuid4()),
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "roles": ["admin"],
        "created_at": "2026-11-24T08:30:00Z",
        "a_field_from_the_future": 1,
    }
    event = UserCreated.model_validate_json(json.dumps(payload))
    assert event.email == "ada@example.com"


def test_asyncapi_document_names_every_event_with_cloudevents_headers(tmp_path):
    document = asyncapi_document()
    assert document["asyncapi"].startswith("3.")
    for event in ALL_EVENTS:
        message = document["components"]["messages"][event.event_type]
        assert "ce_tenantid" in message["headers"]["required"]
        assert message["payload"]["$id"] == event.dataschema()
    written = export(tmp_path)
    assert (tmp_path / "asyncapi.json") in written
    assert len(list((tmp_path / "schemas").glob("*.json"))) == len(ALL_EVENTS)


def test_a_retired_version_is_not_the_one_published_any_more():
    for dataschema in RETIRED_DATASCHEMAS:
        event_type = dataschema.split(":")[1]
        assert EVENTS_BY_TYPE[event_type].dataschema() != dataschema


def test_the_password_reset_event_carries_the_token_only_sealed():
    fields = set(PasswordResetRequested.model_fields)
    assert "token" not in fields
    assert {"sealed_token", "user_id", "email", "expires_at"} <= fields
    assert PasswordResetRequested.dataschema() == "millbook:identity.password_reset.requested:v2"
