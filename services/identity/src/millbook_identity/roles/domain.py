"""Roles as named bundles of `<resource>:<action>` scopes, without I/O.

`admin` carries the single scope `admin`, which every service treats as
implying all others (see `millbook_platform.auth.Principal.has_scope`).
`platform_admin` carries `platform:admin`, the operator of the whole install;
only the seed command assigns it, never the API. An organization may add its
own roles; their scopes are stored and passed in as `custom`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ADMIN = "admin"
DEFAULT_ROLE = "viewer"
PLATFORM_ADMIN_ROLE = "platform_admin"
PLATFORM_ADMIN_SCOPE = "platform:admin"
ACTIONS = ("read", "write", "delete")

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

ROLE_DESCRIPTIONS: dict[str, str] = {
    ADMIN: "Everything in the organization, including users, API keys and the audit trail.",
    "accountant": "Invoices, payments, expenses, documents and matching; reads the rest.",
    "sales": "Customers, contacts, leads, tasks, quotations, opportunities and orders.",
    "purchasing": "Materials, suppliers, purchase orders, deliveries and forecasts.",
    "support": "Contacts, tasks, emails, conversations and the knowledge base.",
    "viewer": "Reads everything but API keys, webhooks and the audit trail.",
}

CustomRoles = Mapping[str, Iterable[str]]


def is_known_scope(scope: str) -> bool:
    """`admin` or `<resource>:<action>` with a known resource and action."""
    if scope == ADMIN:
        return True
    resource, _, action = scope.partition(":")
    return resource in RESOURCES and action in ACTIONS


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in scopes if not is_known_scope(scope)]


def scopes_beyond(requested: Iterable[str], granted: Iterable[str]) -> list[str]:
    """The requested scopes the grantor does not hold itself, in the order asked.

    Nobody hands out more than they have: `admin` covers every organization scope,
    but `platform:admin` only covers itself.
    """
    held = frozenset(granted)
    return [
        scope
        for scope in dict.fromkeys(requested)
        if scope not in held and not (ADMIN in held and scope != PLATFORM_ADMIN_SCOPE)
    ]


def is_built_in(role: str) -> bool:
    return role in ROLE_SCOPES or role == PLATFORM_ADMIN_ROLE


def unknown_roles(roles: Iterable[str], custom: CustomRoles | None = None) -> list[str]:
    """The names in `roles` that are neither built-in nor the organization's, in order.

    `platform_admin` counts as unknown here: the API never assigns it.
    """
    known = custom or {}
    return [role for role in roles if role not in ROLE_SCOPES and role not in known]


def scopes_for(roles: Iterable[str], custom: CustomRoles | None = None) -> frozenset[str]:
    """The union of the roles' scopes; `admin` stands alone because it implies all."""
    known = custom or {}
    scopes: set[str] = set()
    platform = False
    for role in roles:
        platform = platform or role == PLATFORM_ADMIN_ROLE
        scopes |= ROLE_SCOPES.get(role, frozenset())
        scopes |= set(known.get(role, ()))
    if ADMIN in scopes:
        scopes = {ADMIN}
    if platform:
        scopes.add(PLATFORM_ADMIN_SCOPE)
    return frozenset(scopes)


def scope_claim(roles: Iterable[str], custom: CustomRoles | None = None) -> str:
    """The space-separated `scope` claim of an access token."""
    return " ".join(sorted(scopes_for(roles, custom)))


def changed_role_fields(current: Mapping[str, object], wanted: Mapping[str, object]) -> list[str]:
    """The fields a role change really changes, sorted; scopes compare as sets."""

    def comparable(field: str, value: object) -> object:
        if field == "scopes" and isinstance(value, Iterable) and not isinstance(value, str):
            return frozenset(value)
        return value

    return sorted(
        field
        for field, value in wanted.items()
        if comparable(field, current.get(field)) != comparable(field, value)
    )
