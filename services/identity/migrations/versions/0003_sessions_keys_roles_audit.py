"""Identity, complete: organization settings and sandbox tenants, session families,
login failures, custom roles, API keys, password resets and the audit trail.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from millbook_platform.db import tenant_rls_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TENANT_TABLES = ("login_failures", "roles", "api_keys", "password_resets", "audit_entries")


def _row_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def _user_fk(table: str) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.Uuid(),
        sa.ForeignKey("users.id", ondelete="CASCADE", name=f"fk_{table}_user_id_users"),
        nullable=False,
    )


def upgrade() -> None:
    _extend_organizations()
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True)))
    _extend_sessions()

    op.create_table("login_failures", *_row_columns(), _user_fk("login_failures"))
    op.create_index("ix_login_failures_user_id", "login_failures", ["user_id"])

    op.create_table(
        "roles",
        *_row_columns(),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
    )
    op.create_index("uq_roles_tenant_name", "roles", ["tenant_id", "name"], unique=True)

    _create_api_keys()

    op.create_table(
        "password_resets",
        *_row_columns(),
        _user_fk("password_resets"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("token_hash", name="uq_password_resets_token_hash"),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])

    _create_audit_entries()

    for table in NEW_TENANT_TABLES:
        op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])
        for stmt in tenant_rls_sql(table):
            op.execute(stmt)


def _extend_organizations() -> None:
    op.add_column(
        "organizations",
        sa.Column("plan_tier", sa.String(20), nullable=False, server_default="standard"),
    )
    op.add_column(
        "organizations",
        sa.Column(
            "sandbox_tenant_id",
            sa.Uuid(),
            nullable=False,
            server_default=sa.text("gen_random_uuid()"),
        ),
    )
    op.alter_column("organizations", "sandbox_tenant_id", server_default=None)
    op.create_unique_constraint(
        "uq_organizations_sandbox_tenant_id", "organizations", ["sandbox_tenant_id"]
    )
    op.add_column(
        "organizations",
        sa.Column("audit_retention_days", sa.Integer(), nullable=False, server_default="90"),
    )
    op.add_column(
        "organizations",
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    )
    op.create_check_constraint(
        "ck_organizations_plan_tier_known",
        "organizations",
        "plan_tier IN ('standard', 'professional', 'enterprise')",
    )
    op.create_check_constraint(
        "ck_organizations_status_known", "organizations", "status IN ('active', 'inactive')"
    )
    op.create_check_constraint(
        "ck_organizations_retention_positive", "organizations", "audit_retention_days > 0"
    )


def _extend_sessions() -> None:
    op.add_column("sessions", sa.Column("family_id", sa.Uuid()))
    op.execute("UPDATE sessions SET family_id = id")
    op.alter_column("sessions", "family_id", nullable=False)
    op.create_index("ix_sessions_family_id", "sessions", ["family_id"])
    op.add_column("sessions", sa.Column("used_at", sa.DateTime(timezone=True)))


def _create_api_keys() -> None:
    op.create_table(
        "api_keys",
        *_row_columns(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(64)),
        sa.Column("previous_expires_at", sa.DateTime(timezone=True)),
        sa.Column("allowed_ips", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.String(100)),
        sa.UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
        sa.CheckConstraint("mode IN ('live', 'test')", name="ck_api_keys_mode_known"),
    )
    op.create_index("ix_api_keys_previous_secret_hash", "api_keys", ["previous_secret_hash"])


def _create_audit_entries() -> None:
    op.create_table(
        "audit_entries",
        *_row_columns(),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120)),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("resource_type", sa.String(100), nullable=False),
        sa.Column("resource_id", sa.String(200)),
        sa.Column("request_id", sa.String(128)),
        sa.Column("event_id", sa.Uuid()),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
    )
    op.create_index(
        "ix_audit_entries_tenant_occurred", "audit_entries", ["tenant_id", "occurred_at"]
    )
    op.create_index(
        "uq_audit_entries_event_id",
        "audit_entries",
        ["event_id"],
        unique=True,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )


def downgrade() -> None:
    for table in ("audit_entries", "password_resets", "api_keys", "roles", "login_failures"):
        op.drop_table(table)
    op.drop_index("ix_sessions_family_id", "sessions")
    op.drop_column("sessions", "used_at")
    op.drop_column("sessions", "family_id")
    op.drop_column("users", "deactivated_at")
    op.drop_constraint("uq_organizations_sandbox_tenant_id", "organizations")
    for column in ("status", "audit_retention_days", "sandbox_tenant_id", "plan_tier"):
        op.drop_column("organizations", column)
