"""Redact the secrets already stored in the audit trail.

Before this, `identity.password_reset.requested` (v1) carried the reset token in clear
and the audit consumer kept every event's payload as it came, so anyone with
`audit:read` could read an owner's reset token. The consumer now redacts secret-named
fields before it writes; this rewrites the entries written before, of every tenant,
with the same rule (`millbook_platform.redaction.redact_secrets`). Only entries
whose payload has a field named like a secret are read; each is rewritten at most once.
There is no way back: a downgrade leaves the redacted entries as they are.

The reset tokens still usable when this runs were published in clear (Kafka keeps the
v1 events forever), so they are spent too: each ends now, and its user asks again.

Revision ID: 0006_redact_audit_secrets
Revises: 0005
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from millbook_platform.redaction import SECRET_KEY_PATTERN, redact_secrets

revision: str = "0006_redact_audit_secrets"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    _redact_audit_entries()
    op.execute(
        "UPDATE password_resets SET expires_at = now() WHERE used_at IS NULL AND expires_at > now()"
    )


def _redact_audit_entries() -> None:
    bind = op.get_bind()
    after = None
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, payload FROM audit_entries"
                " WHERE payload::text ~* :pattern AND (CAST(:after AS uuid) IS NULL OR id > :after)"
                " ORDER BY id LIMIT :batch"
            ),
            {"pattern": SECRET_KEY_PATTERN, "after": after, "batch": BATCH},
        ).all()
        for entry_id, payload in rows:
            redacted = redact_secrets(payload)
            if redacted != payload:
                bind.execute(
                    sa.text(
                        "UPDATE audit_entries SET payload = CAST(:payload AS jsonb) WHERE id = :id"
                    ),
                    {"payload": json.dumps(redacted), "id": entry_id},
                )
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def downgrade() -> None:
    # A secret once redacted is gone; the entries stay as they are.
    pass
