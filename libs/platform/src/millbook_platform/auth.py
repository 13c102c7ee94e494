"""Authentication helpers: verify access JWTs against identity's JWKS, enforce scopes.

Access tokens are EdDSA-signed JWTs with a `kid`; keys come from identity's
JWKS (cached, refreshed when an unknown `kid` appears). Scopes are
`<resource>:<action>`; `admin` implies every scope.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
from fastapi import Request

from millbook_platform.errors import (
    AuthExpired,
    AuthInvalid,
    AuthRequired,
    PermissionDenied,
    UpstreamUnavailable,
)
from millbook_platform.requestctx import actor_var

ISSUER = "millbook-identity"
AUDIENCE = "millbook"
ALGORITHM = "EdDSA"
JWKS_PATH = "/.well-known/jwks.json"
VERIFIED_CACHE_SIZE = 10_000
ADMIN_SCOPE = "admin"
PLATFORM_SCOPE_PREFIX = "platform:"
KEYS_RETRY_AFTER_S = 3  # identity down: the keys are asked for again after 5 s at most

# Who a token speaks for (its `kind` claim).
USER_KIND = "user"
API_KEY_KIND = "api_key"
# A user's token: the user's scope version when it was issued; a later permission
# change raises the version, and older tokens must be refreshed.
SCOPE_VERSION_CLAIM = "scope_version"
# An API key's token: the display prefix of the secret it was resolved from, so that a
# rotation can stop the tokens of the previous secret.
KEY_PREFIX_CLAIM = "key_prefix"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with a session) or an API key, always inside one tenant."""

    subject_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: frozenset[str]
    kind: str = USER_KIND
    session_id: uuid.UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def actor(self) -> str:
        """How the audit trail names this caller: `user:<id>` or `api_key:<id>`."""
        return f"{self.kind}:{self.subject_id}"

    @property
    def scope_version(self) -> int:
        """The user's scope version the token was issued at; tokens from before versions: 0."""
        version = self.claims.get(SCOPE_VERSION_CLAIM, 0)
        return version if isinstance(version, int) else 0

    @property
    def key_prefix(self) -> str | None:
        """An API key's token: the prefix of the secret it was resolved from."""
        prefix = self.claims.get(KEY_PREFIX_CLAIM)
        return prefix if isinstance(prefix, str) else None

    def has_scope(self, scope: str) -> bool:
        # An organization's admin may do anything in its organization, but not run
        # the platform: `platform:*` scopes must be granted by name.
        if scope.startswith(PLATFORM_SCOPE_PREFIX):
            return scope in self.scopes
        return ADMIN_SCOPE in self.scopes or scope in self.scopes

    def missing(self, required: Iterable[str]) -> list[str]:
        return [scope for scope in required if not self.has_scope(scope)]


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            subject_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            kind=str(claims.get("kind", USER_KIND)),
            session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
            claims=claims,
        )
    except (KeyError, ValueError) as exc:
        raise AuthInvalid("The access token is missing its subject or tenant.") from exc


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class RevocationCheck(Protocol):
    """Refuses a token whose credential identity stopped early (`millbook_platform.revocations`)."""

    def check(self, principal: Principal) -> None: ...


class JwksVerifier:
    """Verifies access tokens against a JWKS, refreshing on an unknown key id."""

    def __init__(self, fetch: JwksFetcher, *, min_refresh_interval_s: float = 5.0) -> None:
        self._fetch = fetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._fetch_failed = False
        self._min_refresh = min_refresh_interval_s
        self._lock = asyncio.Lock()
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_url(cls, identity_url: str, client: httpx.AsyncClient) -> JwksVerifier:
        """Fetch keys with the caller's client; the caller closes it."""
        http = client

        async def fetch() -> dict[str, Any]:
            response = await http.get(identity_url.rstrip("/") + JWKS_PATH)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

        return cls(fetch)

    async def verify(self, token: str) -> Principal:
        """The token's principal; a token verified before is not verified again until it expires.

        A cached token is as good as a fresh check: its signature cannot change, and
        a key stays published for as long as the tokens it signed can live.
        Revocation of sessions and keys is checked by the caller on every request.
        """
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires_at = cached
            if time.time() < expires_at:
                return principal
            del self._verified[token]
        principal = await self._verify_signature(token)
        self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        self._verified[token] = (principal, float(principal.claims["exp"]))

    async def _verify_signature(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthInvalid("The access token is malformed.") from exc
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "tid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthExpired("The access token has expired; refresh it or log in again.") from exc
        except jwt.PyJWTError as exc:
            raise AuthInvalid("The access token is not valid.") from exc
        if claims.get("typ") != "access":
            raise AuthInvalid("This token is not an access token.")
        return principal_from_claims(claims)

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            stale = time.monotonic() - self._fetched_at > self._min_refresh
            if kid not in self._keys and (stale or not self._fetched_at):
                await self._refresh()
        if kid not in self._keys:
            if self._fetch_failed:  # the key may well exist: identity could not say
                raise _keys_unavailable()
            raise AuthInvalid("The access token was signed by an unknown key.")
        return self._keys[kid]

    async def _refresh(self) -> None:
        # A failed fetch also counts: while identity is down we do not ask on every request.
        self._fetched_at = time.monotonic()
        try:
            document = await self._fetch()
        except Exception as exc:
            self._fetch_failed = True
            raise _keys_unavailable() from exc
        self._fetch_failed = False
        keys = {}
        for entry in document.get("keys", []):
            if "kid" in entry:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        self._keys = keys


def _keys_unavailable() -> UpstreamUnavailable:
    return UpstreamUnavailable(
        "Signing keys cannot be fetched from identity; try again shortly.",
        headers={"Retry-After": str(KEYS_RETRY_AFTER_S)},
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthInvalid("Authorization must be 'Bearer <access token>'.")
    return token.strip()


async def checked_principal(app_state: Any, token: str) -> Principal:
    """The token's principal: signature verified, and refused if identity stopped it early.

    Refused exactly as the gateway refuses it, for a caller that reaches the service
    directly; `app_state` holds the `verifier` and (when built by the app factory) the
    `revocations`.
    """
    verifier: JwksVerifier = app_state.verifier
    principal = await verifier.verify(token)
    revocations: RevocationCheck | None = getattr(app_state, "revocations", None)
    if revocations is not None:
        revocations.check(principal)
    return principal


async def authenticate(request: Request) -> Principal:
    """The caller's principal; 401 when there is no valid credential."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = bearer_token(request)
    if token is None:
        raise AuthRequired("Authentication is required: send 'Authorization: Bearer <token>'.")
    principal = await checked_principal(request.app.state, token)
    request.state.principal = principal
    actor_var.set(principal.actor)
    return principal


def require_scopes(principal: Principal, *scopes: str) -> None:
    missing = principal.missing(scopes)
    if missing:
        raise PermissionDenied(
            f"This request needs the scope {', '.join(missing)}.",
            details=[{"field": "scope", "message": f"missing {scope}"} for scope in missing],
        )
