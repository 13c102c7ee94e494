"""Each failed login's source (client address): the lockout counts per account and source.

Revision ID: 0009_login_failure_source
Revises: 0008_email_changes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_login_failure_source"
down_revision: str | None = "0008_email_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("login_failures", "anonymous_login_failures")


def upgrade() -> None:
    # Failures recorded before this revision count as one unknown source.
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("source", sa.String(64), nullable=False, server_default="unknown"),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "source")
