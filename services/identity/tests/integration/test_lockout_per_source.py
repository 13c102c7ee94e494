"""Issue 10 finding 7: failing on purpose from elsewhere must not lock the owner out.

Failures count per account and client address (the gateway's X-Millbook-Client-Ip):
the address that fails is locked, with a cooldown doubling on each further lock,
while the right password from another address still logs in.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from millbook_identity.auth import service as auth_service
from millbook_identity.auth.lockout import DEFAULT_POLICY
from millbook_identity.models import AuditEntry
from millbook_platform.db import unit_of_work, utcnow

from .conftest import PASSWORD, unique_email

TRIES = DEFAULT_POLICY.max_failures
ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"
COOLDOWN_S = int(DEFAULT_POLICY.cooldown.total_seconds())


class Clock:
    """Every lockout decision at an instant the test chooses."""

    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(auth_service, "utcnow", lambda: frozen.now)
    return frozen


async def log_in_from(client, source: str, email: str, password: str = "not the password"):
    return await client.post(
        "/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Millbook-Client-Ip": source},
    )


async def fail_from(client, source: str, email: str, count: int = TRIES) -> list[int]:
    return [(await log_in_from(client, source, email)).status_code for _ in range(count)]


async def audit_trail(sessions, org_id) -> list[tuple[str, dict]]:
    async with unit_of_work(sessions, org_id) as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.payload)
            .where(AuditEntry.tenant_id == org_id)
            .order_by(AuditEntry.occurred_at)
        )
        return [(action, payload) for action, payload in rows]


async def test_wrong_passwords_from_one_address_lock_it_while_the_owner_logs_in_from_another(
    client, found_org, sessions, clock
):
    org = await found_org()

    failures = await fail_from(client, ATTACKER, org.admin_email)
    locked = await log_in_from(client, ATTACKER, org.admin_email, PASSWORD)
    owner = await log_in_from(client, OWNER, org.admin_email, PASSWORD)
    still_locked = await log_in_from(client, ATTACKER, org.admin_email, PASSWORD)

    assert failures == [401] * TRIES
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert locked.headers["retry-after"] == str(COOLDOWN_S)
    assert owner.status_code == 200, owner.text
    # The owner's success clears the owner's failures only, never the attacker's lock.
    assert still_locked.status_code == 429


async def test_the_audit_trail_records_every_failure_and_the_lock_with_its_address(
    client, found_org, sessions, clock
):
    org = await found_org()

    await fail_from(client, ATTACKER, org.admin_email)
    await fail_from(client, OWNER, org.admin_email, count=1)

    trail = await audit_trail(sessions, org.id)
    failed = [p for action, p in trail if action == "identity.auth.login_failed"]
    locks = [p for action, p in trail if action == "identity.auth.account_locked"]
    assert [p["client_ip"] for p in failed] == [ATTACKER] * TRIES + [OWNER]
    assert len(locks) == 1
    assert locks[0]["client_ip"] == ATTACKER
    assert locks[0]["locked_until"] == (clock.now + DEFAULT_POLICY.cooldown).isoformat()


async def test_each_further_lock_of_the_same_address_lasts_twice_as_long(
    client, found_org, sessions, clock
):
    org = await found_org()

    await fail_from(client, ATTACKER, org.admin_email)
    first = await log_in_from(client, ATTACKER, org.admin_email)
    clock.advance(DEFAULT_POLICY.cooldown + timedelta(seconds=1))
    again = await fail_from(client, ATTACKER, org.admin_email)
    second = await log_in_from(client, ATTACKER, org.admin_email)
    clock.advance(2 * DEFAULT_POLICY.cooldown + timedelta(seconds=1))
    await fail_from(client, ATTACKER, org.admin_email)
    third = await log_in_from(client, ATTACKER, org.admin_email)

    assert first.headers["retry-after"] == str(COOLDOWN_S)
    assert again == [401] * TRIES  # the first lock ended
    assert second.headers["retry-after"] == str(2 * COOLDOWN_S)
    assert third.headers["retry-after"] == str(4 * COOLDOWN_S)
    trail = await audit_trail(sessions, org.id)
    assert [a for a, _ in trail].count("identity.auth.login_failed") == 3 * TRIES
    assert [a for a, _ in trail].count("identity.auth.account_locked") == 3


async def test_an_unknown_email_is_throttled_per_address_exactly_like_a_real_account(
    client, found_org, clock
):
    org = await found_org()
    unknown = unique_email("nobody")

    real = [await log_in_from(client, ATTACKER, org.admin_email) for _ in range(TRIES + 1)]
    fake = [await log_in_from(client, ATTACKER, unknown) for _ in range(TRIES + 1)]
    real_elsewhere = await log_in_from(client, OWNER, org.admin_email)
    fake_elsewhere = await log_in_from(client, OWNER, unknown)

    def seen(response) -> tuple:
        body = response.json()
        body["error"].pop("request_id")
        return response.status_code, body, response.headers.get("retry-after")

    assert [seen(r) for r in real] == [seen(r) for r in fake]
    assert [r.status_code for r in fake] == [401] * TRIES + [429]
    assert seen(real_elsewhere) == seen(fake_elsewhere)
    assert fake_elsewhere.status_code == 401


async def test_past_the_account_ceiling_failing_addresses_are_slowed_and_a_clean_one_logs_in(
    client, found_org, clock
):
    org = await found_org()
    spread = [f"192.0.2.{n}" for n in range(DEFAULT_POLICY.account_ceiling)]
    for source in spread:
        await fail_from(client, source, org.admin_email, count=1)

    slowed = await log_in_from(client, spread[0], org.admin_email, PASSWORD)
    owner = await log_in_from(client, OWNER, org.admin_email, PASSWORD)
    clock.advance(DEFAULT_POLICY.pressure_delay)
    after_the_delay = await log_in_from(client, spread[0], org.admin_email)

    assert slowed.status_code == 429
    assert slowed.headers["retry-after"] == str(int(DEFAULT_POLICY.pressure_delay.total_seconds()))
    assert owner.status_code == 200, owner.text
    assert after_the_delay.status_code == 401
