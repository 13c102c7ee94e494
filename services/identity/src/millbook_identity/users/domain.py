"""User rules without I/O: statuses, email normalisation, what a new user must satisfy."""

from __future__ import annotations

from enum import StrEnum

from millbook_identity.auth.passwords import password_problems
from millbook_identity.roles.domain import unknown_roles
from millbook_platform.errors import ValidationFailed, field_error


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; they are stored lower-cased."""
    return email.strip().lower()


def check_new_user(email: str, password: str, roles: list[str]) -> None:
    """Raise ValidationFailed naming each field a new user gets wrong."""
    details = [field_error("password", problem) for problem in password_problems(password, email)]
    details += [field_error("roles", f"unknown role {role!r}") for role in unknown_roles(roles)]
    if details:
        raise ValidationFailed("The user is not valid.", details=details)
