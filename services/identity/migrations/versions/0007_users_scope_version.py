"""Each user's scope version, which their access tokens carry and a scope change raises.

Revision ID: 0007_users_scope_version
Revises: 0006_redact_audit_secrets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_users_scope_version"
down_revision: str | None = "0006_redact_audit_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("scope_version", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("users", "scope_version")
