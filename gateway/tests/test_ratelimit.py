"""The rate-limit algorithm and the tiers, with a clock the tests move by hand."""

from __future__ import annotations

import uuid

from millbook_gateway import quotas
from millbook_gateway.quotas import QuotaRules
from millbook_gateway.ratelimit import Decision, MemoryCounters, Quota, Window
from millbook_platform.auth import Principal

# 10:00:00 UTC on some day: an hour boundary, so windows are easy to reason about.
T0 = 1_767_261_600.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def standard(subject: str = "user:a") -> list[Quota]:
    return [Quota(subject, w) for w in quotas.TIERS["standard"]]


def spend(counters: MemoryCounters, subject_quotas: list[Quota], times: int) -> list[Decision]:
    return [counters.hit_now(subject_quotas) for _ in range(times)]


def test_the_burst_limit_stops_the_101st_request_in_a_minute() -> None:
    clock = Clock(T0 + 5)
    counters = MemoryCounters(clock)

    decisions = spend(counters, standard(), 101)

    assert all(d.allowed for d in decisions[:100])
    assert decisions[0] == Decision(True, limit=100, remaining=99, reset_at=int(T0) + 60)
    assert decisions[99].remaining == 0
    refused = decisions[100]
    assert not refused.allowed
    assert (refused.limit, refused.remaining, refused.reset_at) == (100, 0, int(T0) + 60)
    assert refused.retry_after == 55
    assert refused.headers()["Retry-After"] == "55"


def test_the_next_minute_has_a_new_burst_until_the_hourly_budget_is_spent() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)

    for minute in range(10):
        clock.now = T0 + minute * 60
        assert all(d.allowed for d in spend(counters, standard(), 100))
    clock.now = T0 + 10 * 60 + 1
    refused = counters.hit_now(standard())

    assert not refused.allowed
    assert (refused.limit, refused.reset_at) == (1000, int(T0) + 3600)
    assert refused.retry_after == 3600 - 601


def test_headers_report_the_quota_closest_to_running_out() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    for minute in range(9):
        clock.now = T0 + minute * 60
        spend(counters, standard(), 100)

    clock.now = T0 + 9 * 60
    first = counters.hit_now(standard())
    assert (first.limit, first.remaining) == (100, 99)  # 99 left this minute, 99 this hour
    spend(counters, standard(), 50)
    clock.now = T0 + 10 * 60
    spend(counters, standard(), 48)
    # The 1000th request of the hour: none left this hour, 51 this minute.
    last = counters.hit_now(standard())
    assert last.allowed
    assert (last.limit, last.remaining, last.reset_at) == (1000, 0, int(T0) + 3600)


def test_a_refused_request_does_not_count() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    spend(counters, standard(), 100)
    spend(counters, standard(), 500)  # all refused

    clock.now = T0 + 60
    assert counters.hit_now(standard()).remaining == 99


def test_each_subject_has_its_own_budget() -> None:
    counters = MemoryCounters(Clock())
    spend(counters, standard("user:a"), 100)

    assert not counters.hit_now(standard("user:a")).allowed
    assert counters.hit_now(standard("user:b")).allowed
    assert counters.hit_now(standard("api_key:a")).allowed


def test_a_request_passes_only_if_every_quota_has_room_and_then_counts_in_all() -> None:
    counters = MemoryCounters(Clock())
    ada = QuotaRules().sign_in("1.2.3.4", "a@x.test")
    per_ip = ada[0]

    assert [counters.hit_now(ada).allowed for _ in range(5)] == [True] * 5
    refused = counters.hit_now(ada)
    assert not refused.allowed
    assert refused.limit == 5
    # The IP counted 5 (not 6): another account from the same IP has 5 tries left.
    other = QuotaRules().sign_in("1.2.3.4", "b@x.test")
    assert [counters.hit_now(other).allowed for _ in range(6)] == [True] * 5 + [False]
    assert counters.hit_now([per_ip]).allowed is False  # the IP's 10 are spent


def test_an_accounts_sign_in_budget_spent_from_one_ip_leaves_another_ips_untouched() -> None:
    counters = MemoryCounters(Clock())
    attacker = QuotaRules().sign_in("203.0.113.9", "owner@x.test")
    owner = QuotaRules().sign_in("198.51.100.7", "owner@x.test")

    assert [counters.hit_now(attacker).allowed for _ in range(6)] == [True] * 5 + [False]
    assert counters.hit_now(owner).allowed


def test_expired_windows_are_swept() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    for n in range(50):
        counters.hit_now(standard(f"user:{n}"))
    assert len(counters) == 100

    clock.now = T0 + 3600 + 61
    counters.hit_now(standard("user:new"))
    assert len(counters) == 2


def principal(tier: str | None, tenant: uuid.UUID, kind: str = "user") -> Principal:
    claims = {"tier": tier} if tier else {}
    return Principal(uuid.uuid4(), tenant, frozenset(), kind=kind, claims=claims)


def test_tiers_size_the_budget_and_an_override_beats_the_tier() -> None:
    big, other = uuid.uuid4(), uuid.uuid4()
    rules = QuotaRules(overrides={str(big): 50_000}, enterprise_per_hour=100_000)

    def windows(p: Principal) -> list[tuple[int, int]]:
        return [(q.window.limit, q.window.seconds) for q in rules.for_principal(p)]

    assert windows(principal(None, other)) == [(1_000, 3600), (100, 60)]
    assert windows(principal("standard", other)) == [(1_000, 3600), (100, 60)]
    assert windows(principal("professional", other)) == [(10_000, 3600), (1_000, 60)]
    assert windows(principal("enterprise", other)) == [(100_000, 3600), (10_000, 60)]
    assert windows(principal("enterprise", big)) == [(50_000, 3600), (5_000, 60)]
    assert windows(principal("standard", big)) == [(50_000, 3600), (5_000, 60)]


def test_users_and_keys_spend_their_own_budgets() -> None:
    tenant = uuid.uuid4()
    user, key = principal(None, tenant), principal(None, tenant, kind="api_key")
    rules = QuotaRules()

    assert rules.for_principal(user)[0].subject == f"user:{user.subject_id}"
    assert rules.for_principal(key)[0].subject == f"api_key:{key.subject_id}"


def test_sign_in_routes_and_the_account_they_name() -> None:
    assert quotas.is_sign_in("POST", "/v1/auth/login")
    assert quotas.is_sign_in("post", "/v1/auth/password-reset/confirm")
    assert quotas.is_sign_in("POST", "/v1/auth/signup")
    assert not quotas.is_sign_in("POST", "/v1/auth/refresh")
    assert not quotas.is_sign_in("GET", "/v1/auth/login")
    assert quotas.account_email({"email": " Ada@Example.COM "}) == "ada@example.com"
    assert quotas.account_email({"admin_email": "b@x.test"}) == "b@x.test"
    assert quotas.account_email({"email": 3}) is None
    assert quotas.account_email(["a@x.test"]) is None


def test_a_window_resets_on_its_epoch_boundary() -> None:
    minute = Window(100, 60)
    assert minute.start(T0 + 59.9) == int(T0)
    assert minute.reset_at(T0 + 59.9) == int(T0) + 60
    assert minute.reset_at(T0 + 60) == int(T0) + 120
