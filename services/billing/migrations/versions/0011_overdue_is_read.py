"""`overdue` is derived when an invoice is read, never stored: stored `overdue` rows go back
to the status they had (`partial` if anything was paid or credited, else `sent`), and
`overdue_at` only records that `billing.invoice.overdue` was published. The job's query
(past due, not yet announced) gets a partial index.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SELECT set_config('app.all_tenants', 'on', true)")  # behind row-level security
    op.execute(
        "UPDATE invoices SET status = CASE WHEN paid_amount + credited_amount > 0 "
        "THEN 'partial' ELSE 'sent' END WHERE status = 'overdue'"
    )
    op.create_index(
        "ix_invoices_overdue_unannounced",
        "invoices",
        ["due_date"],
        unique=False,
        postgresql_where=sa.text("status IN ('sent', 'partial') AND overdue_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_overdue_unannounced", table_name="invoices")
    op.execute("SELECT set_config('app.all_tenants', 'on', true)")
    op.execute(
        "UPDATE invoices SET status = 'overdue' "
        "WHERE status IN ('sent', 'partial') AND overdue_at IS NOT NULL AND balance_amount > 0"
    )
