"""Joins the two branches built side by side: pricing and opportunities (0003a),
quotation documents, tenant settings and expiry (0003b). No schema change.

Revision ID: 0005
Revises: 0003a, 0003b
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: tuple[str, ...] = ("0003a", "0003b")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
