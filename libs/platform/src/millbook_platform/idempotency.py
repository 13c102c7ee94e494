"""`Idempotency-Key` on POST, kept 24 h per tenant and key in the service's database.

The same key with the same body replays the first response; with a different
body it is 422 IDEMPOTENCY_KEY_REUSED; a concurrent duplicate waits for the
first to finish and replays it, or gets 409 RESOURCE_CONFLICT. The handler never
runs twice for one key.

How the key is claimed (a row in `idempotency_keys`; `status_code` NULL means
"claimed, no response stored yet"):

- A route whose handler works in the request's transaction (`TenantSession` or
  `SystemSession`) claims the key INSIDE that transaction (`Claim.take`, called by
  the session dependency before the handler runs). When the handler returns, the
  dependency does not commit: it hands the open transaction to the claim, and
  this middleware, once the response is complete, writes the response into the
  claim row and commits the business change, the claim and the response
  together, then sends the response. So after a crash the key either replays
  the committed outcome or, nothing having committed, is free to run again. A
  5xx response or an exception rolls the whole transaction back (the client may
  retry); a failed commit is answered 503/500, never a false success. A
  concurrent duplicate's claim waits on the first one's uncommitted row (at most
  `idempotency_wait_s`, then 409), then replays its response.
- Any other route (no database session in the handler) claims the key in a short
  transaction of its own before the handler runs (`Claim.take_alone`, called by
  `deps.current_principal`), as a lease of `ALONE_LEASE`: a 5xx or an exception
  releases it so the client may retry; the response extends it to 24 h. A crash
  leaves the key answering 409 until the lease ends, then the key is free again
  (the handler's own effects, outside any transaction of ours, may then run twice).

A response produced without a claim (a 4xx before the claim or rolled back with
it; a route that asks for no caller) is stored for replay too, unless another
request claimed the key meanwhile. The body is read at most
up to the service's limit (`max_request_body_bytes`, 64 KiB more for multipart)
and hashed while it streams in; beyond the limit it is 413 PAYLOAD_TOO_LARGE.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millbook_platform.auth import checked_principal
from millbook_platform.errors import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_S,
    AppError,
    Conflict,
    database_unavailable,
    error_body,
)
from millbook_platform.redaction import redact_json
from millbook_platform.tables import IdempotencyKey

log = logging.getLogger("millbook.idempotency")

KEEP_FOR = timedelta(hours=24)
# How long a sessionless handler's claim holds without a response: longer than any
# request may run (the gateway gives up after 30 s), short enough that a crash
# does not lock the key for a day.
ALONE_LEASE = timedelta(minutes=2)
HEADER_NAMES = (b"idempotency-key", b"x-idempotency-key")
MAX_KEY_LENGTH = 255
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
MULTIPART_ENVELOPE_BYTES = 64 * 1024
DEFAULT_WAIT_S = 10.0
POLL_S = 0.02
# A dependency carrying this attribute (deps.tenant_session, deps.system_session) claims the
# key in its transaction.
CLAIMS_IN_TRANSACTION = "claims_idempotency_key"
SCOPE_KEY = "millbook.idempotency_claim"
LOCK_NOT_AVAILABLE = "55P03"
OUTCOME_UNKNOWN = (
    "A request with this Idempotency-Key is in progress or its outcome is unknown; retry later."
)
_NOT_STORED = (b"x-request-id", b"date", b"server")
# On a replay whose stored answer had a secret (an API key's, a token) blanked out.
SECRETS_REDACTED_HEADER = "x-secrets-redacted"


class Fingerprint:
    """SHA-256 of method, path, query and body, fed as the body streams in."""

    def __init__(self, method: str, path: str, query: bytes) -> None:
        self._digest = hashlib.sha256()
        for part in (method.encode(), path.encode(), query):
            self._digest.update(part)
            self._digest.update(b"\0")

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def hexdigest(self) -> str:
        final = self._digest.copy()
        final.update(b"\0")
        return final.hexdigest()


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    fingerprint = Fingerprint(method, path, query)
    fingerprint.update(body)
    return fingerprint.hexdigest()


class ClaimState(enum.Enum):
    PENDING = "pending"  # nothing has claimed the key for this request yet
    IN_TRANSACTION = "in_transaction"  # claimed in the request's open transaction
    HELD = "held"  # the handler returned; its transaction waits for the response to commit
    COMMITTED = "committed"  # the claim, the business change and the response committed
    ALONE = "alone"  # claimed in a transaction of its own (a handler without a session)
    TAKEN = "taken"  # another request holds the key: its answer is this request's
    BUSY = "busy"  # another request held the key too long


class Claim:
    """An Idempotency-Key this request must claim before its handler runs.

    The middleware puts it in the ASGI scope; the dependencies take it: the
    request's `TenantSession` in its transaction (`take`), or, for a handler
    without one, the caller's dependency in a transaction of its own (`take_alone`).
    """

    def __init__(self, store: _Store) -> None:
        self._store = store
        self.state = ClaimState.PENDING
        self.answer: _Replay | None = None
        self._session: AsyncSession | None = None

    async def take_alone(self) -> None:
        """Claim the key in a transaction of its own; raises 409 if another request has it."""
        if self.state is not ClaimState.PENDING:
            return
        answer = await self._store.claim()
        if answer is not None:
            self.state, self.answer = ClaimState.TAKEN, answer
            raise Conflict(OUTCOME_UNKNOWN)
        self.state = ClaimState.ALONE

    async def take(self, session: AsyncSession) -> None:
        """Insert the claim in `session`'s transaction; raises 409 if another request has it.

        A concurrent duplicate's uncommitted claim makes this wait (at most
        `wait_s`): if that one commits the key is taken, if it rolls back this
        request goes on.
        """
        if self.state is not ClaimState.PENDING:
            return
        await session.execute(
            text("SELECT set_config('lock_timeout', :timeout, true)"),
            {"timeout": f"{max(1, int(self._store.wait_s * 1000))}ms"},
        )
        store = self._store
        try:
            claimed = await session.scalar(
                _claim_statement(store.tenant, store.key, store.fingerprint)
            )
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            self.state = ClaimState.BUSY
            raise Conflict(OUTCOME_UNKNOWN) from error
        if claimed is None:
            self.state = ClaimState.TAKEN
            raise Conflict(OUTCOME_UNKNOWN)
        await session.execute(
            text(
                "SELECT set_config('lock_timeout',"
                " (SELECT reset_val FROM pg_settings WHERE name = 'lock_timeout'), true)"
            )
        )
        self.state = ClaimState.IN_TRANSACTION
        self._session = session

    def hand_over(self, session: AsyncSession) -> bool:
        """The handler returned: keep `session`'s transaction open until the response is known.

        True if the key was claimed in `session`; the caller must then neither commit
        nor close it: `commit_with` or `abandon` does.
        """
        if self.state is not ClaimState.IN_TRANSACTION or self._session is not session:
            return False
        self.state = ClaimState.HELD
        return True

    async def commit_with(self, response: _Captured) -> None:
        """Store the response in the claim row and commit it with the business change."""
        session = self._release()
        try:
            await _store_response(session, self._store, response)
            await session.commit()
        finally:
            await session.close()
        self.state = ClaimState.COMMITTED

    async def abandon(self) -> None:
        """Roll the held transaction back: nothing of this request commits, the key is free."""
        if self.state is ClaimState.HELD:
            await self._release().close()
            self.state = ClaimState.PENDING

    def _release(self) -> AsyncSession:
        session, self._session = self._session, None
        assert session is not None
        return session


def claim_of(scope: Scope) -> Claim | None:
    """The key this request must claim before its handler runs, if it carries one."""
    claim = scope.get(SCOPE_KEY)
    return claim if isinstance(claim, Claim) else None


def claims_in_transaction(route: object) -> bool:
    """Whether the matched route's dependencies claim the key in the request's transaction."""
    dependant = getattr(route, "dependant", None)
    return dependant is not None and _claims(dependant)


def _claims(dependant: Any) -> bool:
    return bool(getattr(dependant.call, CLAIMS_IN_TRANSACTION, False)) or any(
        _claims(child) for child in dependant.dependencies
    )


class _TooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._handle(key, scope, receive, send_tracked)
        except Exception as error:
            # The key's own reads and writes run outside the app's error handlers.
            if started or not database_unavailable(error):
                raise
            log.warning("database unavailable for Idempotency-Key %r: %s", key, error)
            await _unavailable(error).send(send)

    async def _handle(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
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
        limit, wait_s = _limits(scope)
        if _declared_length(scope) > limit:
            await _send_json(send, 413, error_body("PAYLOAD_TOO_LARGE", _too_large(limit)))
            return
        fingerprint = Fingerprint(scope["method"], scope["path"], scope.get("query_string", b""))
        try:
            body = await _read_body(receive, limit, fingerprint)
        except _TooLarge:
            await _send_json(send, 413, error_body("PAYLOAD_TOO_LARGE", _too_large(limit)))
            return
        except _ClientGone:
            return
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.sessions
        store = _Store(sessions, tenant, key, fingerprint.hexdigest(), wait_s)
        answer = await store.settled()
        if answer is not None:
            await answer.send(send)
            return
        claim = Claim(store)
        scope[SCOPE_KEY] = claim
        await self._run(scope, body, receive, send, store, claim)

    async def _run(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, store: _Store, claim: Claim
    ) -> None:
        # The response is held back until the request's outcome is settled.
        response = _Captured()
        try:
            await self.app(scope, _replaying(body, receive), response.send)
        except BaseException:
            await claim.abandon()
            if claim.state is ClaimState.ALONE:
                await store.forget()
            raise
        answer = await _settle(claim, store, response)
        await answer.send(send)


async def _settle(claim: Claim, store: _Store, response: _Captured) -> _Replay:
    """What the client gets, once the claim (if any) is resolved."""
    if claim.state is ClaimState.TAKEN:
        return claim.answer or await store.outcome()
    if claim.state is ClaimState.BUSY:
        return _error(409, "RESOURCE_CONFLICT", OUTCOME_UNKNOWN)
    if claim.state is ClaimState.HELD:
        return await _commit_or_roll_back(claim, response)
    if claim.state is ClaimState.ALONE:
        if response.status >= 500:  # the client may retry
            await store.forget()
        else:
            await store.save(response)
    elif response.status < 500:
        # Nothing of this request committed (a 4xx before or without a claim, or
        # rolled back with it): its answer is kept.
        await store.record(response)
    return response.as_replay()


async def _commit_or_roll_back(claim: Claim, response: _Captured) -> _Replay:
    if response.status >= 500 or not response.complete:
        await claim.abandon()  # nothing commits: a retry runs again
        return response.as_replay()
    try:
        await claim.commit_with(response)
    except Exception as error:
        # The commit's fate may be unknown (the connection died during COMMIT); either
        # the key replays the committed outcome or it is free, so a retry is safe.
        log.warning(
            "the request's transaction did not commit: %s",
            error,
            exc_info=not database_unavailable(error),
        )
        return _unavailable(error)
    return response.as_replay()


def _unavailable(error: Exception) -> _Replay:
    """503 with Retry-After when the database is unreachable, else 500."""
    if database_unavailable(error):
        replay = _error(503, "UPSTREAM_UNAVAILABLE", DATABASE_UNAVAILABLE)
        replay.headers.append(["retry-after", str(RETRY_AFTER_S)])
        return replay
    return _error(500, "INTERNAL_ERROR", "An unexpected error occurred.")


class _Captured:
    """Keeps the response the app produced, to be sent once the outcome is settled."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            self.complete = not message.get("more_body", False)

    def as_replay(self) -> _Replay:
        headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers]
        return _Replay(self.status, headers, self.body, replayed=False)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (its disconnect)."""
    delivered = False

    async def receive_again() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_again


class _Replay:
    def __init__(
        self, status: int, headers: list[list[str]], body: bytes, *, replayed: bool = True
    ) -> None:
        self.status, self.headers, self.body, self.replayed = status, headers, body, replayed

    async def send(self, send: Send) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        if self.replayed:
            raw.append((b"idempotent-replayed", b"true"))
        await _respond(send, self.status, raw, self.body)


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    """Send a whole response to the client (a seam the tests make fail, as a crash would)."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _claim_statement(
    tenant: uuid.UUID, key: str, fingerprint: str, keep: timedelta = KEEP_FOR
) -> Any:
    """Insert the claim, or take over an expired one; returns the key if claimed."""
    now = datetime.now(UTC)
    statement = insert(IdempotencyKey).values(
        tenant_id=tenant,
        key=key,
        request_hash=fingerprint,
        created_at=now,
        expires_at=now + keep,
    )
    return statement.on_conflict_do_update(
        index_elements=[IdempotencyKey.tenant_id, IdempotencyKey.key],
        set_={
            "request_hash": statement.excluded.request_hash,
            "status_code": None,
            "response_body": None,
            "response_headers": None,
            "created_at": statement.excluded.created_at,
            "expires_at": statement.excluded.expires_at,
        },
        where=IdempotencyKey.expires_at < statement.excluded.created_at,
    ).returning(IdempotencyKey.key)


class _Store:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tenant: uuid.UUID,
        key: str,
        fingerprint: str,
        wait_s: float,
    ) -> None:
        self._sessions, self.tenant, self.key = sessions, tenant, key
        self.fingerprint, self.wait_s = fingerprint, wait_s

    def _this(self) -> Any:
        return (IdempotencyKey.tenant_id == self.tenant) & (IdempotencyKey.key == self.key)

    async def settled(self) -> _Replay | None:
        """What to send instead of running the handler, or None if the key is free."""
        return await self._await_answer(free=None)

    async def outcome(self) -> _Replay:
        """The answer once another request has claimed the key."""
        answer = await self._await_answer(free=_error(409, "RESOURCE_CONFLICT", OUTCOME_UNKNOWN))
        assert answer is not None
        return answer

    async def _await_answer(self, free: _Replay | None) -> _Replay | None:
        deadline = asyncio.get_running_loop().time() + self.wait_s
        while True:
            async with self._sessions() as session:
                row = await session.scalar(select(IdempotencyKey).where(self._this()))
            if row is None or row.expires_at < datetime.now(UTC):
                return free
            answer = self._answer(row)
            if answer is not None:
                return answer
            if asyncio.get_running_loop().time() > deadline:
                return _error(409, "RESOURCE_CONFLICT", OUTCOME_UNKNOWN)
            await asyncio.sleep(POLL_S)

    def _answer(self, row: IdempotencyKey) -> _Replay | None:
        if row.request_hash != self.fingerprint:
            return _error(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was used with a different request.",
            )
        if row.status_code is not None:
            return _Replay(row.status_code, row.response_headers or [], row.response_body or b"")
        return None

    async def claim(self) -> _Replay | None:
        """Take the key in a transaction of its own, or return what must be sent instead."""
        deadline = asyncio.get_running_loop().time() + self.wait_s
        while True:
            async with self._sessions() as session, session.begin():
                claimed = await session.scalar(
                    _claim_statement(self.tenant, self.key, self.fingerprint, ALONE_LEASE)
                )
                if claimed is not None:
                    return None
                row = await session.scalar(select(IdempotencyKey).where(self._this()))
            if row is not None:
                answer = self._answer(row)
                if answer is not None:
                    return answer
            if asyncio.get_running_loop().time() > deadline:
                return _error(409, "RESOURCE_CONFLICT", OUTCOME_UNKNOWN)
            await asyncio.sleep(POLL_S)

    async def save(self, response: _Captured) -> None:
        """Complete the claim with the response; a failure is logged (the client has it)."""
        try:
            await _write_response(self, response)
        except Exception:
            log.exception("could not store the response of Idempotency-Key %r", self.key)

    async def record(self, response: _Captured) -> None:
        """Keep the answer of a request that claimed nothing (unless another claimed it since)."""
        now = datetime.now(UTC)
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    insert(IdempotencyKey)
                    .values(
                        tenant_id=self.tenant,
                        key=self.key,
                        request_hash=self.fingerprint,
                        created_at=now,
                        expires_at=now + KEEP_FOR,
                        status_code=response.status,
                        **_stored(response),
                    )
                    .on_conflict_do_nothing()
                )
        except Exception:
            log.exception("could not store the response of Idempotency-Key %r", self.key)

    async def forget(self) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyKey).where(self._this(), IdempotencyKey.status_code.is_(None))
            )


async def _write_response(store: _Store, response: _Captured) -> None:
    """Complete a sessionless claim with its response (a seam the tests make fail)."""
    async with store._sessions() as session, session.begin():
        await _store_response(session, store, response)


async def _store_response(session: AsyncSession, store: _Store, response: _Captured) -> None:
    """Write the response into the claimed row, which is kept from now on for 24 h."""
    await session.execute(
        update(IdempotencyKey)
        .where(store._this(), IdempotencyKey.status_code.is_(None))
        .values(
            status_code=response.status,
            expires_at=IdempotencyKey.created_at + KEEP_FOR,
            **_stored(response),
        )
    )


def _stored(response: _Captured) -> dict[str, Any]:
    """The headers and body kept for replay. A secret the response showed once is never
    kept: its secret-named fields are redacted and the replay says so in a header."""
    redacted = redact_json(response.body)
    if redacted is None:
        return {"response_headers": _kept_headers(response.headers), "response_body": response.body}
    headers = [h for h in _kept_headers(response.headers) if h[0].lower() != "content-length"]
    headers += [["content-length", str(len(redacted))], [SECRETS_REDACTED_HEADER, "true"]]
    return {"response_headers": headers, "response_body": redacted}


def _kept_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [
        [k.decode("latin-1"), v.decode("latin-1")]
        for k, v in headers
        if k.lower() not in _NOT_STORED
    ]


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


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


async def _tenant_of(scope: Scope) -> uuid.UUID | None:
    authorization = _header(scope, b"authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    # A revoked token replays nothing: the endpoint refuses it.
    principal = await checked_principal(scope["app"].state, token.strip())
    tenant: uuid.UUID = principal.tenant_id
    return tenant


def _limits(scope: Scope) -> tuple[int, float]:
    runtime = getattr(scope["app"].state, "runtime", None)
    settings = getattr(runtime, "settings", None)
    limit = int(getattr(settings, "max_request_body_bytes", DEFAULT_MAX_BODY_BYTES))
    wait_s = float(getattr(settings, "idempotency_wait_s", DEFAULT_WAIT_S))
    content_type = (_header(scope, b"content-type") or "").lower()
    if content_type.startswith("multipart/form-data"):
        limit += MULTIPART_ENVELOPE_BYTES
    return limit, wait_s


def _declared_length(scope: Scope) -> int:
    declared = _header(scope, b"content-length")
    try:
        return int(declared) if declared is not None else 0
    except ValueError:
        return 0


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


async def _read_body(receive: Receive, limit: int, fingerprint: Fingerprint) -> bytes:
    """The whole body, hashed as it arrives; stops reading once it passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        fingerprint.update(chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await _Replay(status, [["content-type", "application/json"]], raw, replayed=False).send(send)


__all__ = [
    "CLAIMS_IN_TRANSACTION",
    "Claim",
    "ClaimState",
    "IdempotencyMiddleware",
    "claim_of",
    "claims_in_transaction",
    "purge_expired",
    "request_fingerprint",
]
