"""Organization rules without I/O."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from millbook_platform.errors import ValidationFailed, field_error

_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class NewOrganization:
    name: str
    base_currency: str = "USD"
    timezone: str = "UTC"


def check_new_organization(org: NewOrganization) -> None:
    """Raise ValidationFailed naming each field a new organization gets wrong."""
    details = []
    if not org.name.strip():
        details.append(field_error("name", "must not be empty"))
    if not _CURRENCY.fullmatch(org.base_currency):
        details.append(field_error("base_currency", "must be an ISO 4217 code such as USD"))
    if org.timezone not in zoneinfo.available_timezones():
        details.append(field_error("timezone", "must be an IANA time zone such as Europe/Berlin"))
    if details:
        raise ValidationFailed("The organization is not valid.", details=details)
