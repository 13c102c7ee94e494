"""Seed a demo organization and its admin: `python -m millbook_identity.demo --email E ...`.

`--platform-admin` also gives that admin the `platform_admin` role (the scope
`platform:admin`, which manages every organization); only this command assigns it.

The password comes from MILLBOOK_DEMO_PASSWORD, never the command line, where any
local user could read it in the process list. Idempotent: when a user with the
email exists, nothing is created. Prints one JSON line on stdout; on failure one
sentence on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth import repository as auth_repository
from millbook_identity.config import Settings
from millbook_identity.models import User
from millbook_identity.organizations.domain import NewOrganization
from millbook_identity.organizations.service import create_organization
from millbook_identity.roles.domain import PLATFORM_ADMIN_ROLE
from millbook_identity.users.domain import normalize_email
from millbook_identity.users.schemas import UserCreate
from millbook_platform.db import create_engine, scope_to_tenant, session_factory, unit_of_work
from millbook_platform.errors import AppError

DEFAULT_ORGANIZATION = "Demo Machine Shop"
PASSWORD_VARIABLE = "MILLBOOK_DEMO_PASSWORD"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(f"{message}.")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m millbook_identity.demo", description=__doc__)
    parser.add_argument("--email", required=True)
    parser.add_argument("--organization", default=DEFAULT_ORGANIZATION)
    parser.add_argument(
        "--platform-admin",
        action="store_true",
        help="also make the admin a platform admin (even when the account already exists)",
    )
    return parser.parse_args(argv)


async def seed(
    settings: Settings,
    email: str,
    password: str,
    organization: str,
    *,
    platform_admin: bool = False,
) -> dict[str, object]:
    """Create the demo organization and its admin unless the email already has an account."""
    engine = create_engine(settings.database_url, pool_size=1)
    sessions = session_factory(engine)
    try:
        async with unit_of_work(sessions) as session:
            existing = await auth_repository.users_with_email_in_any_tenant(
                session, normalize_email(email)
            )
            if existing:
                if platform_admin:
                    await _make_platform_admin(session, existing[0])
                return _outcome(False, existing[0].email, existing[0].tenant_id)
            admin = UserCreate(
                email=email,
                password=password,
                first_name="Demo",
                last_name="Admin",
                roles=["admin"],
            )
            founded = await create_organization(
                session, NewOrganization(name=organization), admin, source=settings.source
            )
            if platform_admin:
                await _make_platform_admin(session, founded.admin)
            return _outcome(True, founded.admin.email, founded.organization.id)
    finally:
        await engine.dispose()


async def _make_platform_admin(session: AsyncSession, user: User) -> None:
    """Written directly, past the API, which refuses the role to everyone."""
    if PLATFORM_ADMIN_ROLE in user.roles:
        return
    await scope_to_tenant(session, user.tenant_id)
    user.roles = [*user.roles, PLATFORM_ADMIN_ROLE]
    await session.flush()


def _outcome(created: bool, email: str, organization_id: uuid.UUID) -> dict[str, object]:
    return {"created": created, "email": email, "organization_id": str(organization_id)}


def _fail(sentence: str) -> NoReturn:
    print(f"demo seed failed: {sentence}", file=sys.stderr)
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    password = os.environ.get(PASSWORD_VARIABLE)
    if not password:
        _fail(f"set {PASSWORD_VARIABLE} to the admin's password.")
    try:
        settings = Settings()  # database_url comes from the environment
        outcome = asyncio.run(
            seed(
                settings,
                args.email,
                password,
                args.organization,
                platform_admin=args.platform_admin,
            )
        )
    except ValidationError as exc:
        _fail(_first_problem(exc))
    except AppError as exc:
        problems = "; ".join(f"{d['field']} {d['message']}" for d in exc.details)
        _fail(f"{exc.message} {problems}".strip())
    except Exception as exc:
        _fail(f"{type(exc).__name__}: {exc}".splitlines()[0])
    print(json.dumps(outcome))


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "input"
    return f"{where}: {error['msg']}"


if __name__ == "__main__":
    main()
