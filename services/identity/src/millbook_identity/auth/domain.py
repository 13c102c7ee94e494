"""Which account a login opens, decided without I/O.

An email may belong to several organizations. Every failure reads the same so
that a caller cannot learn whether an email has an account; only a caller who
knows the password of two accounts is asked to name the organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from millbook_identity.users.domain import UserStatus
from millbook_platform.errors import AuthInvalid, ValidationFailed, field_error

INVALID_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True)
class LoginCandidate:
    """An account with the login's email, and whether the password matched it."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    status: str
    password_matches: bool


def in_organization(
    candidates: Sequence[LoginCandidate], organization_id: uuid.UUID | None
) -> list[LoginCandidate]:
    if organization_id is None:
        return list(candidates)
    return [c for c in candidates if c.organization_id == organization_id]


def choose_account(
    candidates: Sequence[LoginCandidate], organization_id: uuid.UUID | None
) -> LoginCandidate:
    """The one account this login opens; AuthInvalid or ValidationFailed otherwise."""
    usable = [
        c
        for c in in_organization(candidates, organization_id)
        if c.password_matches and c.status == UserStatus.ACTIVE
    ]
    if not usable:
        raise AuthInvalid(INVALID_CREDENTIALS)
    if len(usable) > 1:
        raise ValidationFailed(
            "This email has an account in several organizations; say which one.",
            details=[field_error("organization_id", "required when the email is in several")],
        )
    return usable[0]
