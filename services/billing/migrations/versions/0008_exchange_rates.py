"""Tenant exchange rates; the base a goods receipt booked to GRNI and a bill cleared from it.

Receipts already posted and approved bills get their base back-filled the way they were
posted: a base-currency receipt at 1, a foreign one at the rate of the first approved bill
of its order (it waited for that rate), a bill line at its bill's rate (2-place bases).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from millbook_platform.db import tenant_rls_sql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=18, scale=4)
RATE = sa.Numeric(precision=18, scale=8)

BACKFILL = (
    """
    UPDATE deliveries d SET booked_rate = CASE
        WHEN d.currency_code = coalesce(
            (SELECT o.base_currency FROM organizations o WHERE o.tenant_id = d.tenant_id), 'USD'
        ) THEN 1
        ELSE (SELECT b.exchange_rate FROM bills b
              WHERE b.tenant_id = d.tenant_id AND b.purchase_order_id = d.purchase_order_id
                AND b.currency_code = d.currency_code AND b.approved_at IS NOT NULL
              ORDER BY b.approved_at LIMIT 1)
    END
    WHERE d.posted_at IS NOT NULL
    """,
    """
    UPDATE delivery_lines l SET booked_base = round(
        round(l.quantity_accepted * coalesce(
            (SELECT p.unit_price FROM purchase_order_lines p
             WHERE p.purchase_order_id = d.purchase_order_id AND p.line_number = l.po_line_number),
            l.unit_cost), 2) * d.booked_rate, 2)
    FROM deliveries d
    WHERE d.id = l.delivery_id AND d.posted_at IS NOT NULL AND d.booked_rate IS NOT NULL
    """,
    """
    UPDATE bill_lines l SET grni_base = round(
        round(l.quantity * coalesce(
            (SELECT p.unit_price FROM purchase_order_lines p
             WHERE p.purchase_order_id = b.purchase_order_id AND p.line_number = l.po_line_number),
            l.unit_price), 2) * b.exchange_rate, 2)
    FROM bills b
    WHERE b.id = l.bill_id AND b.approved_at IS NOT NULL AND l.po_line_number IS NOT NULL
    """,
)


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rates_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "tenant_id", "currency_code", "effective_date", name="uq_exchange_rates_tenant_day"
        ),
    )
    op.create_index(op.f("ix_exchange_rates_tenant_id"), "exchange_rates", ["tenant_id"])
    for statement in tenant_rls_sql("exchange_rates"):
        op.execute(statement)
    op.add_column("deliveries", sa.Column("booked_rate", RATE, nullable=True))
    op.add_column("delivery_lines", sa.Column("booked_base", MONEY, nullable=True))
    op.add_column("bill_lines", sa.Column("grni_base", MONEY, nullable=True))
    op.execute("SELECT set_config('app.all_tenants', 'on', true)")
    for statement in BACKFILL:
        op.execute(statement)
    op.execute("SELECT set_config('app.all_tenants', 'off', true)")


def downgrade() -> None:
    op.drop_column("bill_lines", "grni_base")
    op.drop_column("delivery_lines", "booked_base")
    op.drop_column("deliveries", "booked_rate")
    op.drop_table("exchange_rates")
