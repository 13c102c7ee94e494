"""The local read model of identity's users, kept for lead assignment."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_sales.models.base import Base


class SalesUser(Base):
    """A user of the organization as identity's events describe them."""

    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    active: Mapped[bool] = mapped_column(Boolean)
    # When identity last spoke of this user; older events do not overwrite newer state.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeadAssignmentCursor(Base):
    """The user who got the tenant's last auto-assigned lead; its row lock orders assignments."""

    __tablename__ = "lead_assignment_cursors"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
