"""Built-in roles as named bundles of `<resource>:<action>` scopes.

`admin` carries the single scope `admin`, which every service treats as
implying all others (see `millbook_platform.auth.Principal.has_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable

ADMIN = "admin"
DEFAULT_ROLE = "viewer"

# Every resource a scope can name; multi-word resources use snake_case.
RESOURCES = (
    "users",
    "api_keys",
    "audit",
    "customers",
    "contacts",
    "leads",
    "tasks",
    "quotations",
    "opportunities",
    "orders",
    "invoices",
    "payments",
    "expenses",
    "documents",
    "matching",
    "reports",
    "materials",
    "suppliers",
    "purchase_orders",
    "deliveries",
    "forecasts",
    "emails",
    "conversations",
    "knowledge_base",
    "webhooks",
    "dashboard",
    "analytics",
)

# Resources only an admin manages; a viewer does not even read them.
_ADMIN_ONLY = frozenset({"api_keys", "audit", "webhooks"})


def read(*resources: str) -> frozenset[str]:
    return frozenset(f"{resource}:read" for resource in resources)


def write(*resources: str) -> frozenset[str]:
    """Read and write: writing what one cannot read makes no sense."""
    return read(*resources) | frozenset(f"{resource}:write" for resource in resources)


_INSIGHT = read("dashboard", "analytics", "reports")

ROLE_SCOPES: dict[str, frozenset[str]] = {
    ADMIN: frozenset({ADMIN}),
    "accountant": write("invoices", "payments", "expenses", "documents", "matching")
    | read("customers", "suppliers", "orders", "purchase_orders", "deliveries", "users")
    | _INSIGHT,
    "sales": write("customers", "contacts", "leads", "tasks", "quotations", "opportunities")
    | write("orders")
    | read("invoices", "materials", "users")
    | _INSIGHT,
    "purchasing": write("materials", "suppliers", "purchase_orders", "deliveries", "forecasts")
    | read("orders", "users")
    | _INSIGHT,
    "support": write("contacts", "tasks", "emails", "conversations", "knowledge_base")
    | read("customers", "orders", "invoices", "users"),
    "viewer": read(*(r for r in RESOURCES if r not in _ADMIN_ONLY)),
}


def unknown_roles(roles: Iterable[str]) -> list[str]:
    """The names in `roles` that are not built-in roles, in the order given."""
    return [role for role in roles if role not in ROLE_SCOPES]


def scopes_for(roles: Iterable[str]) -> frozenset[str]:
    """The union of the roles' scopes; `admin` stands alone because it implies all."""
    scopes: set[str] = set()
    for role in roles:
        scopes |= ROLE_SCOPES.get(role, frozenset())
    return frozenset({ADMIN}) if ADMIN in scopes else frozenset(scopes)


def scope_claim(roles: Iterable[str]) -> str:
    """The space-separated `scope` claim of an access token."""
    return " ".join(sorted(scopes_for(roles)))
