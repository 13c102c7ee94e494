"""The routing table: which service owns a path, and which paths are public."""

from __future__ import annotations

import pytest

from millbook_gateway.routes import ROUTES, is_public, service_for


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/v1/users", "identity"),
        ("/v1/users/7f1c", "identity"),
        ("/v1/auth/login", "identity"),
        ("/.well-known/jwks.json", "identity"),
        ("/v1/customers/1/contacts", "sales"),
        ("/v1/quotations/1/accept", "sales"),
        ("/v1/invoices/1/mark-paid", "billing"),
        ("/v1/credit-notes", "billing"),
        ("/v1/reports/profit-and-loss", "billing"),
        ("/v1/billing/settings", "billing"),
        ("/v1/sales/pricing-settings", "sales"),
        ("/v1/bills/1/approve", "billing"),
        ("/v1/purchase-orders/1/approve", "purchasing"),
        ("/v1/knowledge-base/search", "inbox"),
        ("/v1/webhooks", "inbox"),
        ("/v1/dashboard/overview", "analytics"),
        ("/v1/analytics/revenue", "analytics"),
    ],
)
def test_each_resource_is_routed_to_the_service_that_owns_it(path: str, service: str) -> None:
    assert service_for(path) == service


@pytest.mark.parametrize(
    "path",
    [
        "/v1/usersx",
        "/v1/invoices-archive",
        "/v1/user",
        "/v1",
        "/v1/",
        "/v1/nothing",
        "/users",
        "/v2/users",
        "/",
        "/health/deep",
        "/.well-known/jwks.jsonx",
        "/v1//users",
    ],
)
def test_a_path_no_service_owns_has_no_route(path: str) -> None:
    assert service_for(path) is None


@pytest.mark.parametrize(
    "path",
    ["/v1/auth/login/../../users", "/v1/auth/login/..", "/v1/invoices/./1", "/v1/users/../orders"],
)
def test_a_path_with_dot_segments_is_never_routed(path: str) -> None:
    assert service_for(path) is None


def test_no_prefix_is_claimed_by_two_services() -> None:
    prefixes = [prefix for owned in ROUTES.values() for prefix in owned]
    assert len(prefixes) == len(set(prefixes))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/auth/login"),
        ("POST", "/v1/auth/signup"),
        ("POST", "/v1/auth/refresh"),
        ("POST", "/v1/auth/password-reset"),
        ("POST", "/v1/auth/password-reset/confirm"),
        ("GET", "/.well-known/jwks.json"),
        ("HEAD", "/.well-known/jwks.json"),
    ],
)
def test_login_signup_refresh_reset_and_jwks_are_public(method: str, path: str) -> None:
    assert is_public(method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/auth/logout"),
        ("GET", "/v1/auth/login"),
        ("POST", "/v1/auth/login/extra"),
        ("POST", "/v1/auth"),
        ("GET", "/v1/users"),
        ("POST", "/v1/users"),
        ("DELETE", "/.well-known/jwks.json"),
    ],
)
def test_everything_else_needs_a_credential(method: str, path: str) -> None:
    assert not is_public(method, path)
