"""The API-key cache, with clocks the tests move by hand."""

from __future__ import annotations

import uuid

from millbook_gateway.api_keys import (
    ApiKeyCache,
    ResolvedKey,
    cache_key,
    cache_lifetime,
    is_well_formed,
)
from millbook_platform.auth import Principal


class Clock:
    def __init__(self, now: float = 1_767_261_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def resolved(
    key_id: str = "k1", expires_in: float = 300, usable_until: float | None = None
) -> ResolvedKey:
    principal = Principal(uuid.uuid4(), uuid.uuid4(), frozenset(), kind="api_key")
    return ResolvedKey(key_id, "token", principal, expires_in, usable_until)


def test_a_resolution_is_kept_a_minute_at_most_and_30_s_less_than_its_token() -> None:
    assert cache_lifetime(300) == 60
    assert cache_lifetime(75) == 45
    assert cache_lifetime(30) == 0


def test_an_entry_expires_after_its_lifetime() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock)
    cache.put("a", resolved(expires_in=70), asked_at=clock.now)

    clock.now += 39.9
    assert cache.get("a") is not None
    clock.now += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_a_token_about_to_expire_is_not_cached() -> None:
    cache = ApiKeyCache(Clock())
    cache.put("a", resolved(expires_in=25), asked_at=0)

    assert cache.get("a") is None


def test_dropping_a_key_forgets_it_for_every_client_ip() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock)
    secret = "sk_live_0123456789"
    here, there = cache_key(secret, "10.0.0.1"), cache_key(secret, "10.0.0.2")
    cache.put(here, resolved("k1"), asked_at=clock.now)
    cache.put(there, resolved("k1"), asked_at=clock.now)
    cache.put("other", resolved("k2"), asked_at=clock.now)

    cache.drop("k1")

    assert cache.get(here) is None
    assert cache.get(there) is None
    assert cache.get("other") is not None


def test_an_answer_that_raced_the_revocation_is_not_cached() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock)
    asked_at = clock.now
    clock.now += 0.05
    cache.drop("k1")  # the revocation arrives while identity is still answering
    clock.now += 0.05

    cache.put("a", resolved("k1"), asked_at=asked_at)
    assert cache.get("a") is None

    cache.put("a", resolved("k1"), asked_at=clock.now)  # asked after: a fresh answer
    assert cache.get("a") is not None


def test_the_cache_key_separates_secrets_and_ips_and_hides_the_secret() -> None:
    secret = "sk_live_0123456789"
    assert cache_key(secret, "1.1.1.1") != cache_key(secret, "1.1.1.2")
    assert cache_key(secret, "1.1.1.1") != cache_key(secret + "x", "1.1.1.1")
    assert secret not in cache_key(secret, "1.1.1.1")


def test_only_live_and_test_keys_are_well_formed() -> None:
    assert is_well_formed("sk_live_" + "a1B2_-" * 4)
    assert is_well_formed("sk_test_0123456789")
    assert not is_well_formed("sk_live_short")
    assert not is_well_formed("pk_live_0123456789")
    assert not is_well_formed("sk_live_0123456789 ")
    assert not is_well_formed("sk_live_" + "a" * 300)


def test_a_cached_key_stops_at_its_usable_until_on_the_wall_clock() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock, wall_clock=clock)
    cache.put("a", resolved(usable_until=clock.now + 2.0), asked_at=clock.now)

    clock.now += 1.999
    assert cache.get("a") is not None
    clock.now += 0.001
    assert cache.get("a") is None  # checked on every request: no event needed
    assert len(cache) == 0


def test_a_resolution_already_past_its_usable_until_is_not_cached() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock, wall_clock=clock)

    cache.put("a", resolved(usable_until=clock.now), asked_at=clock.now)

    assert cache.get("a") is None


def test_a_key_without_usable_until_is_kept_for_the_cache_lifetime() -> None:
    clock = Clock()
    cache = ApiKeyCache(clock, wall_clock=clock)
    cache.put("a", resolved(expires_in=300, usable_until=None), asked_at=clock.now)

    clock.now += 59.9
    assert cache.get("a") is not None
