"""The local read model of the tenant's organization, and sales' settings for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import utcnow
from millbook_sales.models.base import Base


class SalesOrganization(Base):
    """One row per tenant: identity's name and base currency, plus sales' own settings."""

    __tablename__ = "organizations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Unknown (None) until identity's first organization event arrives.
    name: Mapped[str | None] = mapped_column(String(200))
    base_currency: Mapped[str | None] = mapped_column(String(3))
    # When identity last spoke of the organization; older events change nothing.
    as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set through `PUT /v1/sales/settings`; None means "the base currency only".
    accepted_currencies: Mapped[list[str] | None] = mapped_column(ARRAY(String(3)))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
