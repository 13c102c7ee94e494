"""Which service owns a path, and which paths need no credential.

Matching is on whole path segments: `/v1/users` owns `/v1/users` and
`/v1/users/...`, never `/v1/usersx`.
"""

from __future__ import annotations

from collections.abc import Mapping

ROUTES: Mapping[str, tuple[str, ...]] = {
    "identity": (
        "/v1/auth",
        "/v1/users",
        "/v1/organizations",
        "/v1/api-keys",
        "/v1/keys",
        "/v1/roles",
        "/v1/audit",
        "/.well-known/jwks.json",
    ),
    "sales": (
        "/v1/customers",
        "/v1/clients",
        "/v1/contacts",
        "/v1/leads",
        "/v1/tasks",
        "/v1/quotations",
        "/v1/quotes",
        "/v1/opportunities",
        "/v1/orders",
        "/v1/pricing",
        "/v1/sales",
    ),
    "billing": (
        "/v1/invoices",
        "/v1/credit-notes",
        "/v1/recurring-invoices",
        "/v1/payments",
        "/v1/expenses",
        "/v1/documents",
        "/v1/matching",
        "/v1/reports",
        "/v1/ledger",
        "/v1/accounts",
        "/v1/bills",
        "/v1/billing",
    ),
    "purchasing": (
        "/v1/materials",
        "/v1/suppliers",
        "/v1/purchase-orders",
        "/v1/deliveries",
        "/v1/forecasts",
        "/v1/inventory",
    ),
    "inbox": ("/v1/emails", "/v1/conversations", "/v1/knowledge-base", "/v1/webhooks"),
    "analytics": ("/v1/dashboard", "/v1/analytics"),
}

_PREFIX_TO_SERVICE = {
    prefix: service for service, prefixes in ROUTES.items() for prefix in prefixes
}

PUBLIC_POSTS = ("/v1/auth/login", "/v1/auth/signup", "/v1/auth/refresh")
# Request and confirm steps, however identity names them (`.../confirm` or `...-confirm`).
PUBLIC_POST_STEMS = ("/v1/auth/password-reset",)
PUBLIC_READS = ("/.well-known/jwks.json",)


def owns(prefix: str, path: str) -> bool:
    """True when `path` is `prefix` or lies below it, segment by segment."""
    return path == prefix or path.startswith(prefix + "/")


def has_dot_segments(path: str) -> bool:
    """`.` and `..` segments would let a path look public here and mean something else upstream."""
    return any(segment in (".", "..") for segment in path.split("/"))


def service_for(path: str) -> str | None:
    """The service that owns `path`, or None when no service does."""
    if has_dot_segments(path):
        return None
    for prefix, service in _PREFIX_TO_SERVICE.items():
        if owns(prefix, path):
            return service
    return None


def is_public(method: str, path: str) -> bool:
    """True for the few routes a caller reaches without a credential."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return path in PUBLIC_READS
    if method != "POST":
        return False
    return path in PUBLIC_POSTS or any(path.startswith(stem) for stem in PUBLIC_POST_STEMS)
