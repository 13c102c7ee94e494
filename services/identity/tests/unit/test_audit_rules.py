from datetime import UTC, datetime, timedelta

from millbook_identity.audit.domain import Actor, resource_type_of, retention_cutoff

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_retention_cutoff_is_the_given_days_before_now():
    assert retention_cutoff(NOW, 90) == NOW - timedelta(days=90)
    assert retention_cutoff(NOW, 1) == NOW - timedelta(days=1)


def test_retention_never_reaches_into_today():
    assert retention_cutoff(NOW, 0) == NOW - timedelta(days=1)


def test_resource_type_is_the_aggregate_of_the_event_type():
    assert resource_type_of("billing.invoice.paid") == "invoice"
    assert resource_type_of("identity.password_reset.requested") == "password_reset"
    assert resource_type_of("odd") == "odd"


def test_actor_splits_into_kind_and_id():
    assert Actor.parse("user:42") == Actor("user", "42")
    assert Actor.parse("api_key:7") == Actor("api_key", "7")
    assert Actor.parse(None) == Actor(None, None)
