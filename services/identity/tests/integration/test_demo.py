import json
import os
import subprocess
import sys

from millbook_stack.profiles import find_repo_root

from .conftest import PASSWORD, bearer, login, unique_email


def run_demo(database_url, *args, password=PASSWORD):
    env = {**os.environ, "MILLBOOK_DATABASE_URL": database_url}
    env.pop("MILLBOOK_DEMO_PASSWORD", None)
    if password is not None:
        env["MILLBOOK_DEMO_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "millbook_identity.demo", *args],
        env=env,
        cwd=find_repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_demo_seed_creates_once_then_reports_the_existing_organization(database_url, client):
    email = unique_email("demo")
    args = ["--email", email, "--organization", "Demo Machine Shop"]

    first = run_demo(database_url, *args)
    second = run_demo(database_url, *args)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    created, existing = json.loads(first.stdout), json.loads(second.stdout)
    assert len(first.stdout.strip().splitlines()) == 1
    assert created["created"] is True
    assert existing["created"] is False
    assert created["email"] == existing["email"] == email
    assert created["organization_id"] == existing["organization_id"]
    token = await login(client, email)
    me = (await client.get("/v1/users/me", headers=bearer(token))).json()["data"]
    assert me["roles"] == ["admin"]
    assert me["organization_id"] == created["organization_id"]


def test_demo_seed_with_a_weak_password_fails_with_one_sentence(database_url):
    result = run_demo(database_url, "--email", unique_email("demo"), password="short")

    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "password" in result.stderr


def test_demo_seed_without_a_password_says_how_to_give_one(database_url):
    result = run_demo(database_url, "--email", unique_email("demo"), password=None)

    assert result.returncode == 1
    assert "MILLBOOK_DEMO_PASSWORD" in result.stderr
