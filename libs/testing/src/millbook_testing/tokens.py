"""Access tokens for tests: a signing key with its JWKS, and claims as identity issues them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from millbook_platform.auth import ALGORITHM, AUDIENCE, ISSUER


def access_claims(*, ttl_s: int = 300, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid access token; an override of None removes that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "scope": "admin",
        "typ": "access",
        "kind": "user",
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + ttl_s,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: Any, kid: str) -> str:
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


class TestKey:
    """An Ed25519 signing key that serves its own JWKS, as identity does."""

    __test__ = False  # not a pytest test class

    def __init__(self, kid: str | None = None) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.kid = kid or uuid.uuid4().hex[:8]
        self.fetches = 0

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}

    async def fetch(self) -> dict[str, Any]:
        """A JWKS fetcher for `JwksVerifier(key.fetch)`."""
        self.fetches += 1
        return self.jwks()

    def token(self, *, kid: str | None = None, ttl_s: int = 300, **claims: Any) -> str:
        return sign(access_claims(ttl_s=ttl_s, **claims), self.private, kid or self.kid)
