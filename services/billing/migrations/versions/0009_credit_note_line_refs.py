"""A credit note line names the invoice line it credits, so no line is credited beyond
what it has left. Lines of earlier credit notes (by amount) name none.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("credit_note_lines", sa.Column("invoice_line_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_credit_note_lines_invoice_line_id_invoice_lines"),
        "credit_note_lines",
        "invoice_lines",
        ["invoice_line_id"],
        ["id"],
    )
    op.create_index(
        op.f("ix_credit_note_lines_invoice_line_id"),
        "credit_note_lines",
        ["invoice_line_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_note_lines_invoice_line_id"), table_name="credit_note_lines")
    op.drop_constraint(
        op.f("fk_credit_note_lines_invoice_line_id_invoice_lines"),
        "credit_note_lines",
        type_="foreignkey",
    )
    op.drop_column("credit_note_lines", "invoice_line_id")
