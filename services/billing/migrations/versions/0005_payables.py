"""Payables: supplier, purchase order and delivery read models, bills, matching results.

Revision ID: 0005
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from millbook_platform.db import tenant_rls_sql

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "suppliers",
    "purchase_orders",
    "purchase_order_lines",
    "deliveries",
    "delivery_lines",
    "bills",
    "bill_lines",
    "matching_results",
    "matching_settings",
)
MONEY = sa.Numeric(precision=18, scale=4)
QUANTITY = sa.Numeric(precision=18, scale=4)
RATE = sa.Numeric(precision=18, scale=8)


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _line_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
    ]


def _money(*names: str) -> list[sa.Column[object]]:
    return [sa.Column(name, MONEY, nullable=False) for name in names]


def _read_models() -> None:
    op.create_table(
        "suppliers",
        *_tenant_columns(),
        sa.Column("supplier_code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("payment_terms", sa.String(length=40), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("tax_number", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
    )
    op.create_index(op.f("ix_suppliers_tenant_id"), "suppliers", ["tenant_id"])
    op.create_index("ix_suppliers_tenant_name", "suppliers", ["tenant_id", "name"])
    op.create_table(
        "purchase_orders",
        *_tenant_columns(),
        sa.Column("po_number", sa.String(length=30), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=True),
        sa.Column("payment_terms", sa.String(length=40), nullable=True),
        *_money("subtotal", "tax_amount", "total_amount"),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    op.create_index(op.f("ix_purchase_orders_tenant_id"), "purchase_orders", ["tenant_id"])
    op.create_index(
        "ix_purchase_orders_tenant_supplier", "purchase_orders", ["tenant_id", "supplier_id"]
    )
    op.create_table(
        "purchase_order_lines",
        *_line_columns(),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("tax_rate", RATE, nullable=False),
        *_money("subtotal", "tax_amount", "total_amount"),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint("purchase_order_id", "line_number", name="uq_po_lines_po_line_number"),
    )
    op.create_table(
        "deliveries",
        *_tenant_columns(),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_number", sa.String(length=40), nullable=True),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(op.f("ix_deliveries_tenant_id"), "deliveries", ["tenant_id"])
    op.create_index("ix_deliveries_tenant_po", "deliveries", ["tenant_id", "purchase_order_id"])
    op.create_table(
        "delivery_lines",
        *_line_columns(),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("po_line_number", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=True),
        sa.Column("quantity_received", QUANTITY, nullable=False),
        sa.Column("quantity_accepted", QUANTITY, nullable=False),
        sa.Column("quantity_rejected", QUANTITY, nullable=False),
        sa.Column("unit_cost", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_lines_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_lines")),
    )
    op.create_index(op.f("ix_delivery_lines_delivery_id"), "delivery_lines", ["delivery_id"])


def _bills() -> None:
    op.create_table(
        "bills",
        *_tenant_columns(),
        sa.Column("internal_number", sa.String(length=30), nullable=True),
        sa.Column("bill_number", sa.String(length=60), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("payment_terms", sa.String(length=40), nullable=True),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", RATE, nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        *_money("subtotal", "tax_amount", "total_amount", "paid_amount", "balance_amount"),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.Date(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("due_date >= bill_date", name=op.f("ck_bills_due_not_before_bill_date")),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= total_amount",
            name=op.f("ck_bills_paid_within_total"),
        ),
        sa.CheckConstraint(
            "balance_amount = total_amount - paid_amount", name=op.f("ck_bills_balance_is_open")
        ),
        sa.CheckConstraint("exchange_rate > 0", name=op.f("ck_bills_exchange_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills")),
        sa.UniqueConstraint("tenant_id", "internal_number", name="uq_bills_tenant_internal_number"),
    )
    op.create_index(op.f("ix_bills_tenant_id"), "bills", ["tenant_id"])
    op.create_index(
        "uq_bills_supplier_bill_number",
        "bills",
        ["tenant_id", "supplier_id", sa.text("lower(bill_number)")],
        unique=True,
        postgresql_where=sa.text("status <> 'voided'"),
    )
    op.create_index("ix_bills_tenant_status_due", "bills", ["tenant_id", "status", "due_date"])
    op.create_index("ix_bills_tenant_po", "bills", ["tenant_id", "purchase_order_id"])
    op.create_table(
        "bill_lines",
        *_line_columns(),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("po_line_number", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("tax_rate", RATE, nullable=False),
        sa.Column("expense_category", sa.String(length=20), nullable=True),
        *_money("subtotal", "tax_amount", "total_amount"),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bills.id"],
            name=op.f("fk_bill_lines_bill_id_bills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_lines")),
    )
    op.create_index(op.f("ix_bill_lines_bill_id"), "bill_lines", ["bill_id"])
    op.create_table(
        "matching_results",
        *_tenant_columns(),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("price_tolerance", RATE, nullable=False),
        sa.Column("quantity_tolerance", RATE, nullable=False),
        sa.Column("tolerance_requested", sa.Boolean(), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("variances", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bills.id"],
            name=op.f("fk_matching_results_bill_id_bills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_results")),
        sa.UniqueConstraint("bill_id", name="uq_matching_results_bill_id"),
    )
    op.create_index(op.f("ix_matching_results_tenant_id"), "matching_results", ["tenant_id"])
    op.create_index(
        "ix_matching_results_tenant_status", "matching_results", ["tenant_id", "status"]
    )


def _matching_settings() -> None:
    op.create_table(
        "matching_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("price_tolerance", RATE, nullable=False),
        sa.Column("quantity_tolerance", RATE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_tolerance >= 0 AND quantity_tolerance >= 0",
            name=op.f("ck_matching_settings_tolerances_not_negative"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_matching_settings")),
    )


def upgrade() -> None:
    _read_models()
    _bills()
    _matching_settings()
    for table in TENANT_TABLES:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
