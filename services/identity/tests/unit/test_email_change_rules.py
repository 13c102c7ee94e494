from datetime import UTC, datetime, timedelta

from millbook_identity.users.domain import (
    EMAIL_CHANGE_LIFETIME,
    email_change_usable,
    new_email_of,
)

NOW = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def test_the_same_address_in_another_case_is_no_change():
    assert new_email_of("ada@example.com", " Ada@Example.COM ") is None


def test_no_email_given_is_no_change():
    assert new_email_of("ada@example.com", None) is None


def test_another_address_is_a_change_to_its_lower_case_form():
    assert new_email_of("ada@example.com", "Ada.Byron@Example.com") == "ada.byron@example.com"


def test_a_confirmation_link_works_once_within_its_day():
    expires = NOW + EMAIL_CHANGE_LIFETIME
    assert timedelta(hours=24) == EMAIL_CHANGE_LIFETIME
    assert email_change_usable(expires, None, NOW)
    assert not email_change_usable(expires, NOW, NOW)  # already used
    assert not email_change_usable(expires, None, expires)  # expired at the instant
