"""Pending e-mail changes: a user's new address waits for the token mailed there.

Revision ID: 0008_email_changes
Revises: 0007_users_scope_version
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from millbook_platform.db import tenant_rls_sql

revision: str = "0008_email_changes"
down_revision: str | None = "0007_users_scope_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_changes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_email_changes_user_id_users"),
            nullable=False,
        ),
        sa.Column("new_email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("token_hash", name="uq_email_changes_token_hash"),
        sa.CheckConstraint(
            "new_email = lower(new_email)", name="ck_email_changes_email_lower_case"
        ),
    )
    op.create_index("ix_email_changes_user_id", "email_changes", ["user_id"])
    op.create_index("ix_email_changes_tenant_id", "email_changes", ["tenant_id"])
    for stmt in tenant_rls_sql("email_changes"):
        op.execute(stmt)


def downgrade() -> None:
    op.drop_table("email_changes")
