"""The private keys that sign access tokens are stored encrypted with the passphrase."""

import os
import subprocess
import sys

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from millbook_identity.auth.keys import SigningKeyUnavailable, is_sealed
from millbook_identity.bootstrap import build_app
from millbook_identity.models import SigningKey
from millbook_platform.auth import JwksVerifier
from millbook_platform.db import unit_of_work
from millbook_stack.profiles import find_repo_root
from millbook_testing.apps import in_process

from .conftest import VAULT


async def test_every_stored_signing_key_is_encrypted_and_signs_verifiable_tokens(
    client, org, sessions
):
    async with unit_of_work(sessions) as session:
        stored = (await session.scalars(select(SigningKey))).all()

    assert stored
    assert all(is_sealed(key.private_key_pem) for key in stored)
    assert not any("BEGIN PRIVATE KEY" in key.private_key_pem for key in stored)
    for key in stored:
        assert VAULT.open(key.kid, key.private_key_pem, key.public_jwk).kid == key.kid

    async def served_jwks():
        return (await client.get("/.well-known/jwks.json")).json()

    principal = await JwksVerifier(served_jwks).verify(org.admin_token)
    assert principal.subject_id == org.admin_id


def test_the_identity_process_refuses_to_start_without_a_passphrase(database_url):
    env = {**os.environ, "MILLBOOK_DATABASE_URL": database_url}
    env.pop("MILLBOOK_SIGNING_KEY_PASSPHRASE", None)
    env.pop("MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE", None)

    result = subprocess.run(
        [sys.executable, "-c", "import millbook_identity.main"],
        env=env,
        cwd=find_repo_root(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    [sentence] = result.stderr.strip().splitlines()
    assert sentence.startswith("Identity will not start without MILLBOOK_SIGNING_KEY_PASSPHRASE")


async def test_identity_does_not_start_when_its_keys_do_not_open_with_the_passphrase(settings, org):
    other = settings.model_copy(update={"signing_key_passphrase": SecretStr("x" * 32)})
    app = build_app(other)

    with pytest.raises(SigningKeyUnavailable, match="another passphrase"):
        async with in_process(app):
            pass


async def test_identity_starts_with_the_passphrase_its_keys_were_sealed_with(settings, org):
    async with in_process(build_app(settings)) as http:
        assert (await http.get("/.well-known/jwks.json")).status_code == 200
