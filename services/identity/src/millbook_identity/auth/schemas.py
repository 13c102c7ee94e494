"""Login, token and JWKS bodies."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from millbook_identity.auth.passwords import MAX_LENGTH
from millbook_identity.users.schemas import User


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    organization_id: uuid.UUID | None = Field(
        default=None, description="Needed only when the email has accounts in several."
    )


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: User


class Jwks(BaseModel):
    """A JSON Web Key Set (RFC 7517) of the public keys that sign access tokens."""

    keys: list[dict[str, Any]]
