"""Joins the four branches built side by side: the ledger (0003), receivables (0004),
payables (0005), expenses and documents (0006). No schema change.

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: tuple[str, ...] = ("0003", "0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
