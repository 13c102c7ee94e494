"""Contact request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from millbook_platform.api_types import Email, Text50, Text100

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    first_name: PersonName
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    email: Email | None = None
    phone: Text50 | None = None
    title: Text100 | None = None


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = None
    phone: Text50 | None = None
    title: Text100 | None = None


REQUIRED_FIELDS = frozenset({"first_name", "last_name"})


class Contact(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    title: str | None
    created_at: datetime
    updated_at: datetime
