import json
import re

import pytest

from millbook_platform.redaction import (
    REDACTED,
    SECRET_KEY_PATTERN,
    is_secret_field,
    redact_json,
    redact_secrets,
)


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
    for name in ["sealed_token", "X-API-Key", "password_hash", "webhook_secret", "passphrase"]:
        assert re.search(SECRET_KEY_PATTERN, json.dumps({name: "x"}), re.IGNORECASE), name


def test_a_json_body_without_secrets_is_left_alone_and_one_with_them_is_rewritten():
    assert redact_json(b'{"data": {"id": "k1", "name": "ci"}}') is None
    assert redact_json(b"%PDF-1.7 not json") is None
    redacted = redact_json(b'{"data": {"id": "k1", "secret": "sk_test_canary"}}')
    assert json.loads(redacted) == {"data": {"id": "k1", "secret": REDACTED}}
