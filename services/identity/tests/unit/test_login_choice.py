import uuid

import pytest

from millbook_identity.auth.domain import INVALID_CREDENTIALS, LoginCandidate, choose_account
from millbook_platform.errors import AuthInvalid, ValidationFailed

ORG_A = uuid.uuid4()
ORG_B = uuid.uuid4()


def account(org: uuid.UUID, *, matches: bool = True, status: str = "active") -> LoginCandidate:
    return LoginCandidate(uuid.uuid4(), org, status, matches)


def test_unknown_email_is_auth_invalid():
    with pytest.raises(AuthInvalid) as caught:
        choose_account([], None)
    assert caught.value.message == INVALID_CREDENTIALS


@pytest.mark.parametrize(
    "candidate",
    [account(ORG_A, matches=False), account(ORG_A, status="inactive")],
    ids=["wrong-password", "inactive-user"],
)
def test_every_failure_reads_like_an_unknown_email(candidate):
    with pytest.raises(AuthInvalid) as caught:
        choose_account([candidate], None)
    assert caught.value.message == INVALID_CREDENTIALS


def test_the_matching_account_is_chosen():
    right = account(ORG_A)
    assert choose_account([right], None) == right


def test_email_in_two_organizations_needs_organization_id():
    with pytest.raises(ValidationFailed) as caught:
        choose_account([account(ORG_A), account(ORG_B)], None)
    assert [d["field"] for d in caught.value.details] == ["organization_id"]


def test_organization_id_picks_among_several():
    in_b = account(ORG_B)
    assert choose_account([account(ORG_A), in_b], ORG_B) == in_b


def test_organization_id_without_an_account_there_is_auth_invalid():
    with pytest.raises(AuthInvalid):
        choose_account([account(ORG_A)], ORG_B)


def test_only_the_account_whose_password_matches_counts():
    right = account(ORG_B)
    assert choose_account([account(ORG_A, matches=False), right], None) == right
