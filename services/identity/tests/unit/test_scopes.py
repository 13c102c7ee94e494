from millbook_identity.roles.domain import (
    PLATFORM_ADMIN_ROLE,
    is_known_scope,
    scope_claim,
    scopes_beyond,
    scopes_for,
    unknown_roles,
)


def test_nobody_grants_a_scope_they_lack():
    assert scopes_beyond(["users:read", "users:write"], {"users:read"}) == ["users:write"]
    assert scopes_beyond(["users:read"], {"users:read", "invoices:read"}) == []


def test_admin_grants_every_organization_scope_but_not_platform_admin():
    assert scopes_beyond(["invoices:write", "admin"], {"admin"}) == []
    assert scopes_beyond(["platform:admin"], {"admin"}) == ["platform:admin"]


def test_admin_itself_is_beyond_a_non_admin():
    assert scopes_beyond(["admin"], {"users:read", "users:write"}) == ["admin"]


def test_known_scopes_are_admin_or_a_resource_and_action():
    assert is_known_scope("admin")
    assert is_known_scope("invoices:delete")
    assert not is_known_scope("invoices:approve")
    assert not is_known_scope("spaceships:read")
    assert not is_known_scope("platform:admin")


def test_custom_roles_add_their_scopes():
    custom = {"shop-floor": ["materials:read", "orders:read"]}
    assert scopes_for(["shop-floor"], custom) == {"materials:read", "orders:read"}
    assert unknown_roles(["shop-floor", "viewer"], custom) == []
    assert unknown_roles(["shop-floor"]) == ["shop-floor"]


def test_platform_admin_role_is_never_assignable_but_grants_its_scope():
    assert unknown_roles([PLATFORM_ADMIN_ROLE]) == [PLATFORM_ADMIN_ROLE]
    assert scope_claim(["admin", PLATFORM_ADMIN_ROLE]) == "admin platform:admin"
