"""User request and response bodies. No representation carries the password hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from millbook_identity.roles.domain import DEFAULT_ROLE
from millbook_identity.users.domain import UserStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: str = Field(description="At least 10 characters, not the email address.")
    first_name: Name
    last_name: Name
    roles: list[str] = Field(
        default_factory=lambda: [DEFAULT_ROLE],
        min_length=1,
        description="Built-in roles: admin, accountant, sales, purchasing, support, viewer.",
    )


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID = Field(validation_alias="tenant_id")
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    status: UserStatus
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
