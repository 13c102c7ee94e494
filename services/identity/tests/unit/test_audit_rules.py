from datetime import UTC, datetime, timedelta

import pytest

from millbook_identity.audit.domain import (
    REDACTED,
    SECRET_KEY_PATTERN,
    Actor,
    is_secret_field,
    redact_secrets,
    resource_type_of,
    retention_cutoff,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_retention_cutoff_is_the_given_days_before_now():
    assert retention_cutoff(NOW, 90) == NOW - timedelta(days=90)
    assert retention_cutoff(NOW, 1) == NOW - timedelta(days=1)


def test_retention_never_reaches_into_today():
    assert retention_cutoff(NOW, 0) == NOW - timedelta(days=1)


def test_resource_type_is_the_aggregate_of_the_event_type():
    assert resource_type_of("billing.invoice.paid") == "invoice"
    assert resource_type_of("identity.password_reset.requested") == "password_reset"
    assert resource_type_of("odd") == "odd"


def test_actor_splits_into_kind_and_id():
    assert Actor.parse("user:42") == Actor("user", "42")
    assert Actor.parse("api_key:7") == Actor("api_key", "7")
    assert Actor.parse(None) == Actor(None, None)


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "sealed_token",
        "refresh_token",
        "access_token",
        "secret",
        "client_secret",
        "webhook_secret",
        "password",
        "new_password",
        "smtp_password",
        "passphrase",
        "api_key",
        "X-API-Key",
        "Authorization",
        "private_key",
        "password_hash",
    ],
)
def test_a_field_named_like_a_secret_is_a_secret(name):
    assert is_secret_field(name)


@pytest.mark.parametrize(
    "name", ["key_id", "user_id", "token_ttl_s", "password_changed_at", "reason", "email"]
)
def test_ordinary_fields_are_not_secrets(name):
    assert not is_secret_field(name)


def test_redaction_reaches_nested_fields_and_keeps_everything_else():
    payload = {
        "user_id": "u1",
        "token": "canary-1",
        "changes": [{"field": "password", "new_password": "canary-2"}],
        "smtp": {"host": "mail.example.com", "password": "canary-3"},
    }

    redacted = redact_secrets(payload)

    assert redacted == {
        "user_id": "u1",
        "token": REDACTED,
        "changes": [{"field": "password", "new_password": REDACTED}],
        "smtp": {"host": "mail.example.com", "password": REDACTED},
    }
    assert "canary" not in repr(redacted)


def test_the_sql_pattern_finds_every_payload_the_rule_redacts():
    import json
    import re

    for name in ["sealed_token", "X-API-Key", "password_hash", "webhook_secret", "passphrase"]:
        assert re.search(SECRET_KEY_PATTERN, json.dumps({name: "x"}), re.IGNORECASE), name
