from datetime import UTC, datetime, timedelta

from millbook_identity.auth.lockout import LockoutPolicy, locked_until, retry_after_seconds

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LockoutPolicy(max_failures=5, window=timedelta(minutes=15), cooldown=timedelta(minutes=15))


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
    assert locked_until([*old_lock, *after, NOW], NOW, POLICY) == NOW + timedelta(minutes=15)


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
