"""Authentication at the edge: no request reaches a service without a valid credential."""

from __future__ import annotations

from fastapi import Request

from millbook_platform.auth import JwksVerifier, Principal, bearer_token
from millbook_platform.errors import AuthInvalid, AuthRequired


async def authenticate(request: Request, verifier: JwksVerifier) -> Principal:
    """The caller's principal, or the 401 that explains what is wrong with the credential."""
    token = bearer_token(request)
    if token is None:
        if request.headers.get("x-api-key"):
            raise AuthInvalid("API keys are not enabled yet; send 'Authorization: Bearer <token>'.")
        raise AuthRequired("Authentication is required: send 'Authorization: Bearer <token>'.")
    # An unreachable identity is UpstreamUnavailable (503), never a bad token.
    return await verifier.verify(token)
