from datetime import UTC, datetime, timedelta

from millbook_identity.auth.domain import RefreshOutcome, RefreshState, refresh_outcome

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def test_a_fresh_token_rotates():
    assert refresh_outcome(RefreshState(LATER, None, None), NOW) is RefreshOutcome.ROTATE


def test_a_used_token_presented_again_is_reuse():
    used = RefreshState(LATER, NOW - timedelta(seconds=5), None)
    assert refresh_outcome(used, NOW) is RefreshOutcome.REUSED


def test_a_used_token_is_reuse_even_after_it_expired():
    used = RefreshState(NOW - timedelta(seconds=1), NOW - timedelta(hours=2), None)
    assert refresh_outcome(used, NOW) is RefreshOutcome.REUSED


def test_an_expired_token_is_refused():
    assert refresh_outcome(RefreshState(NOW, None, None), NOW) is RefreshOutcome.REFUSED


def test_a_revoked_family_is_refused_without_revoking_again():
    revoked = RefreshState(LATER, NOW - timedelta(minutes=1), NOW)
    assert refresh_outcome(revoked, NOW) is RefreshOutcome.REFUSED


def test_an_unknown_token_is_refused():
    assert refresh_outcome(None, NOW) is RefreshOutcome.REFUSED
