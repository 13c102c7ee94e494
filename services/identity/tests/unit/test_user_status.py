import pytest

from millbook_identity.users.domain import UserStatus, check_reactivation
from millbook_platform.errors import InvalidTransition


def test_a_deactivated_user_may_be_reactivated():
    check_reactivation(UserStatus.INACTIVE.value)


@pytest.mark.parametrize("status", ["active", "pending", ""])
def test_anything_but_a_deactivated_user_is_an_invalid_transition(status):
    with pytest.raises(InvalidTransition) as raised:
        check_reactivation(status)
    assert raised.value.status_code == 409
