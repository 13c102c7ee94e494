"""User rules without I/O: statuses, email normalisation, what a user's fields must satisfy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from millbook_identity.auth.passwords import password_problems
from millbook_identity.roles.domain import CustomRoles, unknown_roles
from millbook_platform.errors import InvalidTransition, ValidationFailed, field_error


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


# What a user's own PATCH/PUT of `/v1/users/me` may touch; roles, status and tenant never.
SELF_EDITABLE = frozenset({"first_name", "last_name", "email"})


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; they are stored lower-cased."""
    return email.strip().lower()


def role_problems(roles: Iterable[str], custom: CustomRoles | None = None) -> list[dict[str, str]]:
    return [field_error("roles", f"unknown role {role!r}") for role in unknown_roles(roles, custom)]


def check_new_user(
    email: str, password: str, roles: list[str], custom: CustomRoles | None = None
) -> None:
    """Raise ValidationFailed naming each field a new user gets wrong."""
    details = [field_error("password", problem) for problem in password_problems(password, email)]
    details += role_problems(roles, custom)
    if details:
        raise ValidationFailed("The user is not valid.", details=details)


def check_password(email: str, password: str, field: str = "password") -> None:
    problems = password_problems(password, email)
    if problems:
        raise ValidationFailed(
            "The password is not acceptable.",
            details=[field_error(field, problem) for problem in problems],
        )


def changed_fields(current: dict[str, object], wanted: dict[str, object]) -> list[str]:
    """The fields whose wanted value differs from the current one, in a stable order."""
    return sorted(field for field, value in wanted.items() if current.get(field) != value)


def check_reactivation(status: str) -> None:
    """Only a deactivated user can be brought back; an active one is a bad transition."""
    if status != UserStatus.INACTIVE:
        raise InvalidTransition(
            "The user is active; only a deactivated user can be reactivated.",
            details=[field_error("status", f"is {status}, not inactive")],
        )


# How long the link mailed to a new address may confirm the change.
EMAIL_CHANGE_LIFETIME = timedelta(hours=24)


def new_email_of(current: str, wanted: str | None) -> str | None:
    """The normalised address a user asks to move to, or None when it is the one they have
    (PUT resends the current address; that is not a change and needs no password)."""
    if wanted is None:
        return None
    wanted = normalize_email(wanted)
    return None if wanted == normalize_email(current) else wanted


def email_change_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    """A confirmation token works once, within its day."""
    return used_at is None and now < expires_at
