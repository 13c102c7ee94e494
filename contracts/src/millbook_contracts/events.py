"""Event payload contracts.

An event is a past-tense, immutable fact. Each class names its `event_type`
(also its CloudEvents `ce_type`) and `version`; within a version only optional
fields are added, and consumers ignore fields they do not know.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import EmailStr

from millbook_contracts.base import Event as Event  # re-exported: services import it from here
from millbook_contracts.billing import BILLING_EVENTS
from millbook_contracts.expenses import EXPENSE_EVENTS
from millbook_contracts.payables import PAYABLES_EVENTS
from millbook_contracts.purchasing import PURCHASING_EVENTS
from millbook_contracts.sales import SALES_EVENTS


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


class ApiKeyRotated(Event):
    """An API key got a new secret; the previous one works until `previous_secret_expires_at`.

    None there means the previous secret stopped at once (a rotation without grace). The
    gateway drops the key's cached resolutions on this event, so the old secret is asked
    about again and refused once its grace is over. `prefix` is the new secret's display
    prefix (as the key's list shows it), which a key's access tokens carry in their
    `key_prefix` claim: every process refuses the tokens of the key's other secrets from
    `previous_secret_expires_at` on. Absent in events from before it was added.
    """

    event_type: ClassVar[str] = "identity.api_key.rotated"

    key_id: uuid.UUID
    organization_id: uuid.UUID
    rotated_at: datetime
    previous_secret_expires_at: datetime | None = None
    prefix: str | None = None

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
    # logout | refresh_token_reuse | password_reset | password_changed | user_deactivated | admin
    reason: str

    def subject(self) -> str:
        return str(self.session_id)


class OrganizationUpdated(Event):
    """An organization's settings changed; `changed` names the fields that did."""

    event_type: ClassVar[str] = "identity.organization.updated"

    organization_id: uuid.UUID
    name: str
    base_currency: str
    timezone: str
    plan_tier: str  # standard | professional | enterprise
    changed: list[str]
    updated_at: datetime

    def subject(self) -> str:
        return str(self.organization_id)


class UserUpdated(Event):
    """A user's profile changed (names, email or roles); `changed` names the fields that did."""

    event_type: ClassVar[str] = "identity.user.updated"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: EmailStr
    first_name: str
    last_name: str
    roles: list[str]
    changed: list[str]
    updated_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class UserDeactivated(Event):
    """A user can no longer log in; their history stays."""

    event_type: ClassVar[str] = "identity.user.deactivated"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    deactivated_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class RoleChanged(Event):
    """A user's roles changed, and with them the scopes of their next access token."""

    event_type: ClassVar[str] = "identity.role.changed"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    previous_roles: list[str]
    roles: list[str]
    changed_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class UserPermissionsChanged(Event):
    """What a user may do changed: their roles, or the scopes of a role they hold.

    Their access tokens carry a `scope_version` claim; tokens with a lower one than
    `scope_version` here carry the old scopes, and the gateway refuses them so that the
    client refreshes and gets the new ones. The user's sessions stay open.
    """

    event_type: ClassVar[str] = "identity.user.permissions_changed"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    scope_version: int
    reason: str  # roles_changed | role_updated
    changed_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class PasswordResetRequested(Event):
    """Someone asked to reset the password of an account (version 2).

    The single-use reset token travels only as `sealed_token`: a libsodium sealed box
    (base64) to the inbox service's public key, so the inbox can mail the link and
    nobody else who reads the topic or the audit trail can use it (identity keeps only
    the token's hash). The token expires at `expires_at`.

    Version 1 carried the token in clear (`token`) and is not published any more: v1
    *was* the leak, so it is retired rather than kept beside v2 as a breaking change
    normally would be. A consumer still reading v1 receives nothing new.
    """

    event_type: ClassVar[str] = "identity.password_reset.requested"
    version: ClassVar[int] = 2

    reset_id: uuid.UUID
    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: EmailStr
    sealed_token: str
    expires_at: datetime
    requested_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class EmailChangeRequested(Event):
    """A user asked to change their login address to `new_email`, proving their password.

    The address changes only once the single-use token mailed to `new_email` comes back
    (POST /v1/users/me/email/confirm) before `expires_at`. Like a reset token, it travels
    only as `sealed_token`, a libsodium sealed box (base64) to the inbox service's public
    key; identity keeps only its hash. The old address is told by EmailChangeNotified.
    """

    event_type: ClassVar[str] = "identity.user.email_change_requested"

    change_id: uuid.UUID
    user_id: uuid.UUID
    organization_id: uuid.UUID
    new_email: EmailStr
    sealed_token: str
    expires_at: datetime
    requested_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class EmailChangeNotified(Event):
    """A notice for the OLD login address `email` that it is being replaced by `new_email`.

    `stage` says what happened: `requested` (the user asked; nothing changed yet),
    `confirmed` (the user confirmed from the new address; `email` no longer logs in) or
    `changed_by_admin` (an administrator changed it directly). The inbox mails it to
    `email`, so the owner of the account learns of a change they did not make.
    """

    event_type: ClassVar[str] = "identity.user.email_change_notified"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: EmailStr
    new_email: EmailStr
    stage: Literal["requested", "confirmed", "changed_by_admin"]
    notified_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class UserReactivated(Event):
    """A deactivated user can log in again, with the roles and password they had."""

    event_type: ClassVar[str] = "identity.user.reactivated"

    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: EmailStr
    first_name: str
    last_name: str
    roles: list[str]
    reactivated_at: datetime

    def subject(self) -> str:
        return str(self.user_id)


class RoleCreated(Event):
    """An organization defined a custom role: a named bundle of scopes."""

    event_type: ClassVar[str] = "identity.role.created"

    role_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: str
    scopes: list[str]
    created_at: datetime

    def subject(self) -> str:
        return str(self.role_id)


class RoleUpdated(Event):
    """A custom role changed; `changed` names the fields that did.

    A rename follows on every holder, so `previous_name` lets a consumer that keeps
    users' role names rename them too.
    """

    event_type: ClassVar[str] = "identity.role.updated"

    role_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    previous_name: str
    description: str
    scopes: list[str]
    changed: list[str]
    updated_at: datetime

    def subject(self) -> str:
        return str(self.role_id)


class RoleDeleted(Event):
    """A custom role nobody held any more was deleted."""

    event_type: ClassVar[str] = "identity.role.deleted"

    role_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    scopes: list[str]
    deleted_at: datetime

    def subject(self) -> str:
        return str(self.role_id)


ALL_EVENTS: tuple[type[Event], ...] = (
    OrganizationCreated,
    UserCreated,
    ApiKeyCreated,
    ApiKeyRevoked,
    ApiKeyRotated,
    SessionRevoked,
    OrganizationUpdated,
    UserUpdated,
    UserDeactivated,
    RoleChanged,
    UserPermissionsChanged,
    PasswordResetRequested,
    EmailChangeRequested,
    EmailChangeNotified,
    UserReactivated,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    *SALES_EVENTS,
    *EXPENSE_EVENTS,
    *BILLING_EVENTS,
    *PURCHASING_EVENTS,
    *PAYABLES_EVENTS,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {event.event_type: event for event in ALL_EVENTS}

# Versions no longer published, with why. Their messages stay on the topics (kept
# forever), so a reader of old offsets still meets them; nothing new arrives in them.
RETIRED_DATASCHEMAS: dict[str, str] = {
    "millbook:identity.password_reset.requested:v1": (
        "carried the reset token in clear; v2 carries it sealed to the inbox"
    ),
}
