"""Authentication at the edge: no request reaches a service without a valid credential.

A person sends `Authorization: Bearer <access token>`, verified here against
identity's JWKS. A machine sends `X-API-Key: sk_live_…`, which identity turns into an
access token; either way the service receives one kind of credential, a bearer token
identity signed. Either is refused once identity stopped it early (a revoked session:
log in again; scopes changed since it was issued: refresh it; a revoked or rotated-out
key) by `millbook_platform.revocations`, the check every service makes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from millbook_gateway.api_keys import ApiKeyResolver
from millbook_platform.auth import JwksVerifier, Principal, bearer_token
from millbook_platform.errors import AuthInvalid, AuthRequired
from millbook_platform.revocations import Revocations

API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True)
class Caller:
    """Who is calling, and the bearer token that says so to the service."""

    principal: Principal
    access_token: str


@dataclass(frozen=True)
class Authenticator:
    verifier: JwksVerifier
    api_keys: ApiKeyResolver
    revocations: Revocations

    async def authenticate(self, request: Request, client_ip: str) -> Caller:
        """The caller, or the 401 that explains what is wrong with the credential."""
        caller = await self._caller(request, client_ip)
        # The same check every service makes, so a direct call is refused alike.
        self.revocations.check(caller.principal)
        return caller

    async def _caller(self, request: Request, client_ip: str) -> Caller:
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
        return Caller(await self.verifier.verify(token), token)
