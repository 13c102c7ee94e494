import pytest

from millbook_identity.auth.passwords import (
    hash_password,
    password_matches,
    password_problems,
)
from millbook_identity.users.domain import check_new_user, normalize_email
from millbook_platform.errors import ValidationFailed


def test_password_of_ten_characters_is_accepted():
    assert password_problems("kx7-qv9!pz", "ann@example.com") == []


def test_password_shorter_than_ten_characters_is_refused():
    assert password_problems("a" * 9, "ann@example.com") == ["must be at least 10 characters"]


def test_password_equal_to_the_email_is_refused_whatever_the_case():
    assert password_problems("Ann.Long@Example.com", "ann.long@example.com") == [
        "must not be the email address"
    ]


def test_hash_verifies_only_the_same_password():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert password_matches(hashed, "correct horse battery")
    assert not password_matches(hashed, "correct horse battery!")


def test_a_corrupt_hash_never_matches():
    assert not password_matches("not-a-hash", "anything at all")


def test_new_user_errors_name_each_field():
    with pytest.raises(ValidationFailed) as caught:
        check_new_user("ann@example.com", "short", ["viewer", "wizard"])
    assert caught.value.details == [
        {"field": "password", "message": "must be at least 10 characters"},
        {"field": "roles", "message": "unknown role 'wizard'"},
    ]


def test_valid_new_user_passes():
    check_new_user("ann@example.com", "a long enough secret", ["sales"])


def test_emails_are_compared_lower_cased():
    assert normalize_email("  Ann@Example.COM ") == "ann@example.com"


def test_password_containing_the_emails_name_is_refused():
    assert password_problems("My-Annabelle-2026", "annabelle@example.com") == [
        "must not contain the email address's name"
    ]


def test_a_very_short_email_name_inside_a_passphrase_is_tolerated():
    assert password_problems("a sturdy passphrase", "al@example.com") == []


@pytest.mark.parametrize("common", ["1234567890", "qwertyuiop", "Password123", "PASSWORD12"])
def test_common_passwords_are_refused_whatever_the_case(common):
    assert "is one of the most common passwords; choose another" in password_problems(
        common, "ann@example.com"
    )


def test_the_bundled_list_holds_about_a_thousand_passwords_of_ten_characters_or_more():
    from millbook_identity.auth.passwords import common_passwords

    listed = common_passwords()
    assert 900 <= len(listed) <= 1100
    assert all(len(p) >= 10 and p == p.lower() for p in listed)
