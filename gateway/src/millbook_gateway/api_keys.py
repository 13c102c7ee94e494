"""API keys at the edge: resolved once through identity, then cached briefly.

Identity turns a secret (and the client IP, for keys with an allow-list) into a
short-lived access token signed like a user's; the gateway forwards that token
instead of the key, so services trust one issuer only and never see a secret.
The cache holds a resolution for at most a minute (and 30 s less than its
token's life), keyed by the secret's digest and the client IP. A resolution also
carries when its secret stops by itself (the key's `expires_at`, or the end of a
rotation's grace), checked on every request; a revoked or rotated key is dropped
from the cache as soon as identity's event arrives.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from millbook_platform.auth import JwksVerifier, Principal
from millbook_platform.errors import AuthInvalid, PermissionDenied, UpstreamUnavailable

RESOLVE_PATH = "/internal/v1/api-keys/resolve"
KEY_FORMAT = re.compile(r"sk_(live|test)_[A-Za-z0-9_\-]{8,200}")
MAX_CACHE_S = 60.0
# A cached token must still be valid when the service that receives it checks it.
TOKEN_MARGIN_S = 30.0
# How long a drop is remembered, to refuse caching a resolution that raced it.
DROP_MEMORY_S = 300.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class ResolvedKey:
    """What a key stands for: the token to forward and the principal it carries."""

    key_id: str
    access_token: str
    principal: Principal
    expires_in: float
    # Wall-clock time (epoch seconds) at which the secret stops by itself; None: never.
    usable_until: float | None = None

    def usable_at(self, now: float) -> bool:
        return self.usable_until is None or now < self.usable_until


def is_well_formed(secret: str) -> bool:
    return KEY_FORMAT.fullmatch(secret) is not None


def cache_key(secret: str, client_ip: str) -> str:
    return hashlib.sha256(f"{secret}\x00{client_ip}".encode()).hexdigest()


def cache_lifetime(expires_in: float) -> float:
    return min(expires_in - TOKEN_MARGIN_S, MAX_CACHE_S)


class ApiKeyCache:
    """Resolutions by (secret, client IP), each kept until its lifetime is over, its secret
    stops (`usable_until`, on the wall clock) or its key drops."""

    def __init__(self, clock: Clock = time.monotonic, wall_clock: Clock = time.time) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._entries: dict[str, tuple[float, ResolvedKey]] = {}
        self._by_key_id: dict[str, set[str]] = {}
        self._dropped: dict[str, float] = {}

    def now(self) -> float:
        return self._clock()

    def get(self, key: str) -> ResolvedKey | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, resolved = entry
        if self._clock() >= expires_at or not resolved.usable_at(self._wall_clock()):
            self._forget(key, resolved.key_id)
            return None
        return resolved

    def put(self, key: str, resolved: ResolvedKey, *, asked_at: float) -> None:
        """Keep a resolution identity gave for a question asked at `asked_at`."""
        dropped_at = self._dropped.get(resolved.key_id)
        if dropped_at is not None and dropped_at >= asked_at:
            return  # revoked while identity was answering: the answer is already stale
        lifetime = cache_lifetime(resolved.expires_in)
        if lifetime <= 0 or not resolved.usable_at(self._wall_clock()):
            return
        self._entries[key] = (self._clock() + lifetime, resolved)
        self._by_key_id.setdefault(resolved.key_id, set()).add(key)

    def drop(self, key_id: str) -> None:
        """Forget every resolution of `key_id` (revoked, rotated or expired)."""
        now = self._clock()
        self._dropped = {k: t for k, t in self._dropped.items() if now - t < DROP_MEMORY_S}
        self._dropped[key_id] = now
        for key in self._by_key_id.pop(key_id, set()):
            self._entries.pop(key, None)

    def _forget(self, key: str, key_id: str) -> None:
        self._entries.pop(key, None)
        keys = self._by_key_id.get(key_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_key_id[key_id]

    def __len__(self) -> int:
        return len(self._entries)


class ApiKeyResolver:
    """Asks identity what a key stands for, once per key and client IP at a time."""

    def __init__(
        self, identity: httpx.AsyncClient, verifier: JwksVerifier, cache: ApiKeyCache
    ) -> None:
        self._identity = identity
        self._verifier = verifier
        self.cache = cache
        self._inflight: dict[str, asyncio.Task[ResolvedKey]] = {}

    async def resolve(self, secret: str, client_ip: str) -> ResolvedKey:
        if not is_well_formed(secret):
            raise AuthInvalid("The API key is malformed: expected 'sk_live_…' or 'sk_test_…'.")
        key = cache_key(secret, client_ip)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        # Concurrent first requests with one key share one call to identity.
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._resolve_and_cache(key, secret, client_ip))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _resolve_and_cache(self, key: str, secret: str, client_ip: str) -> ResolvedKey:
        asked_at = self.cache.now()
        resolved = await self._ask_identity(secret, client_ip)
        self.cache.put(key, resolved, asked_at=asked_at)
        return resolved

    async def _ask_identity(self, secret: str, client_ip: str) -> ResolvedKey:
        try:
            response = await self._identity.post(
                RESOLVE_PATH, json={"secret": secret, "client_ip": client_ip}
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                "API keys cannot be checked: the identity service is unavailable."
            ) from exc
        if response.status_code == 403:  # a valid key, used from an address it may not use
            raise PermissionDenied(
                _message(response) or "This key may not be used from this address."
            )
        if response.status_code in (401, 404):
            raise AuthInvalid(_message(response) or "The API key is not valid.")
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"API keys cannot be checked: identity answered {response.status_code}."
            )
        data = response.json()["data"]
        token = str(data["access_token"])
        principal = await self._verifier.verify(token)
        until = data.get("usable_until")
        return ResolvedKey(
            str(data["key_id"]),
            token,
            principal,
            float(data["expires_in"]),
            datetime.fromisoformat(until).timestamp() if until else None,
        )


def _message(response: httpx.Response) -> str | None:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    return message if isinstance(message, str) else None
