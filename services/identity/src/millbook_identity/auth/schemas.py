"""Login, signup, refresh, verify, token and JWKS bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from millbook_identity.auth.passwords import MAX_LENGTH
from millbook_identity.users.schemas import User

Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
OptionalName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password
    organization_id: uuid.UUID | None = Field(
        default=None, description="Needed only when the email has accounts in several."
    )
    remember_me: bool = Field(
        default=False, description="Keep the refresh token for 30 days instead of one."
    )


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    email: EmailStr = Field(max_length=320)
    password: Password
    first_name: OptionalName = "Admin"
    last_name: OptionalName = "User"


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=8192)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: User


class Verification(BaseModel):
    active: bool = Field(description="False when expired, revoked or not signed by identity.")
    claims: dict[str, Any]


class RetiringKey(BaseModel):
    kid: str
    retires_at: datetime


class KeyRotation(BaseModel):
    kid: str = Field(description="The key that signs access tokens from now on.")
    retiring: list[RetiringKey]


class Jwks(BaseModel):
    """A JSON Web Key Set (RFC 7517) of the public keys that sign access tokens."""

    keys: list[dict[str, Any]]
