"""Organization rules without I/O."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum

from millbook_platform.errors import ValidationFailed, field_error

_CURRENCY = re.compile(r"[A-Z]{3}")


class PlanTier(StrEnum):
    STANDARD = "standard"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class OrganizationStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


# Only a platform admin changes these; an organization's admin may change the rest.
PLATFORM_FIELDS = frozenset({"plan_tier", "audit_retention_days"})


@dataclass(frozen=True)
class NewOrganization:
    name: str
    base_currency: str = "USD"
    timezone: str = "UTC"
    plan_tier: str = PlanTier.STANDARD.value


def settings_problems(
    *, name: str | None = None, base_currency: str | None = None, timezone: str | None = None
) -> list[dict[str, str]]:
    """Field errors for whichever settings are given."""
    details = []
    if name is not None and not name.strip():
        details.append(field_error("name", "must not be empty"))
    if base_currency is not None and not _CURRENCY.fullmatch(base_currency):
        details.append(field_error("base_currency", "must be an ISO 4217 code such as USD"))
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        details.append(field_error("timezone", "must be an IANA time zone such as Europe/Berlin"))
    return details


def check_new_organization(org: NewOrganization) -> None:
    """Raise ValidationFailed naming each field a new organization gets wrong."""
    details = settings_problems(
        name=org.name, base_currency=org.base_currency, timezone=org.timezone
    )
    if details:
        raise ValidationFailed("The organization is not valid.", details=details)


def platform_fields_in(changes: dict[str, object]) -> list[str]:
    return sorted(field for field in changes if field in PLATFORM_FIELDS)
