import pytest

from millbook_identity.roles.domain import (
    RESOURCES,
    ROLE_SCOPES,
    scope_claim,
    scopes_for,
    unknown_roles,
)


def test_admin_role_grants_the_admin_scope_alone_because_it_implies_all():
    assert scopes_for(["admin"]) == {"admin"}
    assert scopes_for(["viewer", "admin"]) == {"admin"}


def test_roles_combine_into_the_union_of_their_scopes():
    scopes = scopes_for(["sales", "purchasing"])
    assert {"customers:write", "quotations:write", "purchase_orders:write"} <= scopes
    assert scopes == ROLE_SCOPES["sales"] | ROLE_SCOPES["purchasing"]


def test_viewer_reads_users_but_cannot_write_them():
    scopes = scopes_for(["viewer"])
    assert "users:read" in scopes
    assert "users:write" not in scopes
    assert not any(scope.endswith(":write") for scope in scopes)


def test_only_admin_manages_users():
    for role, scopes in ROLE_SCOPES.items():
        if role != "admin":
            assert "users:write" not in scopes, role
            assert "users:delete" not in scopes, role


@pytest.mark.parametrize("role", sorted(ROLE_SCOPES))
def test_every_scope_names_a_known_resource_and_action(role):
    for scope in ROLE_SCOPES[role] - {"admin"}:
        resource, _, action = scope.partition(":")
        assert resource in RESOURCES
        assert action in {"read", "write", "delete"}


def test_unknown_role_names_are_reported_in_order():
    assert unknown_roles(["viewer", "wizard", "admin", "root"]) == ["wizard", "root"]
    assert unknown_roles(["accountant", "support"]) == []


def test_scope_claim_is_sorted_and_space_separated():
    claim = scope_claim(["support"])
    assert claim.split() == sorted(ROLE_SCOPES["support"])
    assert scope_claim(["admin"]) == "admin"


def test_a_role_change_names_only_the_fields_it_really_changes():
    from millbook_identity.roles.domain import changed_role_fields

    current = {"name": "floor", "description": "", "scopes": ["users:read", "orders:read"]}
    assert changed_role_fields(current, {"scopes": ["orders:read", "users:read"]}) == []
    assert changed_role_fields(current, {"name": "floor", "description": "d"}) == ["description"]
    assert changed_role_fields(current, {"scopes": ["orders:read"], "name": "x"}) == [
        "name",
        "scopes",
    ]
