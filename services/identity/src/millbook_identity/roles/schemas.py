"""Role bodies. Built-in roles are listed beside custom ones, read-only and without an id."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from millbook_identity.roles.domain import unknown_scopes

RoleName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_\-]*$"
    ),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Scopes = Annotated[list[str], Field(min_length=1, max_length=200)]


def _known(scopes: list[str] | None) -> list[str] | None:
    if scopes is None:
        return None
    unknown = unknown_scopes(scopes)
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return sorted(set(scopes))


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RoleName = Field(description="Lower case letters, digits, '_' and '-'.")
    description: Description = ""
    scopes: Scopes

    _scopes = field_validator("scopes")(_known)


class RolePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RoleName | None = None
    description: Description | None = None
    scopes: Scopes | None = None

    _scopes = field_validator("scopes")(_known)


class Role(BaseModel):
    id: uuid.UUID | None = Field(description="None for a built-in role.")
    name: str
    description: str
    scopes: list[str]
    built_in: bool
