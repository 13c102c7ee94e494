"""Organization request and response bodies."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from millbook_identity.organizations.domain import OrganizationStatus, PlanTier

OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _iana(timezone: str) -> str:
    if timezone not in zoneinfo.available_timezones():
        raise ValueError("must be an IANA time zone such as Europe/Berlin")
    return timezone


Timezone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_iana)]
Retention = Annotated[int, Field(ge=1, le=3650)]


class FirstAdmin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=256)
    first_name: Name = "Admin"
    last_name: Name = "User"


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrgName
    base_currency: Currency = "USD"
    timezone: Timezone = "UTC"
    plan_tier: PlanTier = PlanTier.STANDARD
    admin: FirstAdmin = Field(description="The organization's first user, with the admin role.")


class OrganizationReplace(BaseModel):
    """PUT: every setting, for platform admins."""

    model_config = ConfigDict(extra="forbid")

    name: OrgName
    base_currency: Currency
    timezone: Timezone
    plan_tier: PlanTier
    audit_retention_days: Retention = 90


class OrganizationPatch(BaseModel):
    """PATCH: the settings given; plan tier and retention only for platform admins."""

    model_config = ConfigDict(extra="forbid")

    name: OrgName | None = None
    base_currency: Currency | None = None
    timezone: Timezone | None = None
    plan_tier: PlanTier | None = None
    audit_retention_days: Retention | None = None


class Organization(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    base_currency: str
    timezone: str
    plan_tier: PlanTier
    status: OrganizationStatus
    sandbox_tenant_id: uuid.UUID = Field(description="The tenant `sk_test_` keys act in.")
    audit_retention_days: int
    created_at: datetime
    updated_at: datetime
