"""Pricing settings and estimates; opportunities' pipeline columns and stage history.

Existing opportunities get one open stage-history row each (entered when created), so
every opportunity has a history from its current stage on.

Revision ID: 0003a
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from millbook_platform.db import tenant_rls_sql

revision: str = "0003a"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("pricing_settings", "pricing_estimates", "opportunity_stage_changes")
MONEY = sa.Numeric(precision=18, scale=4)
QUANTITY = sa.Numeric(precision=18, scale=4)
RATE = sa.Numeric(precision=9, scale=6)


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "pricing_settings",
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("machine_hourly_rate", MONEY, nullable=False),
        sa.Column("labor_hourly_rate", MONEY, nullable=False),
        sa.Column("overhead_percent", RATE, nullable=False),
        sa.Column("default_margin_percent", RATE, nullable=False),
        sa.Column("complexity", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("materials", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        *_tenant_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_settings")),
    )
    op.create_index("uq_pricing_settings_tenant", "pricing_settings", ["tenant_id"], unique=True)
    op.create_index(
        op.f("ix_pricing_settings_tenant_id"), "pricing_settings", ["tenant_id"], unique=False
    )
    op.create_table(
        "pricing_estimates",
        sa.Column("quotation_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("material_type", sa.String(length=50), nullable=False),
        sa.Column("machining_complexity", sa.String(length=30), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("machining_hours", QUANTITY, nullable=False),
        sa.Column("estimate_source", sa.String(length=20), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ["quotation_id"],
            ["quotations.id"],
            name=op.f("fk_pricing_estimates_quotation_id_quotations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_estimates")),
    )
    op.create_index(
        "ix_pricing_estimates_similar",
        "pricing_estimates",
        ["tenant_id", "material_type", "machining_complexity"],
        unique=False,
    )
    op.create_index(
        "uq_pricing_estimates_line",
        "pricing_estimates",
        ["tenant_id", "quotation_id", "line_number"],
        unique=True,
    )
    op.create_index(
        op.f("ix_pricing_estimates_tenant_id"), "pricing_estimates", ["tenant_id"], unique=False
    )
    op.create_table(
        "opportunity_stage_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("from_stage", sa.String(length=30), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_stage_changes_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_changes")),
    )
    op.create_index(
        "ix_opportunity_stage_changes_opportunity",
        "opportunity_stage_changes",
        ["tenant_id", "opportunity_id"],
        unique=False,
    )
    op.add_column("opportunities", sa.Column("probability", RATE, nullable=True))
    op.add_column("opportunities", sa.Column("lost_reason", sa.Text(), nullable=True))
    for name in ("stage_entered_at", "closed_at", "deleted_at"):
        op.add_column("opportunities", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_opportunities_tenant_stage", "opportunities", ["tenant_id", "stage"], unique=False
    )
    # Row-level security is forced on opportunities, so the backfill reads across tenants.
    op.execute("SELECT set_config('app.all_tenants', 'on', true)")
    op.execute("UPDATE opportunities SET stage_entered_at = created_at")
    op.execute(
        "INSERT INTO opportunity_stage_changes (id, tenant_id, opportunity_id, stage, entered_at) "
        "SELECT gen_random_uuid(), tenant_id, id, stage, created_at FROM opportunities"
    )
    op.execute("SELECT set_config('app.all_tenants', 'off', true)")
    for table in TENANT_TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_opportunities_tenant_stage", table_name="opportunities")
    for name in ("deleted_at", "closed_at", "stage_entered_at", "lost_reason", "probability"):
        op.drop_column("opportunities", name)
    op.drop_table("opportunity_stage_changes")
    op.drop_table("pricing_estimates")
    op.drop_table("pricing_settings")
