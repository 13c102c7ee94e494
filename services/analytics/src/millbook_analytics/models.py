"""Analytics' projections: read models built only from the event stream."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class ProjectedUser(Base):
    """One row per user an organization has created (from identity.user.created)."""

    __tablename__ = "projected_users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
