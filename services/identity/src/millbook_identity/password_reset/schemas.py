"""Password reset bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from millbook_identity.auth.passwords import MAX_LENGTH

ACCEPTED_MESSAGE = "If an account has this email, a message with a reset link is on its way."


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=MAX_LENGTH)


class ResetAccepted(BaseModel):
    status: str = "accepted"
    message: str = ACCEPTED_MESSAGE
