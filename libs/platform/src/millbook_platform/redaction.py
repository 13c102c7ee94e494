"""Which fields hold a secret, by name, and how to blank them.

One rule for every place that keeps what passed through it: the audit trail, the
stored responses of `Idempotency-Key` requests. A field is a secret when its last word
(split on `_` and `-`) is one of SECRET_WORDS — `token`, `sealed_token`,
`refresh_token`, `new_password`, `webhook_secret`, `smtp_password`, ... — or its whole
name is one of SECRET_NAMES. Deliberately wide: nobody reading an audit entry or a
replayed answer needs a token, a password or a key's secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
SECRET_WORDS = frozenset(
    {"token", "tokens", "secret", "secrets", "password", "passwords", "passwd", "passphrase"}
)
SECRET_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "x_api_key",
        "authorization",
        "private_key",
        "private_key_pem",
        "secret_key",
        "password_hash",
        "secret_hash",
        "token_hash",
        "credentials",
    }
)
# A superset of the rule as a PostgreSQL regular expression over a JSON text (`~*`),
# to find stored documents that may hold a secret-named field.
SECRET_KEY_PATTERN = (
    r'"[^"]*(token|secret|passw|passphrase|private.key|api.?key|authorization|credential)'
    r'[^"]*"\s*:'
)


def is_secret_field(name: str) -> bool:
    """Whether a field holds a secret, judged by its name alone."""
    normalized = name.strip().lower().replace("-", "_")
    last_word = normalized.rsplit("_", 1)[-1]
    return normalized in SECRET_NAMES or last_word in SECRET_WORDS


def redact_secrets(value: Any) -> Any:
    """`value` with every secret-named field, at any depth, replaced by REDACTED."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_secret_field(str(key)) else redact_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_secrets(item) for item in value]
    return value


def redact_json(body: bytes) -> bytes | None:
    """The JSON document `body` with its secret-named fields redacted, or None when it
    has none (or is not JSON): the caller keeps the original bytes then."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    redacted = redact_secrets(document)
    if redacted == document:
        return None
    return json.dumps(redacted, separators=(",", ":")).encode()
