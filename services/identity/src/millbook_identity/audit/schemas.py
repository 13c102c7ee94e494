"""Audit entry bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    actor: str | None
    actor_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
    event_id: uuid.UUID | None
    payload: dict[str, Any]
