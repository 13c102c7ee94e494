from datetime import UTC, datetime, timedelta

from millbook_identity.auth.lockout import (
    UNKNOWN_SOURCE,
    LockoutPolicy,
    cooldown_of,
    locked_until,
    retry_after_seconds,
    source_of,
    throttled_until,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LockoutPolicy(
    max_failures=5,
    window=timedelta(minutes=15),
    cooldown=timedelta(minutes=15),
    max_cooldown=timedelta(hours=4),
    memory=timedelta(hours=24),
    account_ceiling=20,
    pressure_delay=timedelta(minutes=5),
)
ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_four_failures_do_not_lock():
    assert locked_until(minutes_ago(4, 3, 2, 1), NOW, POLICY) is None


def test_five_failures_within_fifteen_minutes_lock_for_fifteen_minutes_from_the_fifth():
    until = locked_until(minutes_ago(10, 8, 6, 4, 2), NOW, POLICY)
    assert until == NOW - timedelta(minutes=2) + timedelta(minutes=15)


def test_five_failures_spread_over_more_than_the_window_do_not_lock():
    assert locked_until(minutes_ago(20, 16, 10, 5, 1), NOW, POLICY) is None


def test_the_lock_ends_after_the_cooldown():
    failures = minutes_ago(25, 24, 23, 22, 21)
    assert locked_until(failures, NOW - timedelta(minutes=10), POLICY) is not None
    assert locked_until(failures, NOW, POLICY) is None


def test_failures_before_a_lock_ended_do_not_count_towards_the_next():
    old_lock = minutes_ago(40, 39, 38, 37, 36)  # locked until 21 minutes ago
    after = minutes_ago(5, 4, 3, 2)
    assert locked_until(old_lock + after, NOW, POLICY) is None
    # The second lock of the same source lasts twice as long.
    assert locked_until([*old_lock, *after, NOW], NOW, POLICY) == NOW + timedelta(minutes=30)


def test_order_of_the_failures_does_not_matter():
    failures = minutes_ago(2, 10, 4, 8, 6)
    assert locked_until(failures, NOW, POLICY) == locked_until(sorted(failures), NOW, POLICY)


def test_retry_after_is_whole_seconds_and_never_zero_while_locked():
    assert retry_after_seconds(NOW + timedelta(seconds=90.2), NOW) == 91
    assert retry_after_seconds(NOW + timedelta(milliseconds=1), NOW) == 1


def test_an_email_digest_is_keyed_and_never_the_email():
    from millbook_identity.auth.lockout import email_digest

    keyed = email_digest("ada@example.com", b"server secret")
    assert keyed == email_digest("ada@example.com", b"server secret")
    assert keyed != email_digest("ada@example.com", b"another secret")
    assert keyed != email_digest("bob@example.com", b"server secret")
    assert "ada" not in keyed
    assert len(keyed) == 64
    assert email_digest("ada@example.com", None) != keyed


def test_each_further_lock_of_a_source_doubles_its_cooldown_up_to_the_cap():
    assert [cooldown_of(n, POLICY) for n in range(6)] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=4),
    ]
    assert cooldown_of(10_000, POLICY) == timedelta(hours=4)


def test_a_source_that_keeps_failing_after_each_lock_is_locked_longer_each_time():
    first = minutes_ago(100, 99, 98, 97, 96)  # locked 96 → 81 minutes ago
    second = minutes_ago(80, 79, 78, 77, 76)  # locked 76 → 46 minutes ago (30 min)
    third = minutes_ago(45, 44, 43, 42, 41)  # locked 41 minutes ago for an hour
    assert locked_until(first + second + third, NOW, POLICY) == NOW + timedelta(minutes=19)


def test_another_sources_failures_do_not_lock_a_source():
    attacker = [(ATTACKER, t) for t in minutes_ago(5, 4, 3, 2, 1)]
    assert throttled_until(attacker, ATTACKER, NOW, POLICY) is not None
    assert throttled_until(attacker, OWNER, NOW, POLICY) is None


def test_failures_of_the_source_are_counted_apart_from_the_others():
    mixed = [(ATTACKER, t) for t in minutes_ago(5, 4, 3)] + [(OWNER, t) for t in minutes_ago(2, 1)]
    assert throttled_until(mixed, ATTACKER, NOW, POLICY) is None
    assert throttled_until(mixed, OWNER, NOW, POLICY) is None


def many_sources_failing(count: int) -> list[tuple[str, datetime]]:
    """A distributed attack: `count` sources, each failing once a minute ago or less."""
    return [(f"192.0.2.{i}", NOW - timedelta(seconds=30 + i)) for i in range(count)]


def test_past_the_account_ceiling_a_source_that_failed_waits_after_its_last_failure():
    attack = many_sources_failing(POLICY.account_ceiling)
    source, last = attack[0]
    assert throttled_until(attack, source, NOW, POLICY) == last + POLICY.pressure_delay


def test_below_the_account_ceiling_a_single_failure_does_not_slow_a_source():
    attack = many_sources_failing(POLICY.account_ceiling - 1)
    assert throttled_until(attack, attack[0][0], NOW, POLICY) is None


def test_the_account_ceiling_never_refuses_a_source_that_has_not_failed():
    attack = many_sources_failing(500)
    assert throttled_until(attack, OWNER, NOW, POLICY) is None


def test_the_ceiling_ends_a_pressure_delay_after_the_sources_own_last_failure():
    attack = many_sources_failing(POLICY.account_ceiling)
    later = NOW + POLICY.pressure_delay
    assert throttled_until(attack, attack[0][0], later, POLICY) is None


def test_a_sources_own_lock_outlasts_the_ceilings_delay():
    attack = many_sources_failing(POLICY.account_ceiling)
    own = [(ATTACKER, t) for t in minutes_ago(5, 4, 3, 2, 1)]
    until = throttled_until(attack + own, ATTACKER, NOW, POLICY)
    assert until == NOW - timedelta(minutes=1) + POLICY.cooldown


def test_the_source_is_the_reported_address_in_canonical_form_else_the_peer():
    assert source_of("203.0.113.9", "127.0.0.1") == "203.0.113.9"
    assert source_of(" 2001:DB8::0:1 ", None) == "2001:db8::1"
    assert source_of(None, "127.0.0.1") == "127.0.0.1"
    assert source_of("not an address", "127.0.0.1") == "127.0.0.1"
    assert source_of("203.0.113.9, 10.0.0.1", "10.0.0.2") == "10.0.0.2"
    assert source_of(None, None) == UNKNOWN_SOURCE
    assert source_of("x" * 5000, "testclient") == UNKNOWN_SOURCE
