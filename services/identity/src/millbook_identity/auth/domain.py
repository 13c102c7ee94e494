"""Which account a login opens, and what a refresh token leads to, decided without I/O.

An email may belong to several organizations. Every failure reads the same so
that a caller cannot learn whether an email has an account; only a caller who
knows the password of two accounts is asked to name the organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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


class RefreshOutcome(StrEnum):
    """What presenting a refresh token leads to."""

    ROTATE = "rotate"  # issue the successor, mark this one used
    REUSED = "reused"  # already used: assume theft, revoke the whole family
    REFUSED = "refused"  # unknown, expired or revoked


@dataclass(frozen=True)
class RefreshState:
    """The stored facts about one refresh token."""

    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def refresh_outcome(state: RefreshState | None, now: datetime) -> RefreshOutcome:
    """Rotation with reuse detection: a used token presented again means a copy exists."""
    if state is None or state.revoked_at is not None:
        return RefreshOutcome.REFUSED
    if state.used_at is not None:
        return RefreshOutcome.REUSED
    if state.expires_at <= now:
        return RefreshOutcome.REFUSED
    return RefreshOutcome.ROTATE


@dataclass(frozen=True)
class SessionRow:
    """A refresh token's session: itself and the login (family) it belongs to."""

    id: uuid.UUID
    family_id: uuid.UUID


def sessions_to_end(live: Sequence[SessionRow], keeping: uuid.UUID | None) -> list[uuid.UUID]:
    """Every live session but the login that session `keeping` is part of (a password change
    ends the user's other logins, not the one that made it)."""
    kept = next((s.family_id for s in live if s.id == keeping), None)
    return [s.id for s in live if kept is None or s.family_id != kept]
