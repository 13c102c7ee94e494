"""`Idempotency-Key` on POST, kept 24 h per tenant and key in the service's database.

The same key with the same body replays the first response; with a different
body it is 422 IDEMPOTENCY_KEY_REUSED; a concurrent duplicate waits for the
first to finish and replays it, or gets 409 if it takes too long. A request
whose first attempt died mid-way (no response stored after a lease) may be
taken over. 5xx responses are not kept, so the client can retry them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millbook_platform.auth import JwksVerifier
from millbook_platform.errors import AppError, error_body
from millbook_platform.tables import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
LEASE = timedelta(seconds=60)
WAIT_FOR_FIRST_S = 10.0
HEADER_NAMES = (b"idempotency-key", b"x-idempotency-key")
MAX_KEY_LENGTH = 255


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH or not key.strip():
            await _send_json(
                send,
                422,
                error_body("VALIDATION_ERROR", "Idempotency-Key must be 1 to 255 characters."),
            )
            return
        try:
            tenant = await _tenant_of(scope)
        except AppError:
            tenant = None
        if tenant is None:  # unauthenticated: the endpoint will refuse it anyway
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = request_fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.sessions
        store = _Store(sessions, tenant, key)
        replay = await store.claim(fingerprint)
        if replay is not None:
            await replay.send(send)
            return
        await self._run_and_store(scope, body, send, store)

    async def _run_and_store(self, scope: Scope, body: bytes, send: Send, store: _Store) -> None:
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        delivered = False

        async def receive_again() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive_again, capture)
        except BaseException:
            await store.forget()
            raise
        if captured["status"] >= 500:
            await store.forget()
        else:
            await store.save(captured["status"], captured["headers"], captured["body"])


class _Replay:
    def __init__(
        self, status: int, headers: list[list[str]], body: bytes, *, replayed: bool = True
    ) -> None:
        self.status, self.headers, self.body, self.replayed = status, headers, body, replayed

    async def send(self, send: Send) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        if self.replayed:
            raw.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


class _Store:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, key: str):
        self._sessions, self._tenant, self._key = sessions, tenant, key

    async def claim(self, fingerprint: str) -> _Replay | None:
        """Take the key for this request, or return what must be sent instead."""
        deadline = asyncio.get_running_loop().time() + WAIT_FOR_FIRST_S
        while True:
            async with self._sessions() as session, session.begin():
                now = datetime.now(UTC)
                inserted = await session.scalar(
                    insert(IdempotencyKey)
                    .values(
                        tenant_id=self._tenant,
                        key=self._key,
                        request_hash=fingerprint,
                        created_at=now,
                        expires_at=now + KEEP_FOR,
                    )
                    .on_conflict_do_nothing()
                    .returning(IdempotencyKey.key)
                )
                if inserted is not None:
                    return None
                row = await session.get(
                    IdempotencyKey, (self._tenant, self._key), with_for_update=True
                )
                if row is None:
                    continue
                if row.expires_at < now:
                    await session.delete(row)
                    continue
                if row.request_hash != fingerprint:
                    return _error(
                        422,
                        "IDEMPOTENCY_KEY_REUSED",
                        "This Idempotency-Key was used with a different request.",
                    )
                if row.status_code is not None:
                    return _Replay(
                        row.status_code, row.response_headers or [], row.response_body or b""
                    )
                if row.created_at + LEASE < now:  # the first attempt died mid-way: take over
                    row.created_at = now
                    return None
            if asyncio.get_running_loop().time() > deadline:
                return _error(
                    409,
                    "RESOURCE_CONFLICT",
                    "A request with this Idempotency-Key is still in progress.",
                )
            await asyncio.sleep(0.05)

    async def save(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        kept = [
            [k.decode("latin-1"), v.decode("latin-1")]
            for k, v in headers
            if k.lower() not in (b"x-request-id", b"date", b"server")
        ]
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.tenant_id == self._tenant, IdempotencyKey.key == self._key)
                .values(status_code=status, response_headers=kept, response_body=body)
            )

    async def forget(self) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.tenant_id == self._tenant, IdempotencyKey.key == self._key
                )
            )


async def purge_expired(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.expires_at < datetime.now(UTC))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _error(status: int, code: str, message: str) -> _Replay:
    body = json.dumps(error_body(code, message)).encode()
    return _Replay(status, [["content-type", "application/json"]], body, replayed=False)


def _key_of(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name in HEADER_NAMES:
            return str(value.decode("latin-1"))
    return None


async def _tenant_of(scope: Scope) -> uuid.UUID | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token:
                verifier: JwksVerifier = scope["app"].state.verifier
                principal = await verifier.verify(token.strip())
                tenant: uuid.UUID = principal.tenant_id
                return tenant
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await _Replay(status, [["content-type", "application/json"]], raw, replayed=False).send(send)


__all__ = ["IdempotencyMiddleware", "purge_expired", "request_fingerprint"]
