from datetime import UTC, datetime, timedelta

import pytest

from millbook_identity.api_keys.domain import (
    KeyMode,
    KeyState,
    Refusal,
    display_prefix,
    ip_allowed,
    needs_last_used_update,
    new_secret,
    parse_networks,
    refusal,
    usable,
    usable_until,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def state(**overrides) -> KeyState:
    values = dict(
        revoked_at=None,
        expires_at=None,
        allowed_ips=[],
        matched_previous_secret=False,
        previous_expires_at=None,
    )
    values.update(overrides)
    return KeyState(**values)


def test_secrets_name_their_mode_and_are_random():
    live, test = new_secret(KeyMode.LIVE), new_secret(KeyMode.TEST)
    assert live.startswith("sk_live_")
    assert test.startswith("sk_test_")
    assert len(live) > 40
    assert new_secret(KeyMode.LIVE) != live
    assert display_prefix(live) == live[:12]


@pytest.mark.parametrize(
    ("allowed", "ip", "admitted"),
    [
        ([], "203.0.113.9", True),
        (["203.0.113.0/24"], "203.0.113.9", True),
        (["203.0.113.0/24"], "198.51.100.1", False),
        (["198.51.100.7/32"], "198.51.100.7", True),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["203.0.113.0/24"], "::ffff:203.0.113.9", True),
        (["203.0.113.0/24"], "not-an-ip", False),
        (["203.0.113.0/24"], None, False),
    ],
)
def test_ip_allow_list(allowed, ip, admitted):
    assert ip_allowed(allowed, ip) is admitted


def test_networks_are_canonical_and_bad_entries_reported():
    valid, invalid = parse_networks(["10.1.2.3/8", "192.168.0.1", "nonsense", "10.0.0.0/33"])
    assert valid == ["10.0.0.0/8", "192.168.0.1/32"]
    assert invalid == ["nonsense", "10.0.0.0/33"]


def test_a_plain_key_is_usable():
    assert usable(state(), NOW, "203.0.113.9")


@pytest.mark.parametrize(
    "overrides",
    [
        {"revoked_at": NOW - timedelta(seconds=1)},
        {"expires_at": NOW},
        {"allowed_ips": ["10.0.0.0/8"]},
        {"matched_previous_secret": True, "previous_expires_at": NOW - timedelta(seconds=1)},
        {"matched_previous_secret": True, "previous_expires_at": None},
    ],
    ids=["revoked", "expired", "foreign-ip", "grace-over", "no-grace"],
)
def test_unusable_keys(overrides):
    assert not usable(state(**overrides), NOW, "203.0.113.9")


def test_the_previous_secret_works_during_the_grace_period():
    rotated = state(matched_previous_secret=True, previous_expires_at=NOW + timedelta(hours=1))
    assert usable(rotated, NOW, "203.0.113.9")


def test_last_used_is_written_at_most_once_a_minute():
    assert needs_last_used_update(None, NOW)
    assert not needs_last_used_update(NOW - timedelta(seconds=59), NOW)
    assert needs_last_used_update(NOW - timedelta(seconds=60), NOW)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({}, None),
        ({"revoked_at": NOW}, Refusal.REVOKED),
        ({"expires_at": NOW}, Refusal.EXPIRED),
        ({"matched_previous_secret": True}, Refusal.ROTATED_OUT),
        (
            {"matched_previous_secret": True, "previous_expires_at": NOW - timedelta(seconds=1)},
            Refusal.ROTATED_OUT,
        ),
        ({"allowed_ips": ["198.51.100.0/24"]}, Refusal.ADDRESS_NOT_ALLOWED),
        # A dead secret is refused as dead, whatever the address: nothing to tell its holder.
        ({"revoked_at": NOW, "allowed_ips": ["198.51.100.0/24"]}, Refusal.REVOKED),
    ],
)
def test_each_refusal_names_its_reason(overrides, reason):
    assert refusal(state(**overrides), NOW, "203.0.113.9") is reason


def test_a_secret_stops_by_itself_at_its_keys_expiry_or_its_grace_end_whichever_is_first():
    later, sooner = NOW + timedelta(days=2), NOW + timedelta(hours=1)

    assert usable_until(state()) is None
    assert usable_until(state(expires_at=later)) == later
    assert usable_until(state(matched_previous_secret=True, previous_expires_at=sooner)) == sooner
    both = state(expires_at=later, matched_previous_secret=True, previous_expires_at=sooner)
    assert usable_until(both) == sooner
    # The current secret is not bound by the grace of the one it replaced.
    assert usable_until(state(expires_at=later, previous_expires_at=sooner)) == later
