"""Every endpoint declares its scopes with `needs(...)`, and enforces them: each documented
operation carries `x-scopes` and `security` in the OpenAPI document the gateway merges, and
a caller holding none of them gets 403 PERMISSION_DENIED naming them, before anything is
looked up or validated."""

from fastapi import FastAPI

from millbook_testing.audits import api_operations, undeclared_scopes, unrefused_operations


def test_the_app_has_routes_to_check(app: FastAPI) -> None:
    assert len(api_operations(app)) >= 20


def test_every_operation_declares_its_scopes_in_openapi(app: FastAPI) -> None:
    assert undeclared_scopes(app) == []


async def test_a_caller_without_the_scopes_is_refused_naming_them(app: FastAPI, caller) -> None:
    assert await unrefused_operations(app, caller) == []
