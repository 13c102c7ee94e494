"""Invoices by (tenant, invoice date, created, id): the export's order and the date-range
filters, so a million-invoice export starts streaming without sorting them first.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_invoices_tenant_date",
        "invoices",
        ["tenant_id", "invoice_date", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_tenant_date", table_name="invoices")
