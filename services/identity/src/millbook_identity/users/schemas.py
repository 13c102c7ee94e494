"""User request and response bodies. No representation carries the password hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from millbook_identity.auth.passwords import MAX_LENGTH
from millbook_identity.roles.domain import DEFAULT_ROLE
from millbook_identity.users.domain import UserStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=320)]
Roles = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(
        min_length=1,
        max_length=20,
        description="Built-in roles (admin, accountant, sales, purchasing, support, viewer) "
        "or the organization's own.",
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(
        description="At least 10 characters, without the email's name, not a common password."
    )
    first_name: Name
    last_name: Name
    roles: Roles = Field(default_factory=lambda: [DEFAULT_ROLE])


class UserReplace(BaseModel):
    """PUT: every editable field of a user (the password is changed by the user or a reset)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    first_name: Name
    last_name: Name
    roles: Roles


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    roles: Roles | None = None


NEW_EMAIL_HELP = (
    "A new address needs current_password and changes only once confirmed with the link "
    "mailed to it (POST /v1/users/me/email/confirm); the old address is told."
)


class MeReplace(BaseModel):
    """PUT /v1/users/me: your names and email; never your roles, status or organization."""

    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description=NEW_EMAIL_HELP)
    first_name: Name
    last_name: Name
    password: Password | None = Field(default=None, description="Needs current_password.")
    current_password: Password | None = None


class MePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email | None = Field(default=None, description=NEW_EMAIL_HELP)
    first_name: Name | None = None
    last_name: Name | None = None
    password: Password | None = Field(default=None, description="Needs current_password.")
    current_password: Password | None = None


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID = Field(
        validation_alias=AliasChoices("organization_id", "tenant_id")
    )
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    status: UserStatus
    last_login_at: datetime | None
    deactivated_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class Me(User):
    """You, and the address you asked to move to while its confirmation link still works."""

    pending_email: str | None = Field(
        default=None,
        description="Not your login address yet: confirm it with the link mailed to it.",
    )


class EmailConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="From the link in the email.")
