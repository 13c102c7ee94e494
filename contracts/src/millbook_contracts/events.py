"""Event payload contracts.

An event is a past-tense, immutable fact. Each class names its `event_type`
(also its CloudEvents `ce_type`) and `version`; within a version only optional
fields are added, and consumers ignore fields they do not know.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr

from millbook_contracts.envelope import dataschema_for
from millbook_contracts.topics import topic_of


class Event(BaseModel):
    """Base of every event payload."""

    # Consumers must tolerate fields added later within the same version.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def topic(cls) -> str:
        return topic_of(str(cls.event_type))

    @classmethod
    def dataschema(cls) -> str:
        return dataschema_for(str(cls.event_type), int(cls.version))

    def subject(self) -> str:
        """The aggregate id: the Kafka key, so one aggregate's events stay in order."""
        raise NotImplementedError


class OrganizationCreated(Event):
    """A tenant was created."""

    event_type: ClassVar[str] = "identity.organization.created"

    organization_id: uuid.UUID
    name: str
    base_currency: str
    created_at: datetime

    def subject(self) -> str:
        return str(self.organization_id)


class UserCreated(Event):
    """A person got an account in an organization."""

    event_type: ClassVar[str] = "identity.user.created"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: EmailStr
    first_name: str
    last_name: str
    roles: list[str]
    created_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class ApiKeyCreated(Event):
    """An organization created an API key (its secret is never in an event)."""

    event_type: ClassVar[str] = "identity.api_key.created"

    key_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    mode: str  # live | test
    scopes: list[str]
    expires_at: datetime | None = None
    created_at: datetime

    def subject(self) -> str:
        return str(self.key_id)


class ApiKeyRevoked(Event):
    """An API key stopped working; the gateway drops it from its cache on this event."""

    event_type: ClassVar[str] = "identity.api_key.revoked"

    key_id: uuid.UUID
    organization_id: uuid.UUID
    revoked_at: datetime
    reason: str = "revoked"  # revoked | rotated | expired

    def subject(self) -> str:
        return str(self.key_id)


class SessionRevoked(Event):
    """A login session ended early (logout, refresh-token reuse, password reset, admin).

    The gateway refuses the session's access tokens from this event on, not at expiry.
    """

    event_type: ClassVar[str] = "identity.session.revoked"

    session_id: uuid.UUID
    user_id: uuid.UUID
    organization_id: uuid.UUID
    revoked_at: datetime
    reason: str  # logout | refresh_token_reuse | password_reset | user_deactivated | admin

    def subject(self) -> str:
        return str(self.session_id)


ALL_EVENTS: tuple[type[Event], ...] = (
    OrganizationCreated,
    UserCreated,
    ApiKeyCreated,
    ApiKeyRevoked,
    SessionRevoked,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {event.event_type: event for event in ALL_EVENTS}
