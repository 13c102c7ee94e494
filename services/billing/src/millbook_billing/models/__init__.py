"""Every billing table, imported here so the metadata (and alembic) sees them all."""

from millbook_billing.models.base import Base, DocumentCounter

__all__ = ["Base", "DocumentCounter"]
