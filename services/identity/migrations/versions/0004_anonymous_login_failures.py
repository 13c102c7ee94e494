"""Failed logins for emails without an account, so that they lock like real ones.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # System-wide like signing_keys: an email without an account belongs to no tenant.
    op.create_table(
        "anonymous_login_failures",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email_digest", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index(
        "ix_anonymous_login_failures_digest_created",
        "anonymous_login_failures",
        ["email_digest", "created_at"],
    )
    op.create_index(
        "ix_anonymous_login_failures_created_at", "anonymous_login_failures", ["created_at"]
    )


def downgrade() -> None:
    op.drop_table("anonymous_login_failures")
