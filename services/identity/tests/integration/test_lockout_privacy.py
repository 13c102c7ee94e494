"""The login lockout must not tell an attacker whether an account exists."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from millbook_identity.auth import service as auth_service
from millbook_identity.auth.lockout import DEFAULT_POLICY, email_digest
from millbook_identity.auth.router import LOGIN_FAILURE_KEY_PURPOSE
from millbook_identity.models import AnonymousLoginFailure
from millbook_platform.db import unit_of_work, utcnow

from .conftest import PASSWORD, unique_email

TRIES = DEFAULT_POLICY.max_failures


@pytest.fixture
def frozen_clock(monkeypatch):
    """Every lockout decision at one instant, so two Retry-After values can be compared."""
    now = utcnow()
    monkeypatch.setattr(auth_service, "utcnow", lambda: now)
    return now


async def attempts(client, email: str, count: int, password: str = "not the password") -> list:
    body = {"email": email, "password": password}
    return [await client.post("/v1/auth/login", json=body) for _ in range(count)]


def comparable(response) -> tuple:
    body = response.json()
    body["error"].pop("request_id")
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, body, headers


async def test_an_unknown_email_locks_exactly_like_a_real_account(client, org, frozen_clock):
    unknown = unique_email("nobody")

    real_tries = await attempts(client, org.admin_email, TRIES + 1)
    unknown_tries = await attempts(client, unknown, TRIES + 1)

    assert [comparable(r) for r in real_tries] == [comparable(r) for r in unknown_tries]
    assert [r.status_code for r in real_tries] == [401] * TRIES + [429]
    locked = unknown_tries[-1]
    assert locked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert locked.headers["retry-after"] == str(int(DEFAULT_POLICY.cooldown.total_seconds()))


async def test_a_locked_unknown_email_is_refused_even_with_any_password(client, frozen_clock):
    unknown = unique_email("nobody")
    await attempts(client, unknown, TRIES)

    [refused] = await attempts(client, unknown, 1, password=PASSWORD)

    assert refused.status_code == 429


async def test_the_lock_of_an_unknown_email_ends_after_the_cooldown(client, monkeypatch):
    unknown = unique_email("nobody")
    await attempts(client, unknown, TRIES)
    later = utcnow() + DEFAULT_POLICY.cooldown + timedelta(seconds=1)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)

    [after] = await attempts(client, unknown, 1)

    assert after.status_code == 401


async def test_unknown_emails_are_stored_only_as_a_keyed_digest(client, app, sessions):
    unknown = unique_email("Nobody").upper()
    await attempts(client, unknown, 1)
    key = app.state.key_vault.subkey(LOGIN_FAILURE_KEY_PURPOSE)
    digest = email_digest(unknown.lower(), key)

    async with unit_of_work(sessions) as session:
        stored = (await session.scalars(select(AnonymousLoginFailure.email_digest))).all()

    assert digest in stored
    assert all(unknown.lower() not in value for value in stored)


async def test_recording_a_failure_purges_every_failure_too_old_to_matter(client, sessions):
    stale = utcnow() - DEFAULT_POLICY.lookback - timedelta(minutes=1)
    async with unit_of_work(sessions) as session:
        session.add(AnonymousLoginFailure(email_digest="0" * 64, created_at=stale))
    await attempts(client, unique_email("nobody"), 1)

    async with unit_of_work(sessions) as session:
        cutoff = utcnow() - DEFAULT_POLICY.lookback
        old = await session.scalar(
            select(func.count()).where(AnonymousLoginFailure.created_at < cutoff)
        )

    assert old == 0


async def test_other_emails_are_not_locked_by_an_unknown_ones_failures(client, org):
    await attempts(client, unique_email("nobody"), TRIES)

    response = await client.post(
        "/v1/auth/login", json={"email": org.admin_email, "password": PASSWORD}
    )

    assert response.status_code == 200
