"""Sales documents and settings: the organizations read model, quotation expiry.

Revision ID: 0003b
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from millbook_platform.db import tenant_rls_sql

revision: str = "0003b"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("base_currency", sa.String(length=3), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_currencies", postgresql.ARRAY(sa.String(length=3)), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_organizations")),
    )
    for statement in tenant_rls_sql("organizations"):
        op.execute(statement)
    op.add_column("quotations", sa.Column("expired_at", sa.DateTime(timezone=True)))
    # The expiry job looks only at sent quotations with a validity date.
    op.execute(
        "CREATE INDEX ix_quotations_expiry_pending ON quotations (valid_until) "
        "WHERE status = 'sent' AND valid_until IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_quotations_expiry_pending")
    op.drop_column("quotations", "expired_at")
    op.drop_table("organizations")
