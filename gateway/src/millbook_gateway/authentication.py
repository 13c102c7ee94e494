"""Authentication at the edge: no request reaches a service without a valid credential.

A person sends `Authorization: Bearer <access token>`, verified here against
identity's JWKS and refused once its session is revoked (log in again) or once the
user's scopes changed after it was issued (refresh it). A machine sends
`X-API-Key: sk_live_…`, which identity turns into an access token; either way
the service receives one kind of credential, a bearer token identity signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from millbook_gateway.api_keys import ApiKeyResolver
from millbook_gateway.revocations import (
    OUTDATED_SCOPES,
    RevokedSessions,
    ScopeVersions,
    ended_session_message,
)
from millbook_platform.auth import JwksVerifier, Principal, bearer_token
from millbook_platform.errors import AuthExpired, AuthInvalid, AuthRequired

API_KEY_HEADER = "x-api-key"
SCOPE_VERSION_CLAIM = "scope_version"


@dataclass(frozen=True)
class Caller:
    """Who is calling, and the bearer token that says so to the service."""

    principal: Principal
    access_token: str


@dataclass(frozen=True)
class Authenticator:
    verifier: JwksVerifier
    api_keys: ApiKeyResolver
    revoked_sessions: RevokedSessions
    scope_versions: ScopeVersions

    async def authenticate(self, request: Request, client_ip: str) -> Caller:
        """The caller, or the 401 that explains what is wrong with the credential."""
        token = bearer_token(request)
        secret = request.headers.get(API_KEY_HEADER)
        if token is not None and secret is not None:
            raise AuthInvalid("Send either 'Authorization: Bearer' or 'X-API-Key', not both.")
        if secret is not None:
            resolved = await self.api_keys.resolve(secret.strip(), client_ip)
            return Caller(resolved.principal, resolved.access_token)
        if token is None:
            raise AuthRequired(
                "Authentication is required: send 'Authorization: Bearer <token>' "
                "or 'X-API-Key: <key>'."
            )
        # An unreachable identity is UpstreamUnavailable (503), never a bad token.
        principal = await self.verifier.verify(token)
        self._refuse_if_stopped(principal)
        return Caller(principal, token)

    def _refuse_if_stopped(self, principal: Principal) -> None:
        """401 for a token whose session ended, or whose scopes are out of date."""
        if principal.session_id is not None:
            reason = self.revoked_sessions.reason(principal.session_id)
            if reason is not None:
                raise AuthInvalid(ended_session_message(reason))
        if principal.kind == "user" and self.scope_versions.outdated(
            principal.subject_id, _scope_version(principal)
        ):
            raise AuthExpired(OUTDATED_SCOPES)


def _scope_version(principal: Principal) -> int:
    """The scope version the token was issued at; tokens from before versions count as 0."""
    version = principal.claims.get(SCOPE_VERSION_CLAIM, 0)
    return version if isinstance(version, int) else 0
